"""The history of a project, built once per session: a template database at every point, every downgrade run once.

Generated tests reach it through the ``migrations`` fixture; localmig's own capture runs on it too.
"""

from __future__ import annotations

import itertools
import shutil
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationStep
from alembic.script import ScriptDirectory

from .database import Database
from .errors import EnvironmentIgnoresURL, MigrationFailed, ScratchFull
from .models import differences_from_models
from .runner import MigrationRunner, describe_error
from .scratch import ScratchServer, scratch_folder
from .snapshot import Snapshot
from .urls import new_engine
from .views import SchemaView


class MigrationHistory:
    """Databases at every point of a history, built once, plus every downgrade run once.

    Revisions are taken in topological order (bases first). ``after(r)`` is the state after
    every revision up to ``r`` in that order, ``before(r)`` the state just before ``r``. A
    revision whose upgrade fails is skipped with everything that needs it; other branches go on.

    The history is applied in runs of at most :attr:`CHECKPOINT_EVERY` revisions (one env.py run
    each, reading the schema between steps) and a template database is kept after each run; a run
    also ends at each state ``keep_before``/``keep_after`` name. Any other state is made on demand
    from the nearest template. Templates other than those every :attr:`CHECKPOINT_EVERY` revisions
    are dropped, least recently used first, beyond :attr:`EXTRA_TEMPLATES` (a state dropped is made
    again on demand): at 1,000 revisions, keeping every one filled 2.8 GB of /dev/shm.

    Downgrades run newest first in one env.py run: for each revision its downgrade, then (with
    ``round_trips``) an upgrade again and the downgrade once more, reading the schema between
    steps. Where a downgrade raises or does not restore the previous schema, the walk starts
    again from the state just before that revision, so one broken downgrade hides nothing else.

    With round trips on SQLite, the build itself runs a revision's downgrade and round trip right
    after its upgrade (up, down, up: three steps instead of four) when the connection's change
    count shows that none of the three changed a row but the version table's: the database is
    then in the state after the revision again, schema and rows. Otherwise (rows changed, another
    database, a trace or an error) the walk does it as above, and a build that went off the known
    path is run again from its start.
    """

    CHECKPOINT_EVERY = 8
    EXTRA_TEMPLATES = 16  # templates kept beyond the checkpoints (states for data tests, made on demand)
    KEEP_REACH = 2 * CHECKPOINT_EVERY  # how far before the state asked for a build still keeps states for data tests
    EMPTY = ""  # the key of the state before any revision
    WALK_IN_BUILD = True  # run downgrades and round trips during the build where that is safe (see above)

    def __init__(
        self,
        config: Config,
        server_url: str | None = None,
        *,
        folder: str | None = None,
        round_trips: bool = True,
        needed: Iterable[str] | None = None,
        on_upgraded: Callable[[str], None] | None = None,
        initial: Callable[[sa.Connection], None] | None = None,
        walk_in_blocks: bool = False,
        keep_before: Iterable[str] = (),
        keep_after: Iterable[str] = (),
        script: ScriptDirectory | None = None,
    ) -> None:
        self.runner = MigrationRunner(config, script)
        self.folder = folder or scratch_folder()
        self._own_folder = folder is None
        self.scratch = ScratchServer.for_url(server_url, self.folder)
        self.round_trips = round_trips
        self.needed = None if needed is None else set(needed) & set(self.runner.order)
        self.on_upgraded = on_upgraded
        self.upgrade_errors: dict[str, str] = {}  # revision -> why it has no state
        self.downgrade_errors: dict[str, str] = {}
        self.round_trip_errors: dict[str, str] = {}
        self.applied: list[str] = []  # revisions with a state, in order
        self._rank = {revision: index for index, revision in enumerate(self.runner.order)}
        self._applied_at: dict[str, int] = {}  # revision -> its index in applied
        self._snapshots: dict[str, Snapshot] = {self.EMPTY: Snapshot({}, {})}  # state key -> schema
        self._templates: dict[str, str] = {self.EMPTY: "empty"}  # state key -> template database
        self._extra: OrderedDict[str, None] = OrderedDict()  # states of the droppable templates, least recent first
        self._downgraded: dict[str, Snapshot] = {}
        self._round_trips: dict[str, Snapshot] = {}
        self._position = 0  # index in order of the next revision to apply
        self._walked = False
        self._walk_from = 0  # rank of the first revision the build may walk in place (see build)
        # a generated suite's history walks only the blocks (of CHECKPOINT_EVERY revisions, from the
        # template at the block's end) its tests ask for, as they come: an xdist worker runs some of them,
        # and the history is built no further than the tests have reached (the templates kept for data
        # tests are made just before they run, not all at the first downgrade test)
        self.walk_in_blocks = walk_in_blocks
        # revisions whose state just before / right after gets a template of its own as the history is built:
        # the databases of data tests are copies of it, instead of copies made by replaying from the nearest one
        self.keep_before, self.keep_after = set(keep_before), set(keep_after)
        self.reread = 0  # objects reflected by the snapshots taken (the others were carried over)
        self.copies = 0  # databases copied from a template
        self.blocks_walked = 0  # walks of a block (counted: tests check a worker walks only its own)
        self._names = itertools.count()
        self._handed_out: list[Database] = []  # databases given out by database_before/after, not dropped yet
        empty = self.scratch.create("empty")
        if initial is not None:  # the schema the base revision expects (see initial.py)
            self._snapshots[self.EMPTY] = _start_from(empty, initial)

    @property
    def order(self) -> list[str]:
        return self.runner.order

    # ---- building the states

    def build(self, until: str | None = None) -> None:
        """Apply the history up to ``until`` (default: all of it), keeping templates.

        The states of ``keep_before``/``keep_after`` get a template only within :attr:`KEEP_REACH`
        revisions of ``until``: further back, no test of this session has asked for them yet (tests
        come in history order), so they are passed in full runs; an xdist worker or a shard that
        starts halfway builds the history before its tests in one env.py run per checkpoint. A
        state passed so is still made on demand, from the nearest template."""
        index = len(self.order) - 1 if until is None else self._rank[until]
        reach = index - self.KEEP_REACH  # ranks below it: pass, do not keep
        # walking as the tests come, the downgrades far before it are no test's of this session yet
        # (an xdist worker collects every test but runs a part): they wait for the block walk
        self._walk_from = reach if self.walk_in_blocks else 0
        while self._position <= index:
            chunk: list[str] = []
            while self._position < len(self.order):
                revision = self.order[self._position]
                if chunk and revision in self.keep_before and self._position >= reach:
                    break  # the chunk ends just before it: its last state is kept
                self._position += 1
                blocked = sorted(self.runner.parents(revision) & set(self.upgrade_errors))
                if blocked:
                    self.upgrade_errors[revision] = f"needs {blocked[0]}, which could not be applied"
                else:
                    chunk.append(revision)
                kept_after = revision in self.keep_after and self._position > reach
                if self._position % self.CHECKPOINT_EVERY == 0 or kept_after:
                    break
            if chunk:
                self._apply(chunk)

    def _apply(self, chunk: list[str]) -> None:
        start = self.applied[-1] if self.applied else self.EMPTY
        database = self._copy(self._template(start))
        done: list[str] = []
        current = [chunk[0], "upgrade"]  # the revision and the phase being run
        off_path: list[str] = []  # a revision walked in place that left the database off the known path

        def steps(context: Any) -> Iterator[MigrationStep]:
            previous = self._snapshots[start]
            for revision in chunk:
                current[:] = [revision, "upgrade"]
                # after an upgrade that changed no row but the version table's (SQLite counts them),
                # down and up again give the state after it back if they give its schema back
                counted = _row_changes(context.connection, 1) if self._walks_in_build(revision) else None
                yield self.runner.step(revision, upgrade=True)
                before = previous
                previous = Snapshot.take(context.connection, previous, skip=[self.runner.version_key])
                self.reread += previous.reread
                self._snapshots[revision] = previous
                done.append(revision)
                if counted is None or counted != _row_changes(context.connection):
                    continue
                back = yield from self._walk_in_place(context.connection, revision, before, previous, current)
                if not back or _row_changes(context.connection, -2) != counted:
                    off_path.append(revision)
                    return

        try:
            self.runner.run(database.url, steps)
        except (EnvironmentIgnoresURL, ScratchFull):  # not the migration's failure
            self.discard(database)
            raise
        except Exception as error:  # noqa: BLE001 - the migration's own failure: record it, redo the rest
            failed, phase = current
            by_phase = {"upgrade": self.upgrade_errors, "downgrade": self.downgrade_errors}
            errors = by_phase.get(phase, self.round_trip_errors)
            errors[failed] = describe_error(error, self.runner.folders())
            off_path.append(failed)
        if off_path:  # build the revisions done again, from the start, without the one that failed
            self.discard(database)
            self._position = self._rank[off_path[0]] + 1
            if done:
                self._apply(done)
            return
        database.dispose()
        for revision in chunk:
            self._applied_at[revision] = len(self.applied)
            self.applied.append(revision)
        checkpoint = self._position % self.CHECKPOINT_EVERY == 0 or self._position >= len(self.order)
        self._keep_template(chunk[-1], database.name, droppable=not checkpoint)
        if self.on_upgraded is not None:
            for revision in chunk:
                self.on_upgraded(revision)

    def _walks_in_build(self, revision: str) -> bool:
        """Whether the build runs ``revision``'s downgrade and round trip right after its upgrade:
        with round trips (down, up, down in a walk), that saves a downgrade per revision."""
        return (self.WALK_IN_BUILD and self.round_trips and self._rank[revision] >= self._walk_from
                and (self.needed is None or revision in self.needed)
                and revision not in self._downgraded and revision not in self.downgrade_errors
                and revision not in self.round_trip_errors)

    def _walk_in_place(self, connection: sa.Connection, revision: str, before: Snapshot, after: Snapshot,
                       current: list[str]) -> Generator[MigrationStep, None, bool]:
        """Downgrade ``revision`` right after its upgrade and upgrade it again, reading the schema
        after each; whether that gave the schema after its upgrade back."""
        skip = [self.runner.version_key]
        current[1] = "downgrade"
        yield self.runner.step(revision, upgrade=False)
        self._downgraded[revision] = down = Snapshot.take(connection, after, before, skip=skip)
        self.reread += down.reread
        if down.objects != before.objects:
            return False
        current[1] = "round trip"
        yield self.runner.step(revision, upgrade=True)
        self._round_trips[revision] = again = Snapshot.take(connection, down, after, skip=skip)
        self.reread += again.reread
        return again.objects == after.objects

    def _state_before(self, revision: str) -> str:
        self.build(revision)
        if revision in self.upgrade_errors:
            raise MigrationFailed(f"upgrade of {revision} failed: {self.upgrade_errors[revision]}")
        index = self._applied_at[revision]
        return self.applied[index - 1] if index else self.EMPTY

    def _state_after(self, revision: str) -> str:
        self._state_before(revision)
        return revision

    def _template(self, state: str) -> str:
        """The template database holding ``state``, made from the nearest one if needed."""
        if state in self._extra:
            self._extra.move_to_end(state)
        if state not in self._templates:
            index = self._applied_at[state]
            base = next(
                (i for i in range(index - 1, -1, -1) if self.applied[i] in self._templates), -1
            )
            database = self._copy(self._templates[self.applied[base] if base >= 0 else self.EMPTY])
            missing = self.applied[base + 1 : index + 1]
            self.runner.run(database.url, lambda context: (self.runner.step(r, upgrade=True) for r in missing))
            database.dispose()
            self._keep_template(state, database.name, droppable=True)
        return self._templates[state]

    def _keep_template(self, state: str, name: str, *, droppable: bool) -> None:
        """Keep database ``name`` as the template of ``state``; drop the least recently used droppable
        templates beyond :attr:`EXTRA_TEMPLATES`."""
        self._templates[state] = name
        if not droppable:
            return
        self._extra[state] = None
        while len(self._extra) > self.EXTRA_TEMPLATES:
            oldest, _ = self._extra.popitem(last=False)
            self.scratch.drop(self._templates.pop(oldest))

    def _copy(self, template: str) -> Database:
        name = f"db{next(self._names)}"
        self.copies += 1
        return Database(self.runner, self.scratch.copy(template, name), name)

    # ---- what tests use

    def database_before(self, revision: str) -> Database:
        """A fresh database in the state just before ``revision`` (dropped at :meth:`release`)."""
        return self._hand_out(self._copy(self._template(self._state_before(revision))))

    def database_after(self, revision: str) -> Database:
        """A fresh database in the state right after the upgrade of ``revision`` (dropped at :meth:`release`)."""
        return self._hand_out(self._copy(self._template(self._state_after(revision))))

    def _hand_out(self, database: Database) -> Database:
        self._handed_out.append(database)
        return database

    def discard(self, database: Database) -> None:
        """Drop a database this history made (one :meth:`database_before`/:meth:`database_after` gave out)."""
        database.dispose()
        self.scratch.drop(database.name)
        self._handed_out = [given for given in self._handed_out if given is not database]

    def release(self) -> None:
        """Drop every database :meth:`database_before`/:meth:`database_after` gave out and no one dropped
        (the ``migrations`` fixture calls it after each test: at 1,000 revisions, the data tests'
        databases kept to the end of the session filled 1.7 GB of /dev/shm)."""
        for database in list(self._handed_out):
            self.discard(database)

    def models_differences(self, revision: str) -> list[str] | None:
        """How env.py's ``target_metadata`` differs from the schema right after ``revision`` (the
        head, in generated tests), in words; None when env.py sets no target_metadata."""
        database = self.database_after(revision)
        try:
            return differences_from_models(self.runner, database.url)
        finally:
            self.discard(database)

    def schema_before(self, revision: str) -> SchemaView:
        return self._snapshots[self._state_before(revision)].view()

    def schema_after(self, revision: str) -> SchemaView:
        return self._snapshots[self._state_after(revision)].view()

    def schema_after_downgrade(self, revision: str) -> SchemaView:
        """The schema after the downgrade of ``revision``, run right after its upgrade."""
        self._state_after(revision)
        if self.walk_in_blocks:
            self._walk_block(revision)
        else:
            self.walk_downgrades()
        if revision in self.downgrade_errors:
            raise MigrationFailed(f"downgrade of {revision} failed: {self.downgrade_errors[revision]}")
        return self._downgraded[revision].view()

    def schema_after_round_trip(self, revision: str) -> SchemaView:
        """The schema after upgrade, downgrade and upgrade again of ``revision`` (made on
        demand when the walk ran without round trips)."""
        self.schema_after_downgrade(revision)
        if revision not in self._round_trips and revision not in self.round_trip_errors:
            database = self._copy(self._template(revision))
            try:
                self._walk(database, [revision], round_trip=True, through=True)
            finally:
                self.discard(database)
        if revision in self.round_trip_errors:
            raise MigrationFailed(
                f"upgrade of {revision} after its downgrade failed: {self.round_trip_errors[revision]}"
            )
        return self._round_trips[revision].view()

    # ---- the downgrade walk

    def walk_downgrades(self) -> None:
        """Run every downgrade once, newest first (with a round trip each, if asked); with
        ``needed``, only the downgrades of those revisions."""
        if self._walked:
            return
        if self.needed is None:
            self.build()
        elif self.needed:
            self.build(max(self.needed, key=self._rank.__getitem__))
        self._walked = True
        pending = [r for r in reversed(self.applied) if (self.needed is None or r in self.needed)
                   and r not in self._downgraded and r not in self.downgrade_errors]
        while pending:
            database = self._copy(self._template(pending[0]))
            try:
                pending = self._walk(database, pending)
            finally:
                self.discard(database)

    def _walk_block(self, revision: str) -> None:
        """Walk the downgrades not walked yet of the block of applied revisions holding ``revision``."""
        if self._walked or revision in self._downgraded or revision in self.downgrade_errors:
            return
        self.build(self.order[min(len(self.order) - 1, self._rank[revision] + self.CHECKPOINT_EVERY)])
        block = self._applied_at[revision] // self.CHECKPOINT_EVERY
        members = self.applied[block * self.CHECKPOINT_EVERY : (block + 1) * self.CHECKPOINT_EVERY]
        pending = [r for r in reversed(members) if r not in self._downgraded and r not in self.downgrade_errors
                   and (self.needed is None or r in self.needed or r == revision)]
        self.blocks_walked += 1
        while pending:
            database = self._copy(self._template(pending[0]))
            try:
                pending = self._walk(database, pending)
            finally:
                self.discard(database)

    def _walk(self, database: Database, pending: list[str], round_trip: bool | None = None,
              through: bool = False) -> list[str]:
        """Walk down from the state after ``pending[0]``; return what is left to walk. ``through``:
        upgrade again even after a downgrade that left a trace (a round trip asked for one revision)."""
        round_trip = self.round_trips if round_trip is None else round_trip
        position = {"revision": pending[0], "phase": "downgrade"}
        skip = [self.runner.version_key]

        def steps(context: Any) -> Iterator[MigrationStep]:
            here = pending[0]  # the database is in the state after this revision
            last = self._snapshots[here]  # ... whose schema was read as this
            for revision in pending:
                if revision != here:
                    return  # the next one to walk is further down: start again from its template
                here = self._state_before(revision)
                position.update(revision=revision, phase="downgrade")
                before, after = self._snapshots[here], self._snapshots[revision]
                yield self.runner.step(revision, upgrade=False)
                # Fingerprints are compared with this database's own last reading first: a table
                # batch mode rebuilt has other SQL text than in the forward pass, same schema.
                self._downgraded[revision] = last = Snapshot.take(context.connection, last, before, skip=skip)
                self.reread += last.reread
                if last.objects != before.objects and not through:
                    return  # off the known path: start again from the state before it
                if not round_trip:
                    continue
                position["phase"] = "round trip"
                yield self.runner.step(revision, upgrade=True)
                self._round_trips[revision] = again = Snapshot.take(context.connection, after, last, skip=skip)
                self.reread += again.reread
                if again.objects != after.objects:
                    return
                position["phase"] = "downgrade"
                yield self.runner.step(revision, upgrade=False)

        try:
            self.runner.run(database.url, steps)
        except (EnvironmentIgnoresURL, ScratchFull):  # not the migration's failure
            raise
        except Exception as error:  # noqa: BLE001 - the migration's own failure: record it
            errors = self.round_trip_errors if position["phase"] == "round trip" else self.downgrade_errors
            errors.setdefault(position["revision"], describe_error(error, self.runner.folders()))
        return pending[pending.index(position["revision"]) + 1 :]

    def close(self) -> None:
        self.scratch.close()
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def _start_from(url: sa.URL, initial: Callable[[sa.Connection], None]) -> Snapshot:
    """Apply ``initial`` to the empty database at ``url``; its schema then."""
    engine = new_engine(url)
    try:
        with engine.begin() as connection:
            initial(connection)
        with engine.connect() as connection:
            return Snapshot.take(connection)
    finally:
        engine.dispose()


def _row_changes(connection: sa.Connection, more: int = 0) -> tuple[int, int] | None:
    """On SQLite: rows inserted, updated or deleted so far on this connection (by triggers too;
    DDL is not counted) plus ``more``, and ``PRAGMA data_version``, which moves when another
    connection commits a change; None on other databases."""
    if connection.dialect.name != "sqlite":
        return None
    driver = connection.connection.driver_connection
    cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        version = cursor.execute("PRAGMA data_version").fetchone()[0]
    finally:
        cursor.close()
    return driver.total_changes + more, version  # type: ignore[union-attr]
