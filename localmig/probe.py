"""Data observation: seed synthetic rows before a revision, run it, and record what happens.

The rows are made up from the before-schema (types, lengths, NOT NULL, foreign keys; parents
before children; every value distinct so unique constraints hold). No row of any real database
is ever read: the scratch database starts empty. What the migration does to the rows becomes a
characterization test; a migration that fails or loses rows becomes a finding.
"""

from __future__ import annotations

import ast
import datetime
import decimal
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field
from pytest_localmig import MigrationHistory, describe_error

from .project import RevisionInfo
from .schema import ColumnInfo, SchemaSnapshot, TableInfo

ROWS_PER_TABLE = 2


class DataObservation(BaseModel):
    """Rows seeded before a revision and what they looked like after its upgrade and downgrade."""

    changes_data: bool = Field(description="The revision runs statements that may change rows.")
    seeds: dict[str, list[dict[str, Any]]]
    after_upgrade: dict[str, list[dict[str, Any]]] | None = None
    upgrade_error: str | None = None
    after_downgrade: dict[str, list[dict[str, Any]]] | None = Field(
        None, description="What the downgrade test expects: the seeded rows, or the observed ones for a data migration."
    )
    downgrade_error: str | None = None
    downgrade_lost: list[str] = Field(default_factory=list, description="Seeded rows the downgrade did not give back.")
    unstable_columns: dict[str, list[str]] = Field(default_factory=dict)


def observe(history: MigrationHistory, revision: RevisionInfo, before: SchemaSnapshot, after: SchemaSnapshot,
            touched: list[str]) -> DataObservation | None:
    """Seed, upgrade, read, downgrade, read (twice, to spot values that change between runs);
    ``None`` when the revision touches no table that existed before it."""
    text = _source(history, revision)
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?", text))
    words |= {part for word in words for part in word.split(".")}
    changes_data = bool(revision.data_operations)
    existing = [t for t in touched if t in before.tables and t in after.tables]
    if changes_data:
        existing += [t for t in before.tables if t in words and t not in existing]
    # tables the revision creates and fills (op.bulk_insert into a new lookup table...)
    created = {t for t in after.tables if changes_data and t in words and t not in before.tables}
    if not existing and not created:
        return None
    literals = source_literals(text) if changes_data else {}
    assigned = source_assignments(text) if changes_data else {}
    seeds = seed_rows(before, existing, literals=literals, assigned=assigned, edge=changes_data) if existing else {}
    readable = sorted(set(seeds) | created)
    first = _run(history, revision.id, seeds, readable, before, one_by_one=True)
    seeds = first.accepted
    if not seeds and not created:
        return None
    unstable: dict[str, list[str]] = {}
    if changes_data:  # a data step may write values that differ between runs (now(), uuid4()...)
        second = _run(history, revision.id, seeds, readable, before)
        unstable = _unstable(first.after_upgrade or {}, second.after_upgrade or {})
    for table in first.after_upgrade or {}:
        seeded = {column for row in seeds.get(table, []) for column in row}
        volatile = [
            c for c, info in after.tables[table].columns.items() if c not in seeded and _volatile_default(info.default)
        ]
        if volatile:
            unstable[table] = sorted(set(unstable.get(table, [])) | set(volatile))
    after_downgrade, lost = first.after_downgrade, []
    if not changes_data and after_downgrade is not None:
        lost = _differences(first.seeds_read, after_downgrade)
        after_downgrade = first.seeds_read
    return DataObservation(
        changes_data=changes_data,
        seeds=seeds,
        after_upgrade=first.after_upgrade,
        upgrade_error=first.upgrade_error,
        after_downgrade=after_downgrade,
        downgrade_error=first.downgrade_error,
        downgrade_lost=lost,
        unstable_columns=unstable,
    )


_VOLATILE = re.compile(r"current_|now\(|random|uuid|clock_|localtime|sysdate|getdate", re.IGNORECASE)


def _volatile_default(default: str | None) -> bool:
    """A server default whose value depends on when or where it runs (now(), random()...)."""
    return bool(default and _VOLATILE.search(default))


@dataclass
class _Run:
    accepted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    seeds_read: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    after_upgrade: dict[str, list[dict[str, Any]]] | None = None
    upgrade_error: str | None = None
    after_downgrade: dict[str, list[dict[str, Any]]] | None = None
    downgrade_error: str | None = None


def _run(history: MigrationHistory, revision: str, seeds: dict[str, list[dict[str, Any]]], readable: list[str],
         before: SchemaSnapshot, *, one_by_one: bool = False) -> _Run:
    """Seed, upgrade, read, downgrade, read. ``one_by_one`` inserts each row in its own
    transaction and keeps only the rows the schema accepts (check constraints, triggers...)."""
    folders = history.runner.folders()
    database = history.database_before(revision)
    result = _Run()
    try:
        for table, rows in seeds.items():
            if not one_by_one:
                database.insert(table, rows)
                result.accepted[table] = rows
                continue
            for row in rows:
                try:
                    database.insert(table, [row])
                except Exception:  # a constraint we could not foresee: leave the row out
                    continue
                result.accepted.setdefault(table, []).append(row)
        seeds = result.accepted
        result.seeds_read = {t: database.rows(t) for t in seeds}
        try:
            database.upgrade(revision)
        except Exception as error:  # the migration's failure on rows is the observation
            result.upgrade_error = describe_error(error, folders)
            return result
        present = database.tables()
        result.after_upgrade = {t: database.rows(t) for t in readable if t in present}
        try:
            database.downgrade(revision)
        except Exception as error:
            result.downgrade_error = describe_error(error, folders)
            return result
        present = database.tables()
        result.after_downgrade = {t: database.rows(t) for t in readable if t in present and t in before.tables}
        return result
    finally:
        database.dispose()
        history.scratch.drop(database.name)


def _unstable(first: dict[str, list[dict]], second: dict[str, list[dict]]) -> dict[str, list[str]]:
    unstable: dict[str, list[str]] = {}
    for table, rows in first.items():
        others = second.get(table, [])
        columns = {c for a, b in zip(rows, others) for c in a if a.get(c) != b.get(c)}
        if len(rows) != len(others):
            columns |= {c for row in rows for c in row}
        if columns:
            unstable[table] = sorted(columns)
    return unstable


def _differences(expected: dict[str, list[dict]], actual: dict[str, list[dict]]) -> list[str]:
    lines = []
    for table, rows in expected.items():
        got = actual.get(table)
        if got is None:
            lines.append(f"{table}: the table is gone")
        elif got != rows:
            lines.append(f"{table}: expected {len(rows)} rows {rows!r}, got {len(got)} rows {got!r}")
    return lines


def _source(history: MigrationHistory, revision: RevisionInfo) -> str:
    path = history.runner.script.get_revision(revision.id).path
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


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


# --------------------------------------------------------------------------- synthetic rows


def seed_rows(
    snapshot: SchemaSnapshot, tables: list[str], *, literals: dict[str, list[Any]] | None = None,
    assigned: dict[str, list[Any]] | None = None, edge: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """Rows for ``tables`` and the tables they reference, parents first; unseedable tables left out.

    Every table gets fully filled rows; with ``edge`` one more row has NULL in every nullable
    column that is not a key, and where ``literals`` name a column of the table, one more row
    carries those values (so a ``WHERE status IS NULL`` or ``WHERE kind = 'x'`` finds rows) and,
    in the columns named by ``assigned``, values other than the assigned ones.
    """
    wanted = _with_parents(snapshot, tables)
    seeds: dict[str, list[dict[str, Any]]] = {}
    for table in _parents_first(snapshot, wanted):
        rows = _rows_for(snapshot.tables[table], seeds, edge=edge and table in tables, literals=literals or {},
                         assigned=assigned or {})
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
              literals: dict[str, list[Any]], assigned: dict[str, list[Any]]) -> list[dict[str, Any]]:
    references: dict[str, list[Any] | None] = {}
    for fk in table.foreign_keys:
        parent = seeds.get(_target(fk))
        for column, referred in zip(fk.columns, fk.referred_columns):
            references[column] = [row.get(referred) for row in parent] if parent else None
    keys = set(table.primary_key.columns) | set(references)
    for unique in table.unique_constraints:
        keys |= set(unique.columns)
    applicable = {name: literals[name.lower()][0] for name in table.columns if name.lower() in literals}
    count = ROWS_PER_TABLE + (1 if edge else 0) + (1 if applicable else 0)
    rows = []
    for index in range(1, count + 1):
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
            if applicable and index == count and name in applicable and name not in table.primary_key.columns:
                row[name] = _fit(applicable[name], column)
                continue
            value = value_for(name, column, index)
            if applicable and index == count and name.lower() in assigned and name not in keys:
                if value in [_fit(a, column) for a in assigned[name.lower()]]:  # would hide the update
                    value = (not value) if isinstance(value, bool) else value_for(name, column, index + 100)
            if value is _NO_VALUE:
                if column.nullable or column.default is not None or column.autoincrement:
                    continue
                return []
            row[name] = value
        rows.append(row)
    return rows


def _fit(value: Any, column: ColumnInfo) -> Any:
    """A literal from the migration's SQL, converted to the column's type where it is simple."""
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


def value_for(name: str, column: ColumnInfo, index: int) -> Any:
    """A value of the column's type, distinct per ``index``."""
    type_ = column.type
    kind = type_.split("(", 1)[0]
    arguments = _arguments(type_)
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
        scale = arguments.get("scale") or 0
        return decimal.Decimal(index * 10 + 1) / (10 ** scale) if scale else decimal.Decimal(index * 10 + 1)
    if kind in ("Float", "Double"):
        return index + 0.5
    if kind == "DateTime":
        return datetime.datetime(2024, 1, index, 12, 30)
    if kind == "Date":
        return datetime.date(2024, 1, index)
    if kind == "Time":
        return datetime.time(12, index)
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


# --------------------------------------------------------------------------- rendering values


def literal(value: Any) -> tuple[str, set[str]]:
    """Python source for ``value`` and the imports it needs."""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)):
        return repr(value), {"import datetime"}
    if isinstance(value, decimal.Decimal):
        return f"decimal.{value!r}", {"import decimal"}
    if isinstance(value, uuid.UUID):
        return f"uuid.{value!r}", {"import uuid"}
    if isinstance(value, dict):
        parts, needs = [], set()
        for key, item in value.items():
            code, more = literal(item)
            parts.append(f"{key!r}: {code}")
            needs |= more
        return "{" + ", ".join(parts) + "}", needs
    if isinstance(value, (list, tuple)):
        codes = [literal(item) for item in value]
        text = ", ".join(code for code, _ in codes)
        return (f"[{text}]" if isinstance(value, list) else f"({text},)"), set().union(*(n for _, n in codes)) if codes else set()
    return repr(value), set()
