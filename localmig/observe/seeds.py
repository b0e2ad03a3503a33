"""Synthetic rows valid in a schema: types, lengths, NOT NULL, foreign keys (parents first),
every value distinct so unique constraints hold."""

from __future__ import annotations

import ast
import datetime
import decimal
import uuid
from typing import Any

from ..schema import ColumnInfo, SchemaSnapshot, TableInfo

ROWS_PER_TABLE = 2
SERIAL_STEP = 100  # each seeded table's values start this much after the previous one's
MAX_LITERAL_ROWS = 6  # rows that each carry one value mined from the migration

def seed_rows(
    snapshot: SchemaSnapshot, tables: list[str], *, literals: dict[str, list[Any]] | None = None,
    assigned: dict[str, list[Any]] | None = None, edge: bool = False, members: dict[str, list[str]] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Rows for ``tables`` and the tables they reference, parents first; unseedable tables left out.

    Every table gets fully filled rows; with ``edge`` one more row has NULL in every nullable
    column that is not a key, and where ``literals`` name a column of the table, one more row
    carries those values (so a ``WHERE status IS NULL`` or ``WHERE kind = 'x'`` finds rows) and,
    in the columns named by ``assigned``, values other than the assigned ones. ``members``
    (``table.column`` -> allowed values: enum members the history declares) are the only values
    such a column gets. Values are distinct across tables too (the first table's ids are 1, 2, the
    next one's 101, 102...), so rows copied from one table into another cannot collide.
    """
    wanted = _with_parents(snapshot, tables)
    seeds: dict[str, list[dict[str, Any]]] = {}
    for table in _parents_first(snapshot, wanted):
        allowed = {column.split(".")[-1]: values for column, values in (members or {}).items()
                   if column.rsplit(".", 1)[0] == table}
        rows = _rows_for(snapshot.tables[table], seeds, edge=edge and table in tables, literals=literals or {},
                         assigned=assigned or {}, base=SERIAL_STEP * len(seeds), members=allowed)
        if rows:
            seeds[table] = rows
    return seeds


def _target(fk: Any) -> str:
    return f"{fk.referred_schema}.{fk.referred_table}" if fk.referred_schema else fk.referred_table


def _with_parents(snapshot: SchemaSnapshot, tables: list[str]) -> set[str]:
    found, todo = set(), list(tables)
    while todo:
        table = todo.pop()
        if table in found or table not in snapshot.tables:
            continue
        found.add(table)
        todo += [_target(fk) for fk in snapshot.tables[table].foreign_keys]
    return found


def _parents_first(snapshot: SchemaSnapshot, tables: set[str]) -> list[str]:
    order: list[str] = []
    remaining = sorted(tables)
    while remaining:
        ready = [t for t in remaining if all(_target(fk) in order or _target(fk) == t or _target(fk) not in tables
                                             for fk in snapshot.tables[t].foreign_keys)]
        if not ready:  # a cycle of foreign keys: seed the rest in name order
            ready = remaining[:1]
        order += ready
        remaining = [t for t in remaining if t not in ready]
    return order


def _rows_for(table: TableInfo, seeds: dict[str, list[dict[str, Any]]], *, edge: bool,
              literals: dict[str, list[Any]], assigned: dict[str, list[Any]], base: int = 0,
              members: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
    members = members or {}
    references: dict[str, list[Any] | None] = {}
    for fk in table.foreign_keys:
        parent = seeds.get(_target(fk))
        for own, referred in zip(fk.columns, fk.referred_columns):
            references[own] = [row.get(referred) for row in parent] if parent else None
    keys = set(table.primary_key.columns) | set(references)
    for unique in table.unique_constraints:
        keys |= set(unique.columns)
    applicable = {name: found for name in table.columns if name.lower() in literals
                  and name not in table.primary_key.columns
                  and (found := _allowed(literals[name.lower()], members.get(name))) is not _NO_VALUE}
    # one row with every mined value (for conditions that combine them), and where there are
    # several, one row per value too (a row a DELETE removes must not hide the one an UPDATE needs)
    literal_rows = [applicable] if applicable else []
    if len(applicable) > 1:
        literal_rows += [{name: value} for name, value in list(applicable.items())[:MAX_LITERAL_ROWS]]
    plain = ROWS_PER_TABLE + (1 if edge else 0)
    count = plain + len(literal_rows)
    rows = []
    for index in range(1, count + 1):
        chosen = literal_rows[index - plain - 1] if index > plain else {}
        row: dict[str, Any] = {}
        for name, column in table.columns.items():
            if column.computed:
                continue
            if name in references:
                values = references[name]
                if values:
                    row[name] = values[(index - 1) % len(values)]
                elif not column.nullable:
                    return []  # a required reference to a table we could not seed
                continue
            if edge and index == ROWS_PER_TABLE + 1 and column.nullable and name not in keys:
                row[name] = None
                continue
            if name in chosen and name not in table.primary_key.columns:
                row[name] = _fit(chosen[name], column)
                continue
            value = value_for(name, column, base + index, members.get(name))
            if chosen and name.lower() in assigned and name not in keys:
                if value in [_fit(a, column) for a in assigned[name.lower()]]:  # would hide the update
                    value = (not value) if isinstance(value, bool) else value_for(
                        name, column, base + index + SERIAL_STEP // 2, members.get(name))
            if value is _NO_VALUE:
                if column.nullable or column.default is not None or column.autoincrement:
                    continue
                return []
            row[name] = value
        rows.append(row)
    return rows


def _fit(value: Any, column: ColumnInfo) -> Any:
    """A literal from the migration's SQL, converted to the column's type where it is simple."""
    if value is None:
        return None
    kind = column.type.split("(", 1)[0]
    if kind in ("String", "Text", "Unicode", "UnicodeText"):
        length = _arguments(column.type).get("length")
        text = str(value)
        return text[:length] if length else text
    if kind in ("Integer", "BigInteger", "SmallInteger") and isinstance(value, (int, float)):
        return int(value)
    if kind == "Boolean" and value in (0, 1):
        return bool(value)
    return value


_NO_VALUE = object()


def _allowed(values: list[Any], members: list[str] | None) -> Any:
    """The first mined literal the column accepts (any, when it declares no members)."""
    for value in values:
        if members is None or value is None or value in members:
            return value
    return _NO_VALUE


def value_for(name: str, column: ColumnInfo, index: int, members: list[str] | None = None) -> Any:
    """A value of the column's type, distinct per ``index`` (one of ``members`` when given)."""
    type_ = column.type
    kind = type_.split("(", 1)[0]
    arguments = _arguments(type_)
    if members:
        return members[(index - 1) % len(members)]
    if kind == "Enum":
        labels = [a for a in arguments.get("args", []) if isinstance(a, str)]
        return labels[(index - 1) % len(labels)] if labels else _NO_VALUE
    if kind in ("Integer", "BigInteger", "SmallInteger"):
        return index
    if kind in ("String", "Text", "Unicode", "UnicodeText"):
        length = arguments.get("length")
        text = f"user{index}@example.test" if "email" in name.lower() else f"{name}-{index}"
        if length and len(text) > length:
            text = f"{name[: max(1, length - len(str(index)) - 1)]}-{index}"[-length:]
        return text
    if kind == "Boolean":
        return index % 2 == 1
    if kind == "Numeric":
        scale, precision = arguments.get("scale") or 0, arguments.get("precision")
        digits = index * 10 + 1
        if precision:  # keep within NUMERIC(precision, scale)
            digits %= 10 ** max(1, precision - 1)
        return decimal.Decimal(digits) / (10 ** scale) if scale else decimal.Decimal(digits)
    if kind in ("Float", "Double"):
        return index + 0.5
    if kind == "DateTime":
        return datetime.datetime(2024, 1, 1, 12, 30) + datetime.timedelta(days=index - 1)
    if kind == "Date":
        return datetime.date(2024, 1, 1) + datetime.timedelta(days=index - 1)
    if kind == "Time":
        return datetime.time((12 + index // 60) % 24, index % 60)
    if kind == "Interval":
        return datetime.timedelta(days=index)
    if kind in ("JSON", "JSONB"):
        return {"key": f"{name}-{index}"}
    if kind == "Uuid" or kind == "UUID":
        return uuid.UUID(int=index)
    if kind in ("LargeBinary", "BLOB", "_Binary"):
        return f"{name}-{index}".encode()
    return _NO_VALUE


def _arguments(type_: str) -> dict[str, Any]:
    """The arguments of a rendered type, e.g. ``String(length=50)`` -> {"length": 50}."""
    try:
        call = ast.parse(type_, mode="eval").body
    except SyntaxError:
        return {}
    if not isinstance(call, ast.Call):
        return {}
    found: dict[str, Any] = {"args": []}
    for argument in call.args:
        try:
            found["args"].append(ast.literal_eval(argument))
        except ValueError:
            pass
    for keyword in call.keywords:
        try:
            found[keyword.arg or ""] = ast.literal_eval(keyword.value)
        except ValueError:
            pass
    return found

