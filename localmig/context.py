"""The privacy boundary: the only module that assembles what a model sees.

A model is shown the revision's measured schema diff, the schemas of the tables it touches and
of their foreign-key neighbours, the migration source with data literals redacted, the names
of the tests that already exist, and the known findings. It is never shown database URLs,
credentials, rows read from any database, environment variables or paths outside the project.

Redaction keeps what describes the schema (table and column names, types, server defaults,
constraint names) and replaces every other literal: strings and numbers in SQL passed to
``op.execute``/``text()``/``connection.execute`` become ``:str_1``/``:num_1``, values in
``op.bulk_insert`` rows, in SQLAlchemy Core statements (``.values(...)``, ``.where(col == ...)``),
in bind parameters and any other constant become placeholders. Comments are dropped and
docstrings cut to their first line. SQL quoted in a finding (``[SQL: ...]``) is redacted too.
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

from pydantic import BaseModel, Field

from .errors import PromptTooLarge
from .project import RevisionInfo
from .schema import SchemaDiff, SchemaSnapshot

SCHEMA_CALLS = {
    "Column", "create_table", "add_column", "drop_column", "alter_column", "create_index", "drop_index",
    "create_foreign_key", "create_unique_constraint", "create_check_constraint", "create_primary_key",
    "drop_constraint", "drop_table", "rename_table", "batch_alter_table", "ForeignKey", "Index",
    "UniqueConstraint", "CheckConstraint", "PrimaryKeyConstraint", "ForeignKeyConstraint", "Enum", "ENUM",
    "String", "VARCHAR", "CHAR", "Numeric", "NUMERIC", "DECIMAL", "Computed", "Identity", "Sequence",
    "table", "column", "create_exclude_constraint", "f", "Table", "MetaData",
}
DATA_CALLS = {"execute", "bulk_insert", "exec_driver_sql", "text", "executemany", "insert", "update", "delete", "values", "where"}
REVISION_NAMES = {"revision", "down_revision", "branch_labels", "depends_on"}
SQL_TEXT_CALLS = {"execute", "exec_driver_sql", "text", "executemany"}  # their first argument is SQL text

_LOOKS_LIKE_SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|ALTER|CREATE|DROP|WITH|MERGE|TRUNCATE|COMMENT)\b", re.IGNORECASE)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FINDING_SQL = re.compile(r"\[SQL: (.*?)\](?= \(at |$)")

_SQL_STRING = re.compile(r"'(?:[^']|'')*'")
_SQL_NUMBER = re.compile(r"(?<![\w:.])-?\d+(?:\.\d+)?(?![\w.])")


def redact_sql(sql: str, counter: list[int]) -> str:
    """SQL with its string and number literals replaced by ``:str_N`` / ``:num_N``."""

    def string(_: re.Match[str]) -> str:
        counter[0] += 1
        return f":str_{counter[0]}"

    def number(_: re.Match[str]) -> str:
        counter[0] += 1
        return f":num_{counter[0]}"

    return _SQL_NUMBER.sub(number, _SQL_STRING.sub(string, sql))


class _Redactor(ast.NodeTransformer):
    def __init__(self) -> None:
        self.counter = [0]
        self.mode = ["redact"]
        self.protected: set[int] = set()  # docstrings, already cut to their first line

    def _name(self, call: ast.Call) -> str:
        func = call.func
        return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        name = self._name(node)
        if name in DATA_CALLS and not (name == "text" and self.mode[-1] == "keep"):
            mode = "sql"  # text() inside a Column is a server default: schema, kept
        elif name in SCHEMA_CALLS:
            mode = "keep"  # names of tables and columns, also inside a Core statement
        else:
            mode = self.mode[-1]
        self.mode.append(mode)
        try:
            if name == "bulk_insert" and len(node.args) >= 2:
                node.args[0] = self._kept(node.args[0])
                node.args[1] = self._rows(node.args[1])
                node.args[2:] = [self.visit(a) for a in node.args[2:]]
                node.keywords = [self.visit(k) for k in node.keywords]
                node.func = self.visit(node.func)
                return node
            if name in SQL_TEXT_CALLS and node.args and mode != "keep":
                node.func = self.visit(node.func)
                node.args = [self._sql_text(node.args[0])] + [self.visit(a) for a in node.args[1:]]
                node.keywords = [self.visit(k) for k in node.keywords]
                return node
            return self.generic_visit(node)
        finally:
            self.mode.pop()

    def _sql_text(self, node: ast.AST) -> ast.AST:
        """SQL text (a string, an f-string or a concatenation): its literals become :str_N / :num_N."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return ast.copy_location(ast.Constant(redact_sql(node.value, self.counter)), node)
        if isinstance(node, ast.JoinedStr):
            node.values = [self._sql_text(v) if isinstance(v, ast.Constant) else self.visit(v) for v in node.values]
            return node
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            node.left, node.right = self._sql_text(node.left), self._sql_text(node.right)
            return node
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            node.left, node.right = self._sql_text(node.left), self.visit(node.right)
            return node
        return self.visit(node)

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        """In a statement, keys that are names (columns, bind parameters) stay; values never do."""
        if self.mode[-1] != "sql":
            return self.generic_visit(node)
        node.keys = [
            key if isinstance(key, ast.Constant) and isinstance(key.value, str) and _IDENTIFIER.match(key.value)
            else (self.visit(key) if key is not None else None)
            for key in node.keys
        ]
        node.values = [self.visit(value) for value in node.values]
        return node

    def _kept(self, node: ast.AST) -> ast.AST:
        self.mode.append("keep")
        try:
            return self.visit(node)
        finally:
            self.mode.pop()

    def _rows(self, node: ast.AST) -> ast.AST:
        """bulk_insert rows: keep the dict keys (column names), redact the values."""
        for child in ast.walk(node):
            if isinstance(child, ast.Dict):
                child.values = [self._placeholder(v) if isinstance(v, ast.Constant) else self.visit(v) for v in child.values]
        return node

    def _placeholder(self, node: ast.Constant) -> ast.AST:
        if node.value is None or isinstance(node.value, bool):
            return node
        self.counter[0] += 1
        kind = "str" if isinstance(node.value, str) else "num"
        return ast.copy_location(ast.Constant(f"<{kind}_{self.counter[0]}>"), node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        mode = self.mode[-1]
        if id(node) in self.protected or mode == "keep" or node.value is None or isinstance(node.value, (bool, bytes)) or node.value is Ellipsis:
            return node
        if isinstance(node.value, str) and _LOOKS_LIKE_SQL.match(node.value):
            return ast.copy_location(ast.Constant(redact_sql(node.value, self.counter)), node)
        return self._placeholder(node)  # a value, wherever it is (statement parameters included)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        names = {t.id for t in node.targets if isinstance(t, ast.Name)}
        if names & REVISION_NAMES:
            return node
        return self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if isinstance(node.target, ast.Name) and node.target.id in REVISION_NAMES:
            return node
        return self.generic_visit(node)


def redact_finding(message: str) -> str:
    """A finding's message with the literals of the SQL it quotes (``[SQL: ...]``) redacted."""
    return _FINDING_SQL.sub(lambda m: f"[SQL: {redact_sql(m.group(1), [0])}]", message)


_PATH = re.compile(r"(?<![\w.~])(?:[A-Za-z]:)?(?:[\\/][^\s:'\"()\[\]\\/]+)+[\\/]([^\s:'\"()\[\]\\/]+)")
_QUOTED = re.compile(r"\"\"\"(.*?)\"\"\"|'((?:[^'\\\n]|\\.)*)'|\"((?:[^\"\\\n]|\\.)*)\"")
_TRUNCATED = re.compile(r"'(?!<str>)[^'\n]*\.\.\.")
_NUMBER = re.compile(r"(?<![\w.:<])-?\d+(?:\.\d+)?(?![\w.>])")


def redact_failure(text: str, known: set[str]) -> str:
    """pytest's report of a failed test, fit to go back to the model.

    The report quotes rows read from the scratch database (whose values come from the
    migrations' literals) and absolute paths of the staging folder and of installed packages.
    Paths become file names; a quoted string or a number stays only if it is in ``known`` (the
    schema's names and the literals of the model's own tests), else it becomes ``<str>`` /
    ``<num>``.
    """
    text = _PATH.sub(lambda m: m.group(1), text)

    def quoted(match: re.Match[str]) -> str:
        content = next(group for group in match.groups() if group is not None)
        return match.group(0) if not content or content in known else "'<str>'"

    text = _QUOTED.sub(quoted, text)
    text = _TRUNCATED.sub("'<str>...", text)  # pytest cut a long repr inside a string
    return _NUMBER.sub(lambda m: m.group(0) if m.group(0) in known else "<num>", text)


def _first_line_docstrings(tree: ast.Module) -> None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                first.value = ast.Constant(first.value.value.strip().splitlines()[0] if first.value.value.strip() else "")


def redact_source(source: str) -> str:
    """The migration source with data literals replaced, comments dropped, docstrings cut."""
    tree = ast.parse(source)
    _first_line_docstrings(tree)
    redactor = _Redactor()
    redactor.protected = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return ast.unparse(redactor.visit(tree))


class ModelContext(BaseModel):
    """Everything a model may see about one revision (and nothing else)."""

    revision: str
    message: str
    dialect: str
    changes: list[str]
    schema_before: dict[str, list[str]] = Field(description="table -> DDL-like lines")
    schema_after: dict[str, list[str]]
    source: str = Field(description="The redacted migration source.")
    neighbours: list[str] = Field(default_factory=list, description="Tables shown only as foreign-key neighbours.")
    existing_tests: list[str]
    findings: list[str]
    hint: str = ""
    cut: list[str] = Field(default_factory=list, description="What was left out to fit the context window.")

    def names(self) -> set[str]:
        """The names the model is shown anyway: revision, tables, columns, constraints."""
        text = " ".join([self.revision, *self.changes, *self.schema_before, *self.schema_after,
                         *(line for lines in self.schema_before.values() for line in lines),
                         *(line for lines in self.schema_after.values() for line in lines)])
        return {self.revision, *re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)}

    def variables(self) -> dict[str, str]:
        """The template variables of generate.txt."""
        return {
            "revision": self.revision,
            "message": self.message or "(no message)",
            "dialect": self.dialect,
            "changes": _lines(self.changes, "(no schema change)"),
            "schema_before": _tables(self.schema_before),
            "schema_after": _tables(self.schema_after),
            "source": self.source,
            "existing_tests": _lines(self.existing_tests, "(none)"),
            "findings": _lines(self.findings, "(none)"),
            "hint": f"\nWhat the reviewer asks for: {self.hint}\n" if self.hint else "",
            "cut": f"\n(Left out to fit the context window: {'; '.join(self.cut)}.)\n" if self.cut else "",
        }


def _lines(items: list[str], empty: str) -> str:
    return "\n".join(f"- {item}" for item in items) if items else empty


def _tables(tables: dict[str, list[str]]) -> str:
    if not tables:
        return "(no tables)"
    return "\n".join(f"{name}:\n" + "\n".join(f"  {line}" for line in lines) for name, lines in tables.items())


def build_context(
    revision: RevisionInfo,
    source_path: Path,
    diff: SchemaDiff,
    before: SchemaSnapshot,
    after: SchemaSnapshot,
    *,
    dialect: str,
    existing_tests: list[str],
    findings: list[str],
    hint: str = "",
) -> ModelContext:
    touched = set(diff.touched_tables)
    source = redact_source(source_path.read_text(encoding="utf-8"))
    mentioned = _mentioned_tables(source, before, after)  # in code, not in comments or docstring prose
    focus = touched | mentioned
    neighbours = before.neighbours(focus) | after.neighbours(focus)
    shown = sorted(focus | neighbours)
    return ModelContext(
        revision=revision.id,
        message=revision.message,
        dialect=dialect,
        changes=diff.describe(),
        schema_before={t: before.tables[t].describe() for t in shown if t in before.tables},
        schema_after={t: after.tables[t].describe() for t in sorted(touched) if t in after.tables},
        source=source,
        neighbours=sorted(neighbours),
        existing_tests=existing_tests,
        findings=[redact_finding(f) for f in findings],
        hint=hint,
    )


def _mentioned_tables(source: str, before: SchemaSnapshot, after: SchemaSnapshot) -> set[str]:
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", source))
    words |= {part for word in words for part in word.split(".")}
    return {t for t in set(before.tables) | set(after.tables) if t in words}


def estimate_tokens(text: str) -> int:
    """A conservative token estimate (code tokenises at roughly 3.5 characters per token)."""
    return math.ceil(len(text) / 3.5)


def fit(context: ModelContext, render: callable, budget: int) -> ModelContext:  # type: ignore[valid-type]
    """Cut optional parts of ``context`` until ``render(context)`` fits ``budget`` tokens.

    Order: foreign-key neighbours' schemas, the list of existing tests, then the source's
    tail. Raises PromptTooLarge when even the minimum does not fit.
    """
    if estimate_tokens(render(context)) <= budget:
        return context
    context = context.model_copy(deep=True)
    steps = []
    neighbours = context.neighbours
    if neighbours:
        steps.append(("schemas of neighbouring tables " + ", ".join(neighbours), lambda c: _drop_tables(c, neighbours)))
    if context.existing_tests:
        steps.append((f"the names of {len(context.existing_tests)} existing tests", lambda c: c.existing_tests.clear()))
    steps.append(("schemas of tables the revision only mentions", lambda c: _drop_unchanged(c)))
    for description, cut in steps:
        cut(context)
        context.cut.append(description)
        if estimate_tokens(render(context)) <= budget:
            return context
    lines = context.source.splitlines()
    while len(lines) > 20:
        lines = lines[: int(len(lines) * 0.8)]
        context.source = "\n".join(lines) + "\n# ... (rest of the source left out)"
        if estimate_tokens(render(context)) <= budget:
            context.cut.append(f"the source after line {len(lines)}")
            return context
    raise PromptTooLarge(
        f"the prompt for {context.revision} needs about {estimate_tokens(render(context))} tokens; the profile allows {budget}",
        hint="raise options.num_ctx in models.yaml (if the model supports it) or lower num_predict",
    )


def _drop_tables(context: ModelContext, tables: list[str]) -> None:
    for table in tables:
        context.schema_before.pop(table, None)
        context.schema_after.pop(table, None)


def _drop_unchanged(context: ModelContext) -> None:
    for table in list(context.schema_before):
        if context.schema_before.get(table) == context.schema_after.get(table):
            context.schema_before.pop(table)
