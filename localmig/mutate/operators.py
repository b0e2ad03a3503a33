"""Mutation operators: the ways people get migrations wrong, applied to ``upgrade()`` and ``downgrade()``.

Each operator finds its targets in the module's AST and makes one :class:`Mutant` per change, an
exact edit of the characters of one node (see :mod:`localmig.mutate.source`); the rest of the
file stays as written. Only the bodies of the module-level ``upgrade`` and ``downgrade``
functions are mutated (helpers they call are not). A mutant that would not parse, or that
another operator already made, is dropped.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .source import Edit, Source
from .sql import where_removals

OperatorName = Literal[
    "op_removed", "nullable_flipped", "type_changed", "server_default_changed", "server_default_removed",
    "fk_action_removed", "unique_removed", "index_made_unique", "data_statement_removed", "where_removed",
]

OPERATORS: dict[str, str] = {
    "op_removed": "an op.* (or batch_op.*) schema call removed",
    "nullable_flipped": "nullable=True and nullable=False swapped",
    "type_changed": "Integer↔BigInteger, String(n)→Text, String(n)→String(n/2), Boolean→Integer",
    "server_default_changed": "a server_default given another value",
    "server_default_removed": "a server_default removed",
    "fk_action_removed": "ondelete= or onupdate= of a foreign key removed",
    "unique_removed": "a unique constraint removed, or a unique index (unique=True) made non-unique",
    "index_made_unique": "a non-unique index (unique=False) made unique",
    "data_statement_removed": "a data statement removed: op.execute, op.bulk_insert, connection.execute, ORM session calls",
    "where_removed": "the WHERE clause of an UPDATE or DELETE removed (SQL text or SQLAlchemy .where())",
}

Function = Literal["upgrade", "downgrade"]


class Mutant(BaseModel):
    """One change of one revision file."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Stable for the same source: revision, function, line, operator and a hash of the edit.")
    revision: str
    file: str = Field(description="The revision file, relative to the project root.")
    function: Function
    operator: OperatorName
    line: int
    description: str
    start: int = Field(description="Character offset of the edit in the original file.")
    end: int
    replacement: str
    context: str = Field(description="The statement the edit is in (and its batch table): which tables it names.")

    def apply(self, text: str) -> str:
        return Edit(self.start, self.end, self.replacement).apply(text)

    def diff(self, text: str) -> str:
        """The unified diff of the change against the original ``text``."""
        lines = difflib.unified_diff(text.splitlines(keepends=True), self.apply(text).splitlines(keepends=True),
                                     fromfile=f"a/{self.file}", tofile=f"b/{self.file}", n=2)
        return "".join(lines)


# op.* calls that are not schema changes (or are data statements, an operator of their own)
_NOT_SCHEMA = {"execute", "bulk_insert", "get_bind", "get_context", "f", "inline_literal", "invoke", "run_async",
               "implementation_for", "register_operation", "batch_alter_table"}
_ORM_WRITES = {"add", "add_all", "merge", "delete", "bulk_save_objects", "bulk_insert_mappings", "bulk_update_mappings"}
_EXECUTE = {"execute", "exec_driver_sql"}
_SMALL_INTEGERS = {"Integer", "INTEGER", "SmallInteger", "SMALLINT", "INT"}
_BIG_INTEGERS = {"BigInteger", "BIGINT"}
_STRINGS = {"String", "VARCHAR", "Unicode", "NVARCHAR"}
_BOOLEANS = {"Boolean", "BOOLEAN"}
_NOW = re.compile(r"current_timestamp|current_date|current_time|now\(\)|localtimestamp", re.IGNORECASE)


def _name(node: ast.AST) -> str | None:
    """The last name of ``x``, ``a.x`` or ``a.x(...)``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _receiver(call: ast.Call) -> ast.AST | None:
    return call.func.value if isinstance(call.func, ast.Attribute) else None


def _chain_names(node: ast.AST) -> set[str]:
    """Every attribute and function name along a call chain such as ``session.query(X).filter(...)``."""
    names: set[str] = set()
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
            node = node.value
        else:
            if isinstance(node, ast.Name):
                names.add(node.id)
            return names


def _string_literal(original: str, value: str) -> str:
    """``value`` as a Python literal, in the quote style of the ``original`` literal where possible."""
    if original.startswith('"') and not original.startswith('"""') and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return repr(value)


def _bumped_number(text: str) -> str | None:
    stripped = text.strip()
    try:
        number = int(stripped)
    except ValueError:
        try:
            return repr(float(stripped) + 1)
        except ValueError:
            return None
    return str(number + 1)


def _changed_sql_default(sql: str) -> str | None:
    """Another value for a server default given as SQL text (``sa.text("0")``, ``"'new'"``)."""
    bumped = _bumped_number(sql)
    if bumped is not None:
        return bumped
    upper = sql.strip().upper()
    if upper in ("TRUE", "FALSE"):
        return "FALSE" if upper == "TRUE" else "TRUE"
    if len(sql) >= 2 and sql.startswith("'") and sql.endswith("'"):
        return sql[:-1] + "_mutated'"
    if _NOW.search(sql):
        return "'2000-01-01 00:00:00'"
    return None


@dataclass
class _Scope:
    """What a statement is inside of: its function, and the batch operations' names and tables."""

    function: Function
    batches: dict[str, str] = field(default_factory=dict)  # `with op.batch_alter_table("t") as NAME` -> "t"
    sessions: set[str] = field(default_factory=set)
    table: str = ""  # the batch table of the block the statement is in


@dataclass
class _Found:
    operator: OperatorName
    node: ast.AST
    edit: Edit
    description: str


class _Finder:
    """Walks ``upgrade()`` and ``downgrade()`` statement by statement and yields every mutation."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.alias = self._sqlalchemy_alias()

    def _sqlalchemy_alias(self) -> str:
        for node in self.source.tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "sqlalchemy":
                        return alias.asname or "sqlalchemy"
        return '__import__("sqlalchemy")'

    def functions(self) -> Iterator[tuple[Function, ast.FunctionDef]]:
        for node in self.source.tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in ("upgrade", "downgrade"):
                yield node.name, node  # type: ignore[misc]

    def walk(self, body: list[ast.stmt], scope: _Scope) -> Iterator[tuple[ast.stmt, _Scope, _Found]]:
        for statement in body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            inner = scope
            if isinstance(statement, (ast.With, ast.AsyncWith)):
                inner = _Scope(scope.function, dict(scope.batches), set(scope.sessions), scope.table)
                for item in statement.items:
                    call = item.context_expr
                    if (isinstance(call, ast.Call) and _name(call) == "batch_alter_table"
                            and isinstance(item.optional_vars, ast.Name)):
                        table = call.args[0].value if call.args and isinstance(call.args[0], ast.Constant) else ""
                        inner.batches[item.optional_vars.id] = str(table)
                        inner.table = str(table)
            if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
                called = _name(statement.value) or ""
                if called.lower().endswith("session") or called in ("sessionmaker", "scoped_session"):
                    scope.sessions |= {t.id for t in statement.targets if isinstance(t, ast.Name)}
            for found in self.statement(statement, scope):
                yield statement, scope, found
            for child in ("body", "orelse", "finalbody"):
                nested = getattr(statement, child, None)
                if isinstance(nested, list) and nested and isinstance(nested[0], ast.stmt):
                    yield from self.walk(nested, inner)
            for handler in getattr(statement, "handlers", []):
                yield from self.walk(handler.body, inner)

    def _own_expressions(self, statement: ast.stmt) -> Iterator[ast.AST]:
        """The expressions of the statement itself (the headers of a compound one, not its blocks)."""
        for name, value in ast.iter_fields(statement):
            if name in ("body", "orelse", "finalbody", "handlers"):
                continue
            for node in value if isinstance(value, list) else [value]:
                if isinstance(node, ast.AST):
                    yield from ast.walk(node)

    def statement(self, statement: ast.stmt, scope: _Scope) -> Iterator[_Found]:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            yield from self.removals(statement, statement.value, scope)
        for node in self._own_expressions(statement):
            if isinstance(node, ast.Call):
                yield from self.call(node)

    # ---- statements removed

    def removals(self, statement: ast.Expr, call: ast.Call, scope: _Scope) -> Iterator[_Found]:
        name = _name(call) or ""
        receiver = _receiver(call)
        owner = receiver.id if isinstance(receiver, ast.Name) else None
        is_op = owner == "op" or owner in scope.batches
        shown = self.source.one_line(call)
        edit = self.source.remove_statement(statement)
        if is_op and name == "create_unique_constraint":
            yield _Found("unique_removed", call, edit, f"remove {shown}")
        if (owner == "op" and name in ("execute", "bulk_insert")) or self._data_call(call, owner, name, scope):
            yield _Found("data_statement_removed", call, edit, f"remove {shown}")
        elif is_op and name not in _NOT_SCHEMA:
            yield _Found("op_removed", call, edit, f"remove {shown}")

    def _data_call(self, call: ast.Call, owner: str | None, name: str, scope: _Scope) -> bool:
        if owner == "op" or owner in scope.batches:
            return False
        if name in _EXECUTE:
            return True
        if name in _ORM_WRITES and owner is not None and ("session" in owner.lower() or owner in scope.sessions):
            return True
        return name in ("update", "delete") and "query" in _chain_names(call)

    # ---- arguments changed

    def call(self, call: ast.Call) -> Iterator[_Found]:
        source = self.source
        called = _name(call) or ""
        for keyword in call.keywords:
            value = keyword.value
            if keyword.arg == "nullable" and isinstance(value, ast.Constant) and isinstance(value.value, bool):
                yield _Found("nullable_flipped", keyword, source.replace(value, str(not value.value)),
                             f"nullable={value.value} → nullable={not value.value} in {source.one_line(call, 70)}")
            elif keyword.arg == "type_":
                yield from self.types(value, call)
            elif keyword.arg == "server_default":
                yield _Found("server_default_removed", keyword, source.remove_argument(call, keyword),
                             f"remove server_default={source.one_line(value, 40)} from {source.one_line(call, 60)}")
                yield from self.default_changed(value, call)
            elif keyword.arg in ("ondelete", "onupdate"):
                yield _Found("fk_action_removed", keyword, source.remove_argument(call, keyword),
                             f"remove {keyword.arg}={source.one_line(value, 30)} from {source.one_line(call, 60)}")
            elif keyword.arg == "unique" and isinstance(value, ast.Constant) and isinstance(value.value, bool):
                if value.value:
                    yield _Found("unique_removed", keyword, source.replace(value, "False"),
                                 f"unique=True → unique=False in {source.one_line(call, 70)}")
                elif called == "create_index":
                    yield _Found("index_made_unique", keyword, source.replace(value, "True"),
                                 f"unique=False → unique=True in {source.one_line(call, 70)}")
        if called == "Column":
            positional = [a for a in call.args if not (isinstance(a, ast.Constant) and isinstance(a.value, str))]
            if positional:
                yield from self.types(positional[0], call)
        for argument in call.args:
            if isinstance(argument, ast.Call) and _name(argument) == "UniqueConstraint":
                yield _Found("unique_removed", argument, source.remove_argument(call, argument),
                             f"remove {source.one_line(argument, 60)} from {called}(...)")
        yield from self.sql(call, called)

    def types(self, node: ast.AST, call: ast.Call) -> Iterator[_Found]:
        name = _name(node)
        if name is None or not isinstance(node, (ast.Call, ast.Attribute, ast.Name)):
            return
        source, q = self.source, f"{self.alias}."
        where = f"in {source.one_line(call, 60)}"
        shown = source.one_line(node, 40)
        if name in _SMALL_INTEGERS:
            yield _Found("type_changed", node, source.replace(node, f"{q}BigInteger()"), f"{shown} → BigInteger() {where}")
        elif name in _BIG_INTEGERS or name in _BOOLEANS:
            yield _Found("type_changed", node, source.replace(node, f"{q}Integer()"), f"{shown} → Integer() {where}")
        elif name in _STRINGS:
            yield _Found("type_changed", node, source.replace(node, f"{q}Text()"), f"{shown} → Text() {where}")
            length = self._length(node)
            if length is not None and isinstance(length.value, int) and length.value >= 2:
                half = length.value // 2
                yield _Found("type_changed", node, source.replace(length, str(half)),
                             f"{shown} → length {half} {where}")

    @staticmethod
    def _length(node: ast.AST) -> ast.Constant | None:
        if not isinstance(node, ast.Call):
            return None
        candidates = [node.args[0]] if node.args else [k.value for k in node.keywords if k.arg == "length"]
        found = candidates[0] if candidates else None
        return found if isinstance(found, ast.Constant) and isinstance(found.value, int) else None

    def default_changed(self, value: ast.AST, call: ast.Call) -> Iterator[_Found]:
        source = self.source
        target: ast.Constant | None = None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            target = value
            changed = _bumped_number(value.value)
            if changed is None:
                lowered = value.value.lower()
                changed = {"true": "false", "false": "true"}.get(lowered, value.value + "_mutated")
        elif (isinstance(value, ast.Call) and _name(value) in ("text", "literal_column") and len(value.args) == 1
              and isinstance(value.args[0], ast.Constant) and isinstance(value.args[0].value, str)):
            target = value.args[0]
            changed = _changed_sql_default(str(target.value))
        if target is None or changed is None:
            return
        literal = _string_literal(source.segment(target), changed)
        yield _Found("server_default_changed", value, source.replace(target, literal),
                     f"server_default {source.one_line(value, 40)} → {literal} in {source.one_line(call, 60)}")

    def sql(self, call: ast.Call, called: str) -> Iterator[_Found]:
        source = self.source
        receiver = _receiver(call)
        if called == "where" and receiver is not None and _chain_names(receiver) & {"update", "delete"}:
            yield _Found("where_removed", call, source.replace(call, source.segment(receiver)),
                         f"remove .where({source.one_line(call.args[0], 50) if call.args else ''}) "
                         f"from {source.one_line(receiver, 50)}")
        if called not in ({"text"} | _EXECUTE) or not call.args:
            return
        text = call.args[0]
        if not (isinstance(text, ast.Constant) and isinstance(text.value, str)):
            return
        for new in where_removals(text.value):
            literal = _string_literal(source.segment(text), new)
            yield _Found("where_removed", text, source.replace(text, literal),
                         f"remove the WHERE clause: {' '.join(new.split())[:80]}")


def mutants_for(text: str, *, revision: str, file: str, operators: set[str] | None = None) -> list[Mutant]:
    """Every mutant of one revision file, in source order (operators limited to ``operators``)."""
    try:
        source = Source(text)
    except SyntaxError:
        return []
    finder = _Finder(source)
    mutants: list[Mutant] = []
    made: set[str] = {text}
    for function, node in finder.functions():
        scope = _Scope(function)
        for statement, where, found in finder.walk(node.body, scope):
            if operators is not None and found.operator not in operators:
                continue
            mutated = found.edit.apply(text)
            if mutated in made:
                continue
            try:
                ast.parse(mutated)
            except SyntaxError:
                continue
            made.add(mutated)
            line = found.node.lineno  # type: ignore[attr-defined]
            digest = hashlib.sha256(f"{found.edit.start}:{found.edit.end}:{found.edit.replacement}".encode()).hexdigest()[:6]
            context = source.segment(statement) + (f"\n# batch table: {where.table}" if where.table else "")
            mutants.append(Mutant(
                id=f"{revision}:{function}:{line}:{found.operator}:{digest}", revision=revision, file=file,
                function=function, operator=found.operator, line=line, description=found.description,
                start=found.edit.start, end=found.edit.end, replacement=found.edit.replacement, context=context,
            ))
    return mutants
