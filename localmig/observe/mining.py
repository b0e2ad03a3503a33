"""Values mined from a migration's own code, so seeded rows reach the branches its data steps take.

Used locally only: these literals are never sent to a model.
"""

from __future__ import annotations

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
    Used locally only; these literals are never sent to a model."""
    return _comparisons(_SET_CLAUSE.sub(" ", text))


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

