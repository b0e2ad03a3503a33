"""Values mined from a migration's own code, so seeded rows reach the branches its data steps take.

Two sources: the SQL text it runs (``WHERE status = 'x'``, ``LIKE '%@x'``), and its Python
expressions — SQLAlchemy Core and ORM conditions such as ``Model.status == 'x'``,
``table.c.kind.in_(['a', 'b'])``, ``column('deleted_at').is_(None)``, ``x > float('inf')``.
Used locally only: these literals are never sent to a model.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any

_COMPARISON = re.compile(
    r"\b([A-Za-z_][A-Za-z0-9_]*)\s*(<>|!=|<=|>=|=|<|>|\bI?LIKE\b)\s*('(?:[^']|'')*'|-?\d+(?:\.\d+)?)", re.IGNORECASE
)


# The assignments of an UPDATE: from SET to WHERE (or to the end of the Python string).
_SET_CLAUSE = re.compile(r"\bSET\b(.*?)(?=\bWHERE\b|\"|$)", re.IGNORECASE | re.DOTALL)


def source_literals(text: str) -> dict[str, list[Any]]:
    """Values that satisfy the comparisons in the migration's SQL (``status = 'x'``, ``id < 10``,
    ``email LIKE '%@x'``), by column name, so seeded rows reach the branches a data step takes.
    ``SET x = 1`` is an assignment, not a condition (see :func:`source_assignments`).
    Conditions written in Python (Core and ORM expressions) count too (:func:`code_literals`).
    Used locally only; these literals are never sent to a model."""
    found = _comparisons(_SET_CLAUSE.sub(" ", text))
    for column, values in code_literals(text).items():
        found.setdefault(column, []).extend(v for v in values if v not in found.get(column, []))
    return found


def source_assignments(text: str) -> dict[str, list[Any]]:
    """Values the migration's SQL assigns (``UPDATE t SET is_active = 0``), by column name: the
    row seeded to meet the conditions must not hold them already, or the update changes nothing."""
    found: dict[str, list[Any]] = {}
    for clause in _SET_CLAUSE.findall(text):
        for column, values in _comparisons(clause).items():
            found.setdefault(column, []).extend(v for v in values if v not in found.get(column, []))
    return found


def _comparisons(text: str) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for column, operator, raw in _COMPARISON.findall(text):
        operator = operator.upper()
        if raw.startswith("'"):
            value: Any = raw[1:-1].replace("''", "'")
            if "LIKE" in operator:
                value = value.replace("%", "x").replace("_", "y")
        else:
            value = float(raw) if "." in raw else int(raw)
            value = value - 1 if operator in ("<", "<>", "!=") else value + 1 if operator == ">" else value
        if operator in ("<>", "!=") and isinstance(value, str):
            continue
        values = found.setdefault(column.lower(), [])
        if value not in values:
            values.append(value)
    return found


_NEGATED = (ast.NotEq, ast.IsNot, ast.NotIn)
_METHODS = {"is_": "is", "isnot": "isnot", "is_not": "isnot", "in_": "in", "like": "like", "ilike": "like",
            "startswith": "start", "endswith": "end", "contains": "contains"}


def _column_of(node: ast.AST) -> str | None:
    """The column a Python expression names: ``Model.status``, ``t.c.status``, ``column('status')``,
    ``t.c['status']``, ``sa.column('status', sa.String)``."""
    if isinstance(node, ast.Attribute):  # not the migration's own branching: bind.dialect.name == 'sqlite'
        return None if "dialect" in ast.unparse(node.value) else node.attr
    if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and node.args:
        name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
        first = node.args[0]
        if name in ("column", "literal_column", "Column") and isinstance(first, ast.Constant) \
                and isinstance(first.value, str):
            return first.value
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    return None


def _value_of(node: ast.AST) -> tuple[bool, Any]:
    """(True, value) for a literal: constants, ``-1``, ``float('inf')``, ``None``."""
    if isinstance(node, ast.Constant) and not isinstance(node.value, bytes):
        return True, node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and isinstance(node.operand.value, (int, float)):
        return True, -node.operand.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float" and node.args:
        ok, text = _value_of(node.args[0])
        if ok and isinstance(text, str):
            try:
                return True, float(text)
            except ValueError:
                return False, None
    return False, None


def _meeting(operator: str, value: Any) -> Any:
    """A value that makes the condition true."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isinf(value)):
        return {"lt": value - 1, "gt": value + 1}.get(operator, value)
    if isinstance(value, str):
        if operator == "like":
            return value.replace("%", "x").replace("_", "y")
        return {"start": value + "x", "end": "x" + value, "contains": "x" + value + "x"}.get(operator, value)
    return value


def code_literals(text: str) -> dict[str, list[Any]]:
    """Values that satisfy the conditions of the migration's Python code, by column name."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    found: dict[str, list[Any]] = {}

    def add(column: str, value: Any) -> None:
        values = found.setdefault(column.lower(), [])
        if value not in values:
            values.append(value)

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            operator = node.ops[0]
            for side, other in ((node.left, node.comparators[0]), (node.comparators[0], node.left)):
                ok, value = _value_of(other)
                column = _column_of(side)
                if not ok or column is None:
                    continue
                if isinstance(operator, _NEGATED) and not isinstance(value, (int, float)):
                    break  # "status != 'x'": any other value meets it
                kind = {ast.Lt: "lt", ast.Gt: "gt"}.get(type(operator), "eq")
                if side is node.comparators[0]:  # 5 < x reads as x > 5
                    kind = {"lt": "gt", "gt": "lt"}.get(kind, kind)
                add(column, _meeting(kind, value))
                break
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _METHODS:
            method = _METHODS[node.func.attr]
            column = _column_of(node.func.value)
            if column is None or not node.args or method == "isnot":
                continue
            if method == "in":
                if isinstance(node.args[0], (ast.List, ast.Tuple, ast.Set)) and node.args[0].elts:
                    ok, value = _value_of(node.args[0].elts[0])
                    if ok:
                        add(column, value)
                continue
            ok, value = _value_of(node.args[0])
            if ok:
                add(column, _meeting(method, value))
    return found
