"""What the history's own code declares about columns that the database cannot tell.

On SQLite an ``sa.Enum`` column is a VARCHAR: only the migration that created it knows its
members, and a data step whose ORM code loads the rows rejects any other value. This module
reads every revision's ``create_table`` / ``add_column`` / ``alter_column`` / batch operations
(with ``ast``, never by running anything new) and keeps, per ``table.column``, the members of
the enum it was given, resolving ``sa.Enum(SomePythonEnum)`` through the loaded revision
module. Reflected ``CHECK (col IN (...))`` constraints add members too.
"""

from __future__ import annotations

import ast
import enum
import re
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from ..schema import SchemaSnapshot
from ..syntax import parse

ENUM_TYPES = {"Enum", "ENUM"}
_IN_LIST = re.compile(r"\"?(\w+)\"?\s+IN\s*\(([^()]*)\)", re.IGNORECASE)


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _resolve(node: ast.AST, module: ModuleType | None) -> Any:
    """``SomeEnum`` or ``models.SomeEnum`` looked up in the revision module's namespace."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or module is None:
        return None
    value: Any = getattr(module, node.id, None)
    for part in parts:
        value = getattr(value, part, None)
    return value


def enum_members(call: ast.Call, module: ModuleType | None) -> list[str] | None:
    """The members of an ``Enum(...)`` type call: string arguments, or a Python enum's names."""
    if _name(call.func) not in ENUM_TYPES:
        return None
    labels = [s for a in call.args if (s := _string(a)) is not None]
    if labels:
        return labels
    if call.args:
        found = _resolve(call.args[0], module)
        if isinstance(found, type) and issubclass(found, enum.Enum):
            return [member.name for member in found]
    return None


def _column_type(call: ast.Call) -> ast.AST | None:
    """The type argument of ``Column(name, type, ...)`` / ``Column(name, type_=...)``."""
    if len(call.args) >= 2:
        return call.args[1]
    return next((k.value for k in call.keywords if k.arg in ("type_", "type")), None)


def declarations(source: str, module: ModuleType | None = None) -> dict[str, list[str]]:
    """``table.column`` -> enum members, for the upgrade() of one revision file."""
    try:
        tree = parse(source)
    except SyntaxError:
        return {}
    upgrade = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None)
    if upgrade is None:
        return {}
    found: dict[str, list[str]] = {}
    batch_tables: dict[str, str] = {}  # `with op.batch_alter_table("t") as batch_op` -> batch_op: t
    for node in ast.walk(upgrade):
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and _name(call.func) == "batch_alter_table" and call.args:
                    table = _string(call.args[0])
                    if table and isinstance(item.optional_vars, ast.Name):
                        batch_tables[item.optional_vars.id] = table
    for node in ast.walk(upgrade):
        if not isinstance(node, ast.Call):
            continue
        operation = _name(node.func)
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        in_batch = isinstance(owner, ast.Name) and owner.id in batch_tables
        table = batch_tables[owner.id] if in_batch else _string(node.args[0]) if node.args else None  # type: ignore[union-attr]
        if table is None:
            continue
        columns: list[ast.AST] = []
        if operation == "create_table":
            columns = list(node.args[1:])
        elif operation == "add_column":
            columns = [node.args[0] if in_batch else node.args[1]] if len(node.args) >= (1 if in_batch else 2) else []
        elif operation == "alter_column":
            name = _string(node.args[0] if in_batch else node.args[1]) if len(node.args) >= (1 if in_batch else 2) else None
            new_type = next((k.value for k in node.keywords if k.arg == "type_"), None)
            if name and isinstance(new_type, ast.Call) and (members := enum_members(new_type, module)):
                found[f"{table}.{name}"] = members
            continue
        for column in columns:
            if isinstance(column, ast.Call) and _name(column.func) == "Column" and column.args:
                name = _string(column.args[0])
                kind = _column_type(column)
                if name and isinstance(kind, ast.Call) and (members := enum_members(kind, module)):
                    found[f"{table}.{name}"] = members
    return found


def check_members(snapshot: SchemaSnapshot) -> dict[str, list[str]]:
    """``table.column`` -> the values a ``CHECK (column IN ('a', 'b'))`` constraint allows."""
    found: dict[str, list[str]] = {}
    for table, info in snapshot.tables.items():
        for check in info.check_constraints:
            for column, listed in _IN_LIST.findall(check.sqltext):
                values = re.findall(r"'((?:[^']|'')*)'", listed)
                if values:
                    found[f"{table}.{column}"] = [v.replace("''", "'") for v in values]
    return found


class DeclaredTypes:
    """Enum members declared by the history's revisions, accumulated in history order."""

    def __init__(self, revisions: Iterable[tuple[str, str, ModuleType | None]]) -> None:
        """``revisions``: (id, source, loaded module) in history order."""
        self._order: list[str] = []
        self._declared: dict[str, dict[str, list[str]]] = {}
        for revision, source, module in revisions:
            self._order.append(revision)
            self._declared[revision] = declarations(source, module)

    def members_before(self, revision: str, snapshot: SchemaSnapshot) -> dict[str, list[str]]:
        """What holds just before ``revision`` runs: every declaration of the revisions before it
        (a later one replaces an earlier one), then the CHECK constraints of ``snapshot``."""
        members: dict[str, list[str]] = {}
        for current in self._order:
            if current == revision:
                break
            members.update(self._declared[current])
        members.update(check_members(snapshot))
        return members
