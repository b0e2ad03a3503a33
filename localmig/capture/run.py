"""Run a project's history on a scratch database and record what each revision really does.

One forward pass applies every revision (snapshotting the schema after each), one backward
pass runs every downgrade; what goes wrong becomes a :class:`Finding`. The project's configured
``sqlalchemy.url`` is never used: the scratch database is a temporary SQLite file, or a
throwaway database that localmig creates (and drops) on a PostgreSQL server.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, Field
from pytest_localmig import (
    EnvironmentIgnoresURL,
    HarnessError,
    InitialSchemaError,
    MigrationFailed,
    MigrationHistory,
    ScratchFull,
    initial_schema,
)
from pytest_localmig.roles import ScratchRoleNote
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from ..errors import CaptureError, ConfigError
from ..observe import DataObservation, observe
from ..observe.declared import DeclaredTypes
from ..project import AlembicProject, RevisionInfo
from ..schema import SchemaDiff, SchemaSnapshot
from .exits import EnvironmentWatch
from .findings import Finding
from .logs import quiet_migrations
from .metadata import check_metadata


class RevisionCapture(BaseModel):
    """What one revision's upgrade did, when it could be applied."""

    revision: str
    applied: bool
    diff: SchemaDiff | None = None


class HistoryCapture(BaseModel):
    """The result of a capture: revisions in order, their diffs, and the findings."""

    dialect: str
    revisions: list[RevisionInfo]
    heads: list[str]
    captures: dict[str, RevisionCapture]
    findings: list[Finding]
    models_at_head: list[str] | None = Field(None, description="How env.py's target_metadata differs from the "
                                             "schema at head ([]: it matches); None: not compared.")
    step_runs: dict[str, int] = Field(default_factory=dict, description="'upgrade <rev>' / 'downgrade <rev>' -> how "
                                      "often the step ran during the capture (every later run counts in Capture.step_runs)")

    def findings_for(self, revision: str) -> list[Finding]:
        return [f for f in self.findings if f.revision == revision]


EXPECTS_TABLES = ("the base revision expects tables that exist before it (an application that runs create_all() "
                  "and then `alembic stamp`): start the history from them with --initial-schema MODULE:ATTR "
                  "(the application's MetaData, declarative base, or a function of a Connection)")
MISSING_TABLE = ("no such table", "does not exist", "NoSuchTableError", "UndefinedTable")


def _missing_table(error: str) -> bool:
    return any(text in error for text in MISSING_TABLE)


def _models_finding(heads: list[str], differences: list[str] | None) -> list[Finding]:
    if not differences:
        return []
    return [Finding(revision=heads[0], kind="models_differ_from_head",
                    message=f"the models (env.py's target_metadata) differ from the schema at head in "
                            f"{len(differences)} way{'s' if len(differences) != 1 else ''}",
                    details=differences[:30] + ([f"... and {len(differences) - 30} more"] if len(differences) > 30 else []))]


ProgressCallback = Callable[[str, str, int, int], None]  # phase, revision, done, total


@contextmanager
def quiet_role_notes() -> Iterator[None]:
    """pytest-localmig warns (ScratchRoleNote) where a suite runs; a capture says it as a note instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScratchRoleNote)
        yield


class Capture:
    """A live capture: owns the scratch databases until closed (tests and probes reuse them)."""

    def __init__(self, project: AlembicProject, db_url: str | None = None, *, round_trips: bool = False,
                 step_timeout: float | None = None) -> None:
        self.project = project
        self.db_url = _check_url(db_url)
        try:
            specs = project.settings.initial_schema
            initial = initial_schema(specs, str(project.root)) if specs else None
            self.history = MigrationHistory(project.config(), self.db_url, round_trips=round_trips, initial=initial,
                                           script=project.take_script())
        except InitialSchemaError as error:
            message, _, hint = str(error).partition(". give ")
            raise ConfigError(message, hint=f"give {hint}" if hint else "fix the application's schema code, or "
                              "leave --initial-schema out") from None
        except OperationalError as error:
            raise CaptureError(
                f"cannot reach the scratch database server: {error.orig}",
                hint="check --db-url; localmig needs the right to CREATE DATABASE there",
            ) from None
        except HarnessError as error:
            raise CaptureError(str(error)) from None
        self.history.runner.step_timeout = step_timeout
        self.watch = EnvironmentWatch(self.history.runner, project.root)
        if project.settings.metadata:
            if not (project.settings.builtin_env or project.settings.kind == "versions"):
                self.history.close()
                raise ConfigError("--metadata is used by localmig's built-in env.py only",
                                  hint="add --builtin-env, or leave --metadata out (your env.py sets target_metadata)")
            try:
                check_metadata(project.settings.metadata)
            except ConfigError:
                self.history.close()
                raise
        self.result: HistoryCapture | None = None
        self._validated: dict[int, tuple] = {}  # reflected table dict -> TableInfo, shared by snapshots
        self._snapshots: dict[int, tuple[dict, SchemaSnapshot]] = {}  # id of a state's objects -> its snapshot
        self._declared: DeclaredTypes | None = None

    def __enter__(self) -> Capture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.history.close()

    @property
    def notes(self) -> list[str]:
        """What the scratch server said once (e.g. why no scratch role could be used)."""
        return list(getattr(self.history.scratch, "notes", []))

    def run(self, progress: ProgressCallback | None = None) -> HistoryCapture:
        """Apply every revision, then walk every downgrade; collect diffs and findings."""
        history = self.history
        total = len(history.order)
        applied = iter(range(1, total + 1))
        history.on_upgraded = (lambda rev: progress("upgrade", rev, next(applied), total)) if progress else None
        with _env_guard(self.watch), quiet_migrations():
            history.build()
            if (failure := self.watch.failure()) is not None:
                raise failure
            if progress:
                progress("downgrade", "", 0, total)
            history.walk_downgrades()
            models = self._models_at_head()
        self.result = HistoryCapture(
            dialect=self.dialect,
            revisions=self.project.revisions,
            heads=self.project.heads,
            captures={r.id: self._revision_capture(r.id) for r in self.project.revisions},
            findings=self._findings() + _models_finding(self.project.heads, models),
            models_at_head=models,
            step_runs=dict(self.history.runner.step_runs),
        )
        return self.result

    def step_runs(self) -> dict[str, int]:
        """How often each migration step ran so far (capture, observation and probes)."""
        return dict(self.history.runner.step_runs)

    def _models_at_head(self) -> list[str] | None:
        """Compare env.py's target_metadata with the schema at the single head (None when there is
        none, it was not applied, or env.py sets no target_metadata)."""
        heads = self.project.heads
        if len(heads) != 1 or heads[0] not in self.history.applied:
            return None
        try:
            return self.history.models_differences(heads[0])
        except ScratchFull:
            raise
        except Exception:
            return None

    @property
    def dialect(self) -> str:
        return make_url(self.db_url).get_backend_name() if self.db_url else "sqlite"

    def snapshot_before(self, revision: str) -> SchemaSnapshot:
        return self._snapshot(self.history.schema_before(revision).objects)

    def snapshot_after(self, revision: str) -> SchemaSnapshot:
        return self._snapshot(self.history.schema_after(revision).objects)

    def _snapshot(self, objects: dict) -> SchemaSnapshot:
        """Validated once per state: the state before a revision is the state after the previous one."""
        cached = self._snapshots.get(id(objects))
        if cached is None or cached[0] is not objects:
            cached = self._snapshots[id(objects)] = (objects, SchemaSnapshot.from_objects(objects, self._validated))
        return cached[1]

    def _revision_capture(self, revision: str) -> RevisionCapture:
        if revision not in self.history.applied:
            return RevisionCapture(revision=revision, applied=False)
        diff = SchemaDiff.between(self.snapshot_before(revision), self.snapshot_after(revision))
        return RevisionCapture(revision=revision, applied=True, diff=diff)

    def _findings(self) -> list[Finding]:
        history = self.history
        findings: list[Finding] = []
        # Heads on differently labelled branches are independent branches by design (alembic's
        # "multiple bases", run with `upgrade heads`); only a fork within one branch is a finding.
        labels = [tuple(self.project.by_id[head].branch_labels) for head in self.project.heads]
        if len(labels) != len(set(labels)):
            findings.append(
                Finding(
                    kind="multiple_heads",
                    message=f"the history has {len(self.project.heads)} heads: {', '.join(self.project.heads)}",
                    details=["`alembic upgrade head` refuses to run; merge them or upgrade to `heads`"],
                )
            )
        for info in self.project.revisions:
            revision = info.id
            if revision in history.upgrade_errors:
                error = history.upgrade_errors[revision]
                if not error.startswith("needs "):  # the revisions it blocks are part of this finding
                    blocked = [r for r in history.order if self._blocked_by(r) == revision]
                    later = (f"; {len(blocked)} later revision{'s' if len(blocked) != 1 else ''} could not be applied"
                             if blocked else "")
                    details = [f"not applied: {', '.join(blocked[:20])}" + (" ..." if len(blocked) > 20 else "")] if blocked else []
                    if info.is_base and _missing_table(error) and not self.project.settings.initial_schema:
                        details.append(EXPECTS_TABLES)
                    findings.append(Finding(revision=revision, kind="upgrade_failed", message=f"upgrade: {error}{later}",
                                            details=details))
                continue
            left = self._left_behind(revision)
            # a merge or empty revision may have an empty downgrade; a missing one always fails
            if info.downgrade == "missing" or (info.downgrade != "implemented" and not info.upgrade_empty):
                what = {"empty": "is empty (pass)", "not_implemented": "raises NotImplementedError",
                        "missing": "is missing"}[info.downgrade]
                findings.append(
                    Finding(
                        revision=revision,
                        kind="downgrade_not_implemented",
                        message=f"downgrade() {what}",
                        details=left,
                    )
                )
            elif revision in history.downgrade_errors:
                findings.append(
                    Finding(revision=revision, kind="downgrade_failed", message=f"downgrade: {history.downgrade_errors[revision]}")
                )
            elif left:
                findings.append(
                    Finding(
                        revision=revision,
                        kind="downgrade_incomplete",
                        message="downgrade does not restore the previous schema",
                        details=left,
                    )
                )
            elif history.round_trips and (round_trip := self._round_trip_finding(revision)):
                findings.append(round_trip)
        return findings

    def _blocked_by(self, revision: str) -> str | None:
        """The failed revision that kept ``revision`` from being applied (following ``needs`` links)."""
        errors = self.history.upgrade_errors
        seen = set()
        while revision in errors and errors[revision].startswith("needs ") and revision not in seen:
            seen.add(revision)
            revision = errors[revision].split()[1].rstrip(",")
        return revision if revision in errors and seen else None

    def _left_behind(self, revision: str) -> list[str]:
        """What differs from the previous schema after the downgrade (empty if restored)."""
        try:
            downgraded = self.history.schema_after_downgrade(revision).objects
        except MigrationFailed:
            return []
        before = self.history.schema_before(revision).objects
        if downgraded == before:
            return []
        return _undo_description(SchemaDiff.between(self._snapshot(before), self._snapshot(downgraded)))

    def observe(self, revision: RevisionInfo, before: SchemaSnapshot, after: SchemaSnapshot,
                touched: list[str]) -> DataObservation | None:
        """Seed synthetic rows before ``revision``, run it, and record what became of them."""
        members = self.declared().members_before(revision.id, before)
        with _env_guard(self.watch), quiet_migrations():
            return observe(self.history, revision, before, after, touched, members)

    def declared(self) -> DeclaredTypes:
        """What the revisions' code declares about columns (enum members), read once."""
        if self._declared is None:
            script = self.history.runner.script
            scripts = [script.get_revision(r) for r in self.history.order]
            self._declared = DeclaredTypes(
                (s.revision, Path(s.path).read_text(encoding="utf-8", errors="replace"), s.module) for s in scripts)
        return self._declared

    def round_trip_finding(self, revision: str) -> Finding | None:
        """Run the round trip (up, down, up) of one revision now, if the capture did not; its
        finding, if the second upgrade fails or gives another schema."""
        with _env_guard(self.watch), quiet_migrations():
            return self._round_trip_finding(revision)

    def _round_trip_finding(self, revision: str) -> Finding | None:
        try:
            differs = self._round_trip_differs(revision)
        except MigrationFailed:
            differs = []
        error = self.history.round_trip_errors.get(revision)
        if error:
            return Finding(revision=revision, kind="round_trip_failed", message=f"upgrade after downgrade: {error}")
        if differs:
            return Finding(revision=revision, kind="round_trip_failed",
                           message="upgrade after downgrade gives a different schema", details=differs)
        return None

    def _round_trip_differs(self, revision: str) -> list[str]:
        try:
            again = self.history.schema_after_round_trip(revision).objects
        except MigrationFailed:
            return []
        after = self.history.schema_after(revision).objects
        if again == after:
            return []
        return SchemaDiff.between(self._snapshot(after), self._snapshot(again)).describe()


def _undo_description(diff: SchemaDiff) -> list[str]:
    """``previous -> downgraded`` differences, worded as what the downgrade left or lost."""
    lines = []
    for change in diff.changes:
        text = change.describe()
        if change.kind.startswith("add_"):
            lines.append(f"left behind: {text.removeprefix('add ')}")
        elif change.kind.startswith("drop_"):
            lines.append(f"lost: {text.removeprefix('drop ')}")
        else:
            lines.append(f"not restored: {text}")
    return lines


def _check_url(db_url: str | None) -> str | None:
    if not db_url:
        return None
    try:
        backend = make_url(db_url).get_backend_name()
    except ArgumentError:
        raise CaptureError(f"--db-url {db_url!r} is not a database URL") from None
    if backend not in ("sqlite", "postgresql"):
        raise CaptureError(f"--db-url: {backend} is not supported; use a PostgreSQL server URL (or none for SQLite)")
    if backend == "postgresql":
        _check_driver(db_url)
    return db_url if backend == "postgresql" else None


# The package that provides each DBAPI module SQLAlchemy's PostgreSQL dialects import.
DRIVER_PACKAGES = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary", "pg8000": "pg8000",
                   "asyncpg": "asyncpg", "psycopg2cffi": "psycopg2cffi"}


def _check_driver(db_url: str) -> None:
    """The URL's driver is importable (else a CaptureError naming the package to install)."""
    url = make_url(db_url)
    try:
        dialect = url.get_dialect()
    except NoSuchModuleError:
        raise CaptureError(f"--db-url: SQLAlchemy has no driver {url.drivername!r}",
                           hint="use postgresql+psycopg://USER@HOST:PORT/DATABASE (psycopg 3)") from None
    try:
        dialect.import_dbapi()
    except ImportError as error:
        module = (error.name or "").split(".")[0]
        package = DRIVER_PACKAGES.get(module, module or "the driver")
        raise CaptureError(
            f"--db-url {url.drivername}://: the driver module {module!r} is not installed",
            hint=f"install it (pip install '{package}') or use postgresql+psycopg:// (psycopg 3)",
        ) from None


@contextmanager
def _env_guard(watch: EnvironmentWatch) -> Iterator[None]:
    try:
        yield
    except SystemExit as exited:  # env.py's own exit (a migration's is a finding): never localmig's exit
        raise (watch.failure() or CaptureError(f"the project's code called sys.exit({exited.code!r})")) from None
    except ScratchFull as error:
        raise scratch_full_error(str(error)) from None
    except EnvironmentIgnoresURL as error:
        raise CaptureError(
            f"the project's env.py ignores the database URL localmig hands over: {error}. "
            "Nothing was migrated there (localmig stopped before the first step).",
            hint="run with --builtin-env (and --metadata module:attr for naming conventions), "
            "or make env.py use config.attributes['connection'] / the sqlalchemy.url option",
        ) from None


def scratch_full_error(text: str) -> CaptureError:
    """The runtime's full scratch disk (a :class:`ScratchFull` message) as localmig reports it, exit 4."""
    message, _, hint = text.rpartition("; ")
    return CaptureError(message or hint, hint=hint if message else None)


@contextmanager
def scratch_errors() -> Iterator[None]:
    """A full scratch disk met anywhere in the block (a model scenario's seed rows, say) is a
    CaptureError: one message and exit 4, never one failure per revision."""
    try:
        yield
    except ScratchFull as error:
        raise scratch_full_error(str(error)) from None
