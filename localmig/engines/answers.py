"""The model's answer: its JSON schema (bounded lists and strings) and the check that brings it
into a test plan or lists everything wrong with it (names, Python syntax, imports, calls that
reach the OS or another database, tables and columns that exist)."""

from __future__ import annotations

import ast
import json
import re
import textwrap
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ..plan import TEST_NAME, TestCase, TestPlan
from ..schema import SchemaSnapshot
from ..syntax import parse
from .allowlist import check_names, from_import_problem

MAX_TESTS = 4
ALLOWED_MODULES = ("sqlalchemy", "alembic", "pytest", "datetime", "decimal", "uuid", "json", "math", "re", "itertools", "collections")
FORBIDDEN_CALLS = {"eval", "exec", "compile", "open", "__import__", "input", "breakpoint", "globals", "locals", "vars",
                   "setattr", "delattr", "getattr", "exit", "quit", "help"}
FORBIDDEN_MODULES = {"os", "sys", "subprocess", "socket", "shutil", "pathlib", "importlib", "ctypes", "pickle", "marshal",
                     "urllib", "http", "requests", "httpx", "ftplib", "smtplib", "tempfile", "glob", "io", "builtins",
                     "signal", "threading", "multiprocessing", "asyncio", "ollama", "localmig"}
# Ways to reach a database other than the fixture's scratch ones (the project's own sqlalchemy.url, say):
# generated tests run inside the user's project, so these are refused like the OS is.
ENGINE_FACTORIES = {"create_engine", "create_async_engine", "engine_from_config", "create_mock_engine"}
ALEMBIC_RUNNERS = {"command", "config", "context", "script", "runtime"}
TABLE_CALLS = {"insert", "rows", "table", "columns", "column", "indexes", "foreign_keys", "unique_constraints",
               "check_constraints", "primary_key", "find_foreign_key", "find_unique", "find_check"}
SQL_TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+\"?([A-Za-z_][A-Za-z0-9_.]*)", re.IGNORECASE)

FIXTURE_API = """\
- migrations.database_before(REVISION) -> a fresh database just before this revision; migrations.database_after(REVISION) -> right after it.
- database.insert(table, [ {column: value, ...}, ... ]); database.upgrade(REVISION); database.downgrade(REVISION)
- database.rows(table) -> list of dicts ordered by primary key; database.rows(table, without=[column]) leaves columns out
- database.execute(sql, {name: value}) -> list of dicts (one statement, committed)
- migrations.schema_before(REVISION), schema_after(REVISION), schema_after_downgrade(REVISION), schema_after_round_trip(REVISION) -> schema
- schema.tables (set), schema.columns(table) -> {name: {"type", "nullable", "default"}}, schema.column(table, name), schema.indexes(table) -> {name: {"columns", "unique"}}, schema.foreign_keys(table), schema.find_unique(table, [columns]), schema.primary_key(table)"""

Import = Annotated[str, StringConstraints(max_length=80)]


class ModelTest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # additionalProperties: false in the schema

    name: str = Field(max_length=80, pattern=TEST_NAME.pattern, description="test_<what it proves>, lower_snake_case")
    aspect: Literal["data", "upgrade", "downgrade", "round_trip"]
    docstring: str = Field(max_length=200, description="One sentence: what the test proves.")
    body: str = Field(max_length=1500, description="The function body only: Python statements.")


class ModelAnswer(BaseModel):
    """What the model must answer: a few tests and the imports they need."""

    model_config = ConfigDict(extra="forbid")

    imports: list[Import] = Field(default_factory=list, max_length=5, description="e.g. 'import datetime'")
    tests: list[ModelTest] = Field(min_length=1, max_length=MAX_TESTS)


def answer_schema() -> dict:
    return ModelAnswer.model_json_schema()



def check_answer(text: str, revision: str, before: SchemaSnapshot, after: SchemaSnapshot,
                 existing: list[str]) -> tuple[TestPlan | None, list[str]]:
    """The answer as a plan of model tests, or the list of everything wrong with it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return None, [f"the answer is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"]
    try:
        answer = ModelAnswer.model_validate(data)
    except ValidationError as error:
        return None, [f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}" for e in error.errors()]
    errors: list[str] = []
    imports: set[str] = set()
    for line in answer.imports:
        problem = _check_import_line(line)
        if problem:
            errors.append(f"imports: {problem}")
        else:
            imports.add(line.strip())
    seen = set(existing)
    tests = []
    for index, test in enumerate(answer.tests):
        where = f"tests[{index}] ({test.name})"
        if not TEST_NAME.match(test.name):
            errors.append(f"{where}: the name must match {TEST_NAME.pattern}")
        elif test.name in seen:
            errors.append(f"{where}: the name is already taken; choose a new one")
        seen.add(test.name)
        body = textwrap.dedent(test.body).strip("\n")
        try:
            tree = parse(body)
        except SyntaxError as error:
            errors.append(f"{where}: Python syntax error at line {error.lineno}: {error.msg}")
            continue
        errors += [f"{where}: {problem}" for problem in check_body(tree, before, after, imports)]
        tests.append(TestCase(name=test.name if TEST_NAME.match(test.name) else "test_invalid", aspect=test.aspect,
                              docstring=test.docstring.strip(), body=body, engine="model"))
    if errors:
        return None, errors
    return TestPlan(revision=revision, tests=tests, imports=sorted(imports)), []


def _check_import_line(line: str) -> str | None:
    try:
        tree = parse(line.strip())
    except SyntaxError:
        return f"{line!r} is not an import statement"
    if len(tree.body) != 1 or not isinstance(tree.body[0], (ast.Import, ast.ImportFrom)):
        return f"{line!r} is not a single import statement"
    return _import_problem(tree.body[0])


def _import_problem(node: ast.Import | ast.ImportFrom) -> str | None:
    if isinstance(node, ast.Import):
        modules = [alias.name for alias in node.names]
    else:  # the imported names count too: from alembic import command
        modules = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
    for module in modules:
        if module.split(".")[0] not in ALLOWED_MODULES:
            return f"import of {module!r} is not allowed (allowed: {', '.join(ALLOWED_MODULES)})"
        parts = module.split(".")
        if (parts[0] == "alembic" and len(parts) > 1 and parts[1] in ALEMBIC_RUNNERS) or parts[-1] in ENGINE_FACTORIES:
            return f"import of {module!r} is not allowed (use the migrations fixture's scratch databases, no other database)"
    return from_import_problem(node) if isinstance(node, ast.ImportFrom) else None


def check_body(tree: ast.Module, before: SchemaSnapshot, after: SchemaSnapshot,
               imports: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """What is wrong with a test body: forbidden imports or calls, anything outside the allowlist
    (:mod:`localmig.engines.allowlist`), unknown tables or columns. ``imports``: the answer's import lines."""
    problems: list[str] = []
    tables = {**before.tables, **after.tables}
    columns: dict[str, set[str]] = {}
    for snapshot in (before, after):
        for name, info in snapshot.tables.items():
            columns.setdefault(name, set()).update(info.columns)
    uses_fixture = False
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            problem = _import_problem(node)
            if problem:
                problems.append(problem)
        elif isinstance(node, ast.Name):
            if node.id == "migrations":
                uses_fixture = True
            if node.id in FORBIDDEN_MODULES:
                problems.append(f"uses {node.id!r}, which is not allowed (no OS, files or network)")
            if node.id in FORBIDDEN_CALLS:
                problems.append(f"uses {node.id}(), which is not allowed")
            elif node.id.startswith("__"):  # __builtins__["__import__"]("os") names nothing forbidden
                problems.append(f"uses the dunder name {node.id!r}, which is not allowed")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("__"):
            problems.append(f"uses the dunder attribute {node.attr!r}, which is not allowed")
        elif isinstance(node, ast.Attribute) and (
            node.attr in ENGINE_FACTORIES
            or (node.attr in ALEMBIC_RUNNERS and isinstance(node.value, ast.Name) and node.value.id == "alembic")
        ):
            shown = f"alembic.{node.attr}" if node.attr in ALEMBIC_RUNNERS else node.attr
            problems.append(f"uses {shown}, which is not allowed (use the migrations fixture's scratch databases, no other database)")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            problems += _check_call(node, tables, columns)
    if not uses_fixture:
        problems.append("does not use the migrations fixture, so it tests nothing about the revision")
    problems += check_names(tree, imports, reported=FORBIDDEN_MODULES | FORBIDDEN_CALLS)
    return sorted(set(problems))


def _check_call(node: ast.Call, tables: dict, columns: dict[str, set[str]]) -> list[str]:
    problems: list[str] = []
    assert isinstance(node.func, ast.Attribute)
    name = node.func.attr
    first = node.args[0] if node.args else None
    table = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
    if name in TABLE_CALLS and table is not None:
        if table not in tables:
            return [f"table {table!r} does not exist (tables: {', '.join(sorted(tables))})"]
        known = columns[table]
        if name == "column" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
            if node.args[1].value not in known:
                problems.append(f"column {table}.{node.args[1].value!s} does not exist (columns: {', '.join(sorted(known))})")
        if name == "insert" and len(node.args) > 1:
            for row in ast.walk(node.args[1]):
                if isinstance(row, ast.Dict):
                    for key in row.keys:
                        if isinstance(key, ast.Constant) and key.value not in known:
                            problems.append(f"column {table}.{key.value!s} does not exist (columns: {', '.join(sorted(known))})")
    if name == "execute" and table is not None:
        for referenced in SQL_TABLE.findall(table):
            if referenced not in tables:
                problems.append(f"the SQL names table {referenced!r}, which does not exist")
    return problems
