"""Data observation: seed synthetic rows before a revision, run it, and record what happens.

No row of any real database is ever read: the scratch database starts empty. What the migration
does to the rows becomes a characterization test; a migration that fails or loses rows becomes a
finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field
from pytest_localmig import MigrationHistory, ScratchFull, describe_error

from ..project import RevisionInfo
from ..schema import SchemaSnapshot
from .mining import source_assignments, source_literals
from .seeds import seed_rows


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
    null_failure: NullFailure | None = Field(None, description="The upgrade fails on a seeded NULL (the rest was observed without it).")


class NullFailure(BaseModel):
    """A seeded NULL that makes the upgrade fail: where, the error, and the rows that show it."""

    columns: list[str] = Field(description="table.column, each of which alone makes the upgrade fail (or all tried).")
    error: str
    seeds: dict[str, list[dict[str, Any]]]


def observe(history: MigrationHistory, revision: RevisionInfo, before: SchemaSnapshot, after: SchemaSnapshot,
            touched: list[str], members: dict[str, list[str]] | None = None) -> DataObservation | None:
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
    seeds = seed_rows(before, existing, literals=literals, assigned=assigned, edge=changes_data,
                      members=members) if existing else {}
    readable = sorted(set(seeds) | created)
    first = _run(history, revision.id, seeds, readable, before, one_by_one=True)
    seeds = first.accepted
    if not seeds and not created:
        return None
    null_failure = None
    if first.upgrade_error and changes_data:
        null_failure, retried = _null_cause(history, revision.id, seeds, readable, before, first.upgrade_error)
        if retried is not None:
            first, seeds = retried, retried.accepted
    unstable: dict[str, list[str]] = {}
    if changes_data:  # a data step may write values that differ between runs (now(), uuid4()...)
        second = _run(history, revision.id, seeds, readable, before)
        unstable = _unstable(first.after_upgrade or {}, second.after_upgrade or {})
    for table in first.after_upgrade or {}:
        if table not in after.tables:  # kept by an upgrade that drops it only when it is empty (ckan's 083)
            continue
        seeded = {column for row in seeds.get(table, []) for column in row}
        volatile = [
            c for c, info in after.tables[table].columns.items() if c not in seeded and _volatile_default(info.default)
        ]
        # rows the history itself inserted (a lookup table filled with now()) differ from one build
        # of the database to the next: the suite builds its own, so their volatile-looking columns stay out
        if first.preexisting.get(table):
            volatile += _volatile_looking(after.tables[table].columns, first.preexisting[table])
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
        null_failure=null_failure,
    )


def _null_cause(history: MigrationHistory, revision: str, seeds: dict[str, list[dict[str, Any]]], readable: list[str],
                before: SchemaSnapshot, error: str) -> tuple[NullFailure | None, _Run | None]:
    """When the upgrade failed on rows that hold NULLs: run it again without them. If that works,
    the NULLs are the cause: say which columns (each tried alone, at most a few), and return the
    run without them so the rest of the data step is still observed."""
    with_null = {t: [r for r in rows if any(v is None for v in r.values())] for t, rows in seeds.items()}
    without = {t: [r for r in rows if not any(v is None for v in r.values())] for t, rows in seeds.items()}
    if not any(with_null.values()):
        return None, None
    # one by one: a child row that references a parent row left out (it held the NULL) is left out too,
    # where the database enforces the foreign key (zou's department_link on PostgreSQL)
    retried = _run(history, revision, {t: r for t, r in without.items() if r}, readable, before, one_by_one=True)
    if retried.upgrade_error:
        return None, None  # the NULLs are not what makes it fail
    candidates = sorted({f"{t}.{c}" for t, rows in with_null.items() for r in rows for c, v in r.items() if v is None})
    guilty = []
    if len(candidates) <= 6:
        for candidate in candidates:
            table, column = candidate.rsplit(".", 1)
            alone = {t: list(rows) for t, rows in without.items() if rows}
            row = next(r for r in with_null[table] if r.get(column, 0) is None)
            filled = {c: (v if v is not None or c == column else _filler(without.get(table), c)) for c, v in row.items()}
            alone.setdefault(table, []).append({c: v for c, v in filled.items() if v is not _MISSING})
            if _run(history, revision, alone, readable, before, one_by_one=True).upgrade_error:
                guilty.append(candidate)
    failure = NullFailure(columns=guilty or candidates, error=error,
                          seeds={t: rows for t, rows in seeds.items() if rows})
    return failure, retried


_MISSING = object()


def _filler(rows: list[dict[str, Any]] | None, column: str) -> Any:
    """A non-NULL value another seeded row of the table holds in ``column`` (unique columns aside,
    good enough to take one NULL away while keeping the row)."""
    for row in rows or []:
        if row.get(column) is not None:
            return row[column]
    return _MISSING


_TOKEN = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$|^[0-9a-f]{32,}$", re.IGNORECASE)


def _volatile_looking(columns: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    """Columns of history-inserted rows whose values depend on when or where they were made:
    timestamps, volatile server defaults, UUID- or token-like text."""
    found = []
    for name, info in columns.items():
        kind = info.type.split("(", 1)[0]
        values = [row.get(name) for row in rows]
        if kind in ("DateTime", "Date", "Time", "TIMESTAMP", "Uuid", "UUID") or _volatile_default(info.default) \
                or any(isinstance(v, str) and _TOKEN.match(v) for v in values):
            found.append(name)
    return found


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
    preexisting: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # rows the history put there


def _run(history: MigrationHistory, revision: str, seeds: dict[str, list[dict[str, Any]]], readable: list[str],
         before: SchemaSnapshot, *, one_by_one: bool = False) -> _Run:
    """Seed, upgrade, read, downgrade, read. ``one_by_one`` inserts each row in its own
    transaction and keeps only the rows the schema accepts (check constraints, triggers...)."""
    folders = history.runner.folders()
    database = history.database_before(revision)
    result = _Run()
    try:
        present = database.tables()
        result.preexisting = {t: rows for t in readable if t in present and (rows := database.rows(t))}
        for table, rows in seeds.items():
            if not one_by_one:
                database.insert(table, rows)
                result.accepted[table] = rows
                continue
            for row in rows:
                try:
                    database.insert(table, [row])
                except ScratchFull:
                    raise
                except Exception:  # a constraint we could not foresee: leave the row out
                    continue
                result.accepted.setdefault(table, []).append(row)
        seeds = result.accepted
        result.seeds_read = {t: database.rows(t) for t in seeds}
        try:
            database.upgrade(revision)
        except ScratchFull:
            raise
        except Exception as error:  # the migration's failure on rows is the observation
            result.upgrade_error = describe_error(error, folders)
            return result
        present = database.tables()
        result.after_upgrade = {t: database.rows(t) for t in readable if t in present}
        try:
            database.downgrade(revision)
        except ScratchFull:
            raise
        except Exception as error:
            result.downgrade_error = describe_error(error, folders)
            return result
        present = database.tables()
        result.after_downgrade = {t: database.rows(t) for t in readable if t in present and t in before.tables}
        return result
    finally:
        history.discard(database)


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

