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

from ..harness import MigrationHistory, describe_error
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

