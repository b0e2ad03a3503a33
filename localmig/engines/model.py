"""The model engine: tests proposed by a local model, validated, repaired in bounded rounds.

The model answers in a JSON schema built from :class:`ModelAnswer` (bounded lists and strings).
An answer is checked in two steps: pydantic, then semantics (names, Python syntax, imports,
calls that reach the OS, tables and columns that exist). Each failure goes back to the model
with the precise errors, at most ``repair_rounds`` times. Every request, cached or not, is
logged in the store; a cached answer is replayed instead of asking the model again.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import textwrap
import threading
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ..config import ModelProfile
from ..context import ModelContext, estimate_tokens, fit, redact_failure
from ..errors import AnswerInvalid, CacheMiss
from ..events import EventSink, ModelToken, RevisionProgress, ignore
from ..plan import TEST_NAME, TestCase, TestPlan
from ..prompts import PromptSet
from ..schema import SchemaSnapshot
from ..store import Exchange, Store, cache_key
from ..verify import TestOutcome

if TYPE_CHECKING:
    from ..llm import OllamaModel

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


class Conversation(BaseModel):
    """The messages exchanged with the model about one revision."""

    revision: str
    messages: list[dict[str, str]]
    context: ModelContext
    exchanges: list[int] = Field(default_factory=list)
    rounds: int = 0
    seconds: float = Field(0.0, description="Time spent waiting for the model (cache hits cost none).")
    prompt_tokens: int = 0
    answer_tokens: int = 0
    cache_hits: int = 0
    cut_off: bool = Field(False, description="The last answer stopped at num_predict.")


class ModelEngine:
    """Asks a model for tests and brings its answers into shape."""

    def __init__(self, model: OllamaModel | None, profile: ModelProfile, prompts: PromptSet, store: Store, *,
                 replay_only: bool = False, events: EventSink = ignore, cancel: threading.Event | None = None) -> None:
        self.model = model
        self.cancel = cancel
        self.profile = profile
        self.prompts = prompts
        self.store = store
        self.replay_only = replay_only
        self.events = events
        self.schema = answer_schema()

    @property
    def settings_sha256(self) -> str:
        """What makes answers differ: model tag, options, prompts version (recorded in file headers)."""
        material = json.dumps([self.profile.model, self.profile.options.model_dump(), self.prompts.version], sort_keys=True)
        return hashlib.sha256(material.encode()).hexdigest()[:16]

    # ---- prompts

    def system_prompt(self) -> str:
        return self.prompts.render("system", fixture_api=FIXTURE_API, allowed_imports=", ".join(ALLOWED_MODULES), max_tests=MAX_TESTS)

    def messages_for(self, context: ModelContext) -> list[dict[str, str]]:
        """The first request for a revision, cut to the profile's context window if needed."""
        system = self.system_prompt()
        budget = self.profile.options.num_ctx - self.profile.options.num_predict - estimate_tokens(json.dumps(self.schema))

        def render(c: ModelContext) -> str:
            return system + self.prompts.render("generate", **c.variables())

        fitted = fit(context, render, budget)
        if fitted.cut:
            self.events(RevisionProgress(revision=context.revision, stage="model", detail=f"context cut: {'; '.join(fitted.cut)}"))
        return [{"role": "system", "content": system}, {"role": "user", "content": self.prompts.render("generate", **fitted.variables())}]

    def start(self, context: ModelContext) -> Conversation:
        return Conversation(revision=context.revision, messages=self.messages_for(context), context=context)

    # ---- asking

    def ask(self, conversation: Conversation, purpose: str) -> str:
        """The answer to the conversation so far: from the cache, else from the model. Logged."""
        options = self.profile.options.model_dump(exclude_none=True)
        sent = self._within_budget(conversation.messages)
        key = cache_key(sent, self.profile.model, options, self.prompts.version, self.schema)
        exchange = Exchange(
            revision=conversation.revision, purpose=purpose, model=self.profile.model,
            host=self.model.host if self.model else "", options=options, prompts_version=self.prompts.version,
            cache_key=key, messages=sent,
        )
        conversation.cut_off = False
        cached = self.store.cached(key)
        if cached is not None:
            exchange.answer, exchange.cache_hit = cached, True
        elif self.replay_only or self.model is None:
            raise CacheMiss(
                f"no cached answer for {conversation.revision} ({purpose}) with {self.profile.model} and prompts {self.prompts.version}",
                hint="run once with the model available to fill the cache (.localmig/localmig.db), or drop --replay-only",
            )
        else:
            self.events(RevisionProgress(revision=conversation.revision, stage="model" if purpose == "generate" else "repairing"))
            reply = self.model.chat(sent, self.schema,
                                    lambda text: self.events(ModelToken(revision=conversation.revision, text=text)),
                                    cancel=self.cancel)
            exchange.answer, exchange.prompt_tokens, exchange.answer_tokens, exchange.seconds = (
                reply.content, reply.prompt_tokens, reply.answer_tokens, reply.seconds)
            self.store.remember(key, self.profile.model, reply.content)
            conversation.seconds += reply.seconds
            conversation.prompt_tokens += reply.prompt_tokens or 0
            conversation.answer_tokens += reply.answer_tokens or 0
            conversation.cut_off = reply.done_reason == "length"
        conversation.cache_hits += exchange.cache_hit
        conversation.exchanges.append(self.store.log(exchange))
        conversation.messages = conversation.messages + [{"role": "assistant", "content": exchange.answer}]
        return exchange.answer

    def _within_budget(self, messages: list[dict[str, str]]) -> list[dict[str, str]]:
        """The conversation, without its middle turns if it grew past the context window
        (the system prompt, the first request and the latest exchange are always kept)."""
        budget = self.profile.options.num_ctx - self.profile.options.num_predict
        if len(messages) <= 4 or estimate_tokens("".join(m["content"] for m in messages)) <= budget:
            return messages
        return messages[:2] + messages[-2:]

    def propose(self, conversation: Conversation, before: SchemaSnapshot, after: SchemaSnapshot,
                existing: list[str], purpose: str = "generate") -> TestPlan:
        """Ask until the answer validates, at most ``repair_rounds`` repairs; AnswerInvalid after that."""
        errors: list[str] = []
        for attempt in range(self.profile.repair_rounds + 1):
            answer = self.ask(conversation, purpose if attempt == 0 else "repair_answer")
            plan, errors = check_answer(answer, conversation.revision, before, after, existing)
            if errors and conversation.cut_off:
                errors.insert(0, f"the answer was cut off at {self.profile.options.num_predict} tokens: "
                                 "write fewer or shorter tests")
            self.store.update(conversation.exchanges[-1], errors=errors, outcome="valid" if plan else "invalid")
            if plan is not None:
                return plan
            conversation.messages = conversation.messages + [
                {"role": "user", "content": self.prompts.render("repair_answer", errors="\n".join(f"- {e}" for e in errors))}
            ]
        raise AnswerInvalid(
            f"{self.profile.model} gave no valid answer after {self.profile.repair_rounds} repair "
            f"round{'s' if self.profile.repair_rounds != 1 else ''}: "
            + "; ".join(errors[:3]),
            hint="see `localmig log --rev " + conversation.revision + "`; a larger model or another profile may do better",
        )

    def repair(self, conversation: Conversation, failures: list[TestOutcome], before: SchemaSnapshot,
               after: SchemaSnapshot, existing: list[str]) -> TestPlan:
        """Send the failing tests' pytest output back; a new (validated) set of model tests."""
        conversation.rounds += 1
        known = conversation.context.names() | _answer_literals(conversation.messages)
        report = "\n\n".join(redact_failure(f"{f.name}: {f.message}\n{_tail(f.output)}", known) for f in failures)
        conversation.messages = conversation.messages + [
            {"role": "user", "content": self.prompts.render("repair_tests", failures=report)}
        ]
        return self.propose(conversation, before, after, existing, purpose="repair_tests")


def _answer_literals(messages: list[dict[str, str]]) -> set[str]:
    """The names and literals of the tests the model wrote itself (it may see those again)."""
    known: set[str] = set()
    for message in messages:
        if message["role"] != "assistant":
            continue
        try:
            tests = json.loads(message["content"]).get("tests") or []
        except (ValueError, AttributeError):
            continue
        for test in tests:
            if not isinstance(test, dict):
                continue
            known |= {str(test.get("name", "")), str(test.get("docstring", "")).strip()}
            try:
                tree = ast.parse(textwrap.dedent(str(test.get("body", ""))))
            except SyntaxError:
                continue
            known |= {str(node.value) for node in ast.walk(tree)
                      if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)) and not isinstance(node.value, bool)}
    return known


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# --------------------------------------------------------------------------- validation


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
            tree = ast.parse(body)
        except SyntaxError as error:
            errors.append(f"{where}: Python syntax error at line {error.lineno}: {error.msg}")
            continue
        errors += [f"{where}: {problem}" for problem in check_body(tree, before, after)]
        tests.append(TestCase(name=test.name if TEST_NAME.match(test.name) else "test_invalid", aspect=test.aspect,
                              docstring=test.docstring.strip(), body=body, engine="model"))
    if errors:
        return None, errors
    return TestPlan(revision=revision, tests=tests, imports=sorted(imports)), []


def _check_import_line(line: str) -> str | None:
    try:
        tree = ast.parse(line.strip())
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
    return None


def check_body(tree: ast.Module, before: SchemaSnapshot, after: SchemaSnapshot) -> list[str]:
    """What is wrong with a test body: forbidden imports or calls, unknown tables or columns."""
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
    return sorted(set(problems))


def _check_call(node: ast.Call, tables: dict, columns: dict[str, set[str]]) -> list[str]:
    problems = []
    name = node.func.attr
    first = node.args[0] if node.args else None
    table = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
    if name in TABLE_CALLS and table is not None:
        if table not in tables:
            return [f"table {table!r} does not exist (tables: {', '.join(sorted(tables))})"]
        known = columns[table]
        if name == "column" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
            if node.args[1].value not in known:
                problems.append(f"column {table}.{node.args[1].value} does not exist (columns: {', '.join(sorted(known))})")
        if name == "insert" and len(node.args) > 1:
            for row in ast.walk(node.args[1]):
                if isinstance(row, ast.Dict):
                    for key in row.keys:
                        if isinstance(key, ast.Constant) and key.value not in known:
                            problems.append(f"column {table}.{key.value} does not exist (columns: {', '.join(sorted(known))})")
    if name == "execute" and table is not None:
        for referenced in SQL_TABLE.findall(table):
            if referenced not in tables:
                problems.append(f"the SQL names table {referenced!r}, which does not exist")
    return problems
