"""Equivalent mutants: a mutant no test could tell from the original is not counted.

The mutant revision runs from its parent's template (see :mod:`localmig.mutate.seed`): its
upgrade, then its downgrade, each schema compared with what the capture measured for the
original. Where both are the same, rows decide: localmig seeds the synthetic rows it seeds for
the revision's data tests, runs the original and the mutant on them, and compares the rows after
the upgrade and after the downgrade (columns whose values change from run to run left out).
Equal in all of that means equivalent.
"""

from __future__ import annotations

import re
from typing import Any

from alembic.config import Config
from pydantic import BaseModel, Field
from pytest_localmig import MigrationFailed, MigrationHistory, ScratchFull

from ..observe import observe
from ..project import RevisionInfo
from ..schema import SchemaDiff, SchemaSnapshot
from .seed import Seed, seed_history


class Reference(BaseModel):
    """What the capture measured for the original revision."""

    revision: RevisionInfo
    before: dict[str, Any] = Field(description="Schema objects before the revision.")
    after: dict[str, Any] = Field(description="Schema objects after its upgrade.")
    downgraded: dict[str, Any] | None = Field(None, description="After its downgrade (None when that raised).")
    downgrade_error: str | None = None
    touched: list[str] = Field(default_factory=list, description="Tables its upgrade changes.")


class Verdict(BaseModel):
    equivalent: bool
    detail: str


_LOCATION = re.compile(r" \(at [^)]*:\d+\)$")


def _error(error: BaseException) -> str:
    """A migration error without its file:line (a mutant moves lines), to compare two of them."""
    return _LOCATION.sub("", str(error).strip())


def _difference(before: dict[str, Any], after: dict[str, Any]) -> str:
    cache: dict[int, tuple] = {}
    diff = SchemaDiff.between(SchemaSnapshot.from_objects(before, cache), SchemaSnapshot.from_objects(after, cache))
    described = diff.describe()
    return described[0] + (f" (and {len(described) - 1} more)" if len(described) > 1 else "") if described else "differs"


def _history(config: Config, seed: Seed, db_url: str | None, folder: str) -> MigrationHistory:
    history = MigrationHistory(config, db_url, folder=folder, round_trips=False, needed=[seed.revision])
    history.CHECKPOINT_EVERY = 1  # only the revision itself is compared: apply no further
    seed_history(history, seed)
    return history


def compare(original: Config, mutant: Config, seed: Seed, reference: Reference, *, db_url: str | None,
            folder: str) -> Verdict:
    """Whether the ``mutant`` project's revision does what the ``original``'s does (see the module docstring)."""
    revision = reference.revision.id
    history = _history(mutant, seed, db_url, f"{folder}/mutant")
    try:
        try:
            after = history.schema_after(revision).objects
        except MigrationFailed as error:
            return Verdict(equivalent=False, detail=f"the mutant's upgrade fails: {_error(error)}")
        if after != reference.after:
            return Verdict(equivalent=False, detail=f"after the upgrade: {_difference(reference.after, after)}")
        try:
            downgraded, failure = history.schema_after_downgrade(revision).objects, None
        except MigrationFailed as error:
            downgraded, failure = None, _error(error)
        original_failure = _LOCATION.sub("", reference.downgrade_error or "") or None
        if (failure is None) != (original_failure is None):
            happened = f"fails: {failure}" if failure else "runs (the original's fails)"
            return Verdict(equivalent=False, detail=f"the mutant's downgrade {happened}")
        if downgraded is not None and reference.downgraded is not None and downgraded != reference.downgraded:
            return Verdict(equivalent=False,
                           detail=f"after the downgrade: {_difference(reference.downgraded, downgraded)}")
        rows = _rows_differ(original, history, seed, reference, db_url=db_url, folder=folder)
    finally:
        history.close()
    if rows:
        return Verdict(equivalent=False, detail=rows)
    return Verdict(equivalent=True, detail="the same schema after the upgrade and after the downgrade, and the same rows")


def _rows_differ(original: Config, mutant: MigrationHistory, seed: Seed, reference: Reference, *,
                 db_url: str | None, folder: str) -> str | None:
    """What differs in the rows between the original and the mutant (None: nothing)."""
    history = _history(original, seed, db_url, f"{folder}/original")
    try:
        cache: dict[int, tuple] = {}
        before = SchemaSnapshot.from_objects(reference.before, cache)
        after = SchemaSnapshot.from_objects(reference.after, cache)
        observation = observe(history, reference.revision, before, after, reference.touched)
        if observation is None or not observation.seeds:
            return None
        tables = sorted(set(observation.seeds) | (after.tables.keys() - before.tables.keys()))
        expected = _rows_through(history, reference.revision.id, observation.seeds, tables, observation.unstable_columns)
    finally:
        history.close()
    found = _rows_through(mutant, reference.revision.id, observation.seeds, tables, observation.unstable_columns)
    for phase in ("upgrade", "downgrade"):
        if expected[phase] != found[phase]:
            return f"rows after the {phase}: {_first_difference(expected[phase], found[phase])}"
    return None


def _rows_through(history: MigrationHistory, revision: str, seeds: dict[str, list[dict]], tables: list[str],
                  unstable: dict[str, list[str]]) -> dict[str, Any]:
    """Seed, upgrade, read, downgrade, read: the rows (or the error) after each step."""
    database = history.database_before(revision)
    result: dict[str, Any] = {"upgrade": None, "downgrade": None}
    try:
        for table, rows in seeds.items():
            database.insert(table, rows)
        for phase in ("upgrade", "downgrade"):
            try:
                getattr(database, phase)(revision)
            except ScratchFull:
                raise
            except Exception as error:  # the migration's failure on rows is what is compared
                result[phase] = f"error: {_error(error)}"
                break
            present = database.tables()
            result[phase] = {t: database.rows(t, without=unstable.get(t, [])) for t in tables if t in present}
    finally:
        history.discard(database)
    return result


def _first_difference(expected: Any, found: Any) -> str:
    if not isinstance(expected, dict) or not isinstance(found, dict):
        return f"{found} instead of {expected}"
    for table in sorted(set(expected) | set(found)):
        if expected.get(table) != found.get(table):
            return f"{table} holds {found.get(table)!r:.200} instead of {expected.get(table)!r:.200}"
    return "they differ"
