"""Start a mutant's history at its parent's template, so a mutant costs one revision's work.

Every state before the mutated revision is the same for the mutant as for the original (a
mutant changes one revision file, never the graph). localmig's capture already built those
states, so for each mutant it hands over a :class:`Seed`: a copy of the database just before the
revision, its schema snapshot, and which revisions before it applied. :func:`seed_history` puts
that into a fresh, not yet built ``MigrationHistory`` (the suite's own, through
:mod:`localmig.mutate.plugin`, or one localmig makes to compare schemas) as if it had built the
history up to there itself; building and the downgrade walk then start at the revision.

Other states before the revision are not copied; a test that asks for one (a test of this
revision that looks at an earlier revision) gets its snapshot from the seed's folder and its
database rebuilt from the empty state, as the harness does for any state without a template.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

SEEDED = "_localmig_mutant_seed"  # set on a history once seeded (a fixture may hand it out many times)
SEED_DATABASE = "seed"  # the seed's name among the history's scratch databases


class Seed(BaseModel):
    """Where a mutant's history starts: the state just before ``revision``."""

    revision: str
    position: int = Field(description="The revision's index in the history's topological order.")
    applied: list[str] = Field(description="Revisions before it that have a state, in order.")
    upgrade_errors: dict[str, str] = Field(default_factory=dict, description="Revisions before it that did not apply.")
    state: str = Field(description="The key of the state before it (the last applied revision; '' for the empty one).")
    objects: dict[str, Any] = Field(description="The schema snapshot of that state.")
    prints: dict[str, str] | None = Field(None, description="The fingerprint the snapshot was read at.")
    database: str = Field(description="URL of a database in that state (read only: histories copy it).")
    server: str | None = Field(None, description="The PostgreSQL server URL, or None for SQLite.")
    snapshots: str = Field(description="Folder of other states' snapshots, one JSON file each (see snapshot_file).")

    def write(self, path: Path) -> Path:
        path.write_text(self.model_dump_json(), encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: str | Path) -> Seed:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))


def snapshot_file(folder: str | Path, state: str) -> Path:
    """Where the snapshot of ``state`` is kept in a seed's snapshots folder."""
    return Path(folder) / f"{hashlib.sha1(state.encode()).hexdigest()}.json"


def write_snapshot(folder: str | Path, state: str, objects: dict[str, Any]) -> None:
    snapshot_file(folder, state).write_text(json.dumps({"state": state, "objects": objects}), encoding="utf-8")


class _Snapshots(dict):
    """The history's snapshots; one it does not hold is read from the seed's folder when asked for."""

    def __init__(self, known: dict[str, Any], folder: str, make: Any) -> None:
        super().__init__(known)
        self.folder = folder
        self.make = make

    def __missing__(self, state: str) -> Any:
        path = snapshot_file(self.folder, state)
        if not path.exists():
            raise KeyError(state)
        value = self.make(json.loads(path.read_text(encoding="utf-8"))["objects"], None)
        self[state] = value
        return value


def _copy_database(history: Any, seed: Seed) -> None:
    """Make the seed's database one of the history's scratch databases (named SEED_DATABASE)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    adopt = getattr(history.scratch, "adopt", None)  # a runtime before scratch roles has none
    if adopt is not None:
        adopt(SEED_DATABASE, seed.database)
        return
    target = history.scratch.url(SEED_DATABASE)
    source = make_url(seed.database)
    if source.get_backend_name() == "sqlite":
        shutil.copyfile(source.database or "", target.database)
    else:
        admin = create_engine(make_url(seed.server or seed.database), poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{target.database}" TEMPLATE "{source.database}"')
        finally:
            admin.dispose()
    history.scratch.created.append(SEED_DATABASE)


def seed_history(history: Any, seed: Seed) -> None:
    """Put ``seed`` into a ``MigrationHistory`` that has not built anything yet (see the module docstring).

    The history's attributes are localmig's own harness's; a history of another shape is refused.
    """
    if getattr(history, SEEDED, None) is not None:
        return
    needed = ("order", "applied", "upgrade_errors", "scratch", "_applied_at", "_snapshots", "_templates", "_position")
    missing = [name for name in needed if not hasattr(history, name)]
    if missing:
        raise RuntimeError(f"the suite's migration history has no {', '.join(missing)}: it is not one localmig "
                           "mutate can start at a revision (regenerate the suite with this localmig)")
    if history._position != 0 or history.applied:
        raise RuntimeError("the migration history was already built when localmig mutate was to seed it")
    order = list(history.order)
    if seed.position >= len(order) or order[seed.position] != seed.revision:
        raise RuntimeError(f"revision {seed.revision} is not at position {seed.position} of the mutant's history")
    empty_snapshot = history._snapshots[history.EMPTY]
    history._snapshots = _Snapshots(history._snapshots, seed.snapshots, type(empty_snapshot))
    if seed.state != history.EMPTY:
        _copy_database(history, seed)
        history._snapshots[seed.state] = type(empty_snapshot)(seed.objects, seed.prints)
        history._templates[seed.state] = SEED_DATABASE
    history.applied.extend(seed.applied)
    history._applied_at.update({revision: index for index, revision in enumerate(seed.applied)})
    history.upgrade_errors.update(seed.upgrade_errors)
    history._position = seed.position
    setattr(history, SEEDED, seed.revision)


def seed_from(history: Any, revision: str, *, snapshots: str | Path, server: str | None) -> tuple[Seed, Any]:
    """A seed for ``revision`` from a built history (localmig's capture): a fresh database in the
    state just before it (the caller drops it: ``history.discard(database)``)."""
    from pytest_localmig import fingerprint, url_to_string

    index = history.order.index(revision)
    prefix = set(history.order[:index])
    applied = history.applied[: history.applied.index(revision)]
    database = history.database_before(revision)
    with database.engine.connect() as connection:
        prints = fingerprint(connection)
    database.dispose()  # its kept session closed: the mutant's run copies this database
    if prints is not None:
        prints.pop(history.runner.version_key, None)
    seed = Seed(revision=revision, position=index, applied=applied,
                upgrade_errors={r: e for r, e in history.upgrade_errors.items() if r in prefix},
                state=applied[-1] if applied else history.EMPTY, objects=history.schema_before(revision).objects,
                prints=prints, database=url_to_string(database.url), server=server, snapshots=str(snapshots))
    return seed, database
