"""Running revisions: one migration step at a time, through the project's own env.py, on a URL it is handed.

:class:`MigrationRunner` stops (:class:`EnvironmentIgnoresURL`) if env.py connects anywhere but
the scratch database it was given.
"""

from __future__ import annotations

import heapq
import itertools
import os
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationStep, RevisionStep
from alembic.script import ScriptDirectory
from alembic.util import load_python_file
from sqlalchemy.engine import make_url

from .errors import EnvironmentIgnoresURL, HarnessError, scratch_space
from .guard import guarded_connects
from .urls import new_engine, same_database, scratch_place, url_to_string
from .watchdog import limited


def describe_error(error: BaseException, folders: Iterable[str] = ()) -> str:
    """``Type: first line of the message (at versions/x.py:12)`` for a migration's exception."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    sql = getattr(error, "statement", None)
    text = f"{type(error).__name__}: {message}"
    if sql and sql not in text:
        text += f" [SQL: {' '.join(str(sql).split())}]"
    roots = [os.path.realpath(folder) for folder in folders]
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        path = os.path.realpath(frame.filename)
        if any(path.startswith(root + os.sep) for root in roots):
            text += f" (at {os.path.basename(path)}:{frame.lineno})"
            break
    return text



class Downgrade(RevisionStep):
    """Alembic's downgrade step, without its walk of the whole history on every step.

    To tell a downgrade that deletes a branch from one that moves a head, Alembic collects every
    ancestor of the revision's parents (``_unmerge_to_revisions``) and keeps the parents that
    are none of the others' ancestors: O(history) per step, so a walk down 1,000 revisions spent
    4.5 of its 28 s there (``alembic downgrade base`` pays it too). With one parent and no other
    head that answer is the parent itself, whatever the history: given without the walk. Any
    other shape (a merge, several heads) goes through Alembic's own code.
    """

    def _unmerge_to_revisions(self, heads: set[str]) -> tuple[str, ...]:
        if len(self.to_revisions) <= 1 and set(heads) <= {self.revision.revision}:
            return tuple(self.to_revisions)
        return super()._unmerge_to_revisions(heads)


STEP_TIMEOUT_ENV = "LOCALMIG_STEP_TIMEOUT"  # seconds, the default step_timeout of every runner


class MigrationRunner:
    """Runs revisions one migration step at a time through the project's env.py.

    ``alembic.command.upgrade`` re-reads every revision file on each call; with hundreds of
    revisions a per-revision loop would be quadratic. The runner reads the ScriptDirectory once
    and hands env.py the steps to run, built with Alembic's ``MigrationStep``.
    """

    def __init__(self, config: Config, script: ScriptDirectory | None = None) -> None:
        self.config = config
        # ``script``: one loaded from ``config`` already, whose modules ran no step yet (reading
        # every revision file again took 0.8 s at 1,000 revisions)
        self.script = ScriptDirectory.from_config(config) if script is None else script
        self.order = topological_order(self.script)
        self.version_table = "alembic_version"
        # (table, its fingerprint) -> the table reflected for reading and writing rows
        self.row_tables: dict[tuple[str, str], sa.Table] = {}
        self.ran: set[str] = set()  # revisions whose module has run a step in this process
        self.module_hooks: list[Callable[[Any], None]] = []  # called with each module loaded again
        # seconds a step may run (StepTimedOut after that); None: no limit. localmig sets it for the suites it runs.
        self.step_timeout: float | None = float(os.environ.get(STEP_TIMEOUT_ENV) or 0) or None
        self.step_runs: Counter[str] = Counter()  # "upgrade <rev>" / "downgrade <rev>" -> how often it ran
        self.env_runs = 0  # env.py runs so far (counted: a test checks they grow linearly with the history)

    @property
    def version_key(self) -> str:
        """The key of the version table in a reflection (left out of every snapshot)."""
        return f"table:{self.version_table}"

    def step(self, revision: str, *, upgrade: bool) -> MigrationStep:
        """The step of ``revision``, from a fresh copy of its module when it ran before: a migration
        may change its own module-level data (``rules.pop(...)``), which a second run in the same
        process must not see. ``alembic upgrade`` runs each module once per process too."""
        script = self.script.get_revision(revision)
        assert script is not None
        if revision in self.ran:
            script.module = load_python_file(os.path.dirname(script.path), os.path.basename(script.path))
            for hook in self.module_hooks:
                hook(script.module)
        self.ran.add(revision)
        step = MigrationStep.upgrade_from_script(self.script.revision_map, script) if upgrade \
            else Downgrade(self.script.revision_map, script, False)
        direction = "upgrade" if upgrade else "downgrade"
        self.step_runs[f"{direction} {revision}"] += 1
        what = f"the {direction} of {revision}"
        step.migration_fn = limited(step.migration_fn, self.step_timeout, what, self.folders)
        return step

    def upgrade(self, url: sa.URL | str, revision: str, *, engine: sa.Engine | None = None) -> None:
        """Run the upgrade of ``revision`` alone (what it needs must already be applied)."""
        self.run(url, lambda context: iter([self.step(revision, upgrade=True)]), engine=engine)

    def downgrade(self, url: sa.URL | str, revision: str, *, engine: sa.Engine | None = None) -> None:
        """Run the downgrade of ``revision`` alone (it must be a current head)."""
        self.run(url, lambda context: iter([self.step(revision, upgrade=False)]), engine=engine)

    def parents(self, revision: str) -> set[str]:
        """The revisions ``revision`` directly needs: its down revisions and its depends_on."""
        script = self.script.get_revision(revision)
        needed = itertools.chain(_as_tuple(script.down_revision), _as_tuple(script.dependencies))
        return {self.script.get_revision(parent).revision for parent in needed}

    def folders(self) -> list[str]:
        """The folders holding revision files."""
        return [str(p) for p in self.script.version_locations] or [os.path.join(self.script.dir, "versions")]

    def run(self, url: sa.URL | str, steps: Callable[[Any], Iterator[MigrationStep]],
            engine: sa.Engine | None = None) -> None:
        """One run of env.py on ``url``; ``steps(migration_context)`` yields the steps to run.

        The steps are taken one at a time, so the iterator may look at the database (through
        ``migration_context.connection``) between two steps. ``engine``: the caller's engine on
        ``url`` (kept open; by default a new engine that pools nothing, disposed of after the run).
        An error saying the disk is full is :class:`ScratchFull`, not the migration's failure.
        """
        ran: list[bool] = []
        self.env_runs += 1

        def migrations(heads: Any, context: Any) -> Iterator[MigrationStep]:
            connected_to = context.connection.engine.url
            if not same_database(connected_to, url):
                raise EnvironmentIgnoresURL(
                    "env.py connected to "
                    f"{connected_to.render_as_string(hide_password=True)} instead of the scratch "
                    f"database {make_url(url).render_as_string(hide_password=True)} it was given"
                )
            self.version_table = context.version_table
            ran.append(True)
            return steps(context)

        self.config.set_main_option("sqlalchemy.url", url_to_string(url).replace("%", "%%"))
        own = engine is None
        engine = new_engine(url) if engine is None else engine
        where, server = scratch_place(url)
        try:
            with scratch_space(where, server=server), engine.connect() as connection:
                self.config.attributes["connection"] = connection
                with guarded_connects(url), EnvironmentContext(self.config, self.script, fn=migrations):
                    self.script.run_env()
                if connection.in_transaction():
                    connection.commit()
        finally:
            self.config.attributes.pop("connection", None)
            if own:
                engine.dispose()
        if not ran:
            raise HarnessError("env.py returned without running migrations (is it in offline mode?)")



def topological_order(script: ScriptDirectory) -> list[str]:
    """Every revision id, each after all it needs (down revisions and depends_on).

    Alembic's own walk order (reversed) decides between revisions that do not depend on
    each other, so the order is stable for a given history.
    """
    walk = [s.revision for s in reversed(list(script.walk_revisions()))]
    rank = {revision: index for index, revision in enumerate(walk)}
    needs = {}
    for revision in walk:
        found = script.get_revision(revision)
        needed = itertools.chain(_as_tuple(found.down_revision), _as_tuple(found.dependencies))
        needs[revision] = {script.get_revision(p).revision for p in needed}
    # Kahn's algorithm with the ready revisions in a heap by walk rank: the earliest ready one
    # first, as a scan of every revision per step would pick it, in O(N log N) instead of O(N^2).
    waiting = {revision: len(parents) for revision, parents in needs.items()}
    children: dict[str, list[str]] = {revision: [] for revision in walk}
    for revision, parents in needs.items():
        for parent in parents:
            children[parent].append(revision)
    ready = [rank[revision] for revision in walk if not waiting[revision]]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        revision = walk[heapq.heappop(ready)]
        order.append(revision)
        for child in children[revision]:
            waiting[child] -= 1
            if not waiting[child]:
                heapq.heappush(ready, rank[child])
    return order


def _as_tuple(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)

