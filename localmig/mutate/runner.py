"""``localmig mutate``: break each migration on purpose and see whether the tests notice.

On a captured :class:`~localmig.pipeline.Session`: the selected revisions' mutants are made
(:mod:`localmig.mutate.operators`); the project is copied once; the tests run once on that copy
(the baseline: only a test that passed there can kill a mutant); then each mutant gets its own
copy, an equivalence check and the tests that concern it, each from its parent's template
(:mod:`localmig.mutate.seed`), ``jobs`` mutants at a time in worker processes. The user's
project is only read; the report is kept in its ``.localmig/`` folder for ``localmig check``.
"""

from __future__ import annotations

import datetime
import multiprocessing
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Literal

from alembic.script import ScriptDirectory
from pydantic import BaseModel, Field
from pytest_localmig import Database, MigrationFailed, MigrationHistory

from ..cancel import CancelToken, never
from ..capture.logs import quiet_migrations
from ..errors import Cancelled, ConfigError, VerifyError
from ..pipeline import Session
from ..project import alembic_config
from ..verify import run_suite
from .equivalence import Reference
from .forked import CAN_FORK
from .operators import OPERATORS, Mutant, mutants_for
from .report import MutantResult, MutationReport, keep, run_key
from .scratch import copy_project, settings_for_copy
from .seed import seed_from, write_snapshot
from .selection import (
    GeneratedSuite,
    file_digests,
    generated_suite,
    given_paths,
    modules_for,
    referenced_revisions,
    revision_states,
)
from .worker import FAST, MutantTask, SuiteSelection, run_given, run_mutant


class MutateOptions(BaseModel):
    revisions: list[str] = Field(default_factory=list, description="--rev: ids, prefixes or labels (default: all).")
    operators: list[str] | None = Field(None, description="--operators (default: all of OPERATORS).")
    mutants: list[str] = Field(default_factory=list, description="--mutant: only mutants whose id starts with one of these.")
    tests: list[Path] = Field(default_factory=list, description="--tests: the user's own test files or folders.")
    jobs: int = Field(1, ge=1, le=64)
    timeout: float | None = Field(None, description="Seconds one mutant's tests may take (default: from the baseline).")


class MutateProgress(BaseModel):
    """What the run is doing: a phase, or one more mutant done."""

    phase: Literal["mutants", "baseline", "mutant"]
    done: int = 0
    total: int = 0
    result: MutantResult | None = None
    detail: str = ""


ProgressSink = Callable[[MutateProgress], None]


def _ignore(progress: MutateProgress) -> None:
    return None


def chosen_operators(names: list[str] | None) -> list[str]:
    if not names:
        return list(OPERATORS)
    unknown = [n for n in names if n not in OPERATORS]
    if unknown:
        raise ConfigError(f"unknown mutation operator(s): {', '.join(unknown)}", hint=f"known: {', '.join(OPERATORS)}")
    return [n for n in OPERATORS if n in names]


def _targets(session: Session) -> dict[str, Path]:
    return {r.id: session.target(r) for r in session.revisions}


def current_key(session: Session, options: MutateOptions) -> str:
    """The key a run with these options would have now (equal to a kept report's: that report holds)."""
    selected = [r.id for r in session.select(options.revisions)]
    states = {r: s for r, s in revision_states(session.project, _targets(session)).items() if r in selected}
    given = given_paths(session.project, options.tests)
    shared = {name: (session.out / name) for name in session.shared_files()}
    tests = {**file_digests(session.project.root, given),
             **{f"suite/{name}": _digest(path) for name, path in shared.items() if path.is_file()}}
    settings: dict[str, object] = {"operators": chosen_operators(options.operators), "dialect": session.capture.dialect,
                "revisions": selected, "mutants": sorted(options.mutants), "given": given, "suite": str(session.out)}
    return run_key(states, tests, settings)


def _digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Run:
    """The state of one run: the work folder, the copies, the seeds made from the capture."""

    def __init__(self, session: Session, options: MutateOptions, work: Path) -> None:
        self.session = session
        self.options = options
        self.work = work
        self.history: MigrationHistory = session.live_capture.history
        self.pristine = copy_project(session.project.root, work / "pristine")
        self.settings = session.project.settings
        self.references: dict[str, Reference] = {}
        self.snapshots = work / "snapshots"
        self.snapshots.mkdir()
        self.written: set[str] = set()
        self._check_copy()

    def _check_copy(self) -> None:
        """Every revision file the copy's configuration finds must be in the copy (else mutants would not apply)."""
        script = ScriptDirectory.from_config(alembic_config(settings_for_copy(self.settings, self.pristine)))
        root = str(self.pristine.resolve())
        for revision in script.walk_revisions():
            if not str(Path(revision.path).resolve()).startswith(root):
                raise ConfigError(f"the project's configuration finds {revision.path} outside the project folder",
                                  hint="localmig mutate needs script_location and version_locations inside the project "
                                       "folder (use %(here)s in alembic.ini)")

    def reference(self, revision: str) -> Reference:
        if revision not in self.references:
            self.references[revision] = reference_for(self.session, revision)
        return self.references[revision]

    def seed(self, revision: str, name: str, also: set[str]) -> tuple[Path, Database]:
        """A seed file for a mutant of ``revision`` and its database (dropped by the caller); the
        snapshots of the earlier states in ``also`` are written beside it, once."""
        history = self.history
        before = set(history.applied[: history.applied.index(revision)])
        for state in (also & before) - self.written:
            write_snapshot(self.snapshots, state, history.schema_after(state).objects)
            self.written.add(state)
        seed, database = seed_from(history, revision, snapshots=self.snapshots, server=self.session.live_capture.db_url)
        return seed.write(self.work / f"{name}.seed.json"), database

    def drop(self, database: Database) -> None:
        self.history.discard(database)


def reference_for(session: Session, revision: str) -> Reference:
    """What the capture measured for ``revision``: schemas before, after, after the downgrade."""
    history, capture = session.live_capture.history, session.capture.captures[revision]
    try:
        downgraded, error = history.schema_after_downgrade(revision).objects, None
    except MigrationFailed:
        downgraded, error = None, history.downgrade_errors.get(revision, "the downgrade failed")
    return Reference(revision=session.project.by_id[revision], before=history.schema_before(revision).objects,
                     after=history.schema_after(revision).objects, downgraded=downgraded, downgrade_error=error,
                     touched=capture.diff.touched_tables if capture.diff else [])


def make_mutants(session: Session, revisions: list[str], operators: list[str],
                 ids: list[str] | None = None) -> dict[str, list[Mutant]]:
    """Revision -> its mutants (revisions that did not apply are left out); with ``ids``, only the
    mutants whose id starts with one of them (each must match one)."""
    found = {}
    for info in session.select(revisions):
        if not session.capture.captures[info.id].applied:
            continue
        text = (session.project.root / info.path).read_text(encoding="utf-8")
        made = mutants_for(text, revision=info.id, file=info.path, operators=set(operators))
        found[info.id] = [m for m in made if not ids or any(m.id.startswith(i) for i in ids)]
    unmatched = [i for i in ids or [] if not any(m.id.startswith(i) for ms in found.values() for m in ms)]
    if unmatched:
        raise ConfigError(f"--mutant {', '.join(unmatched)}: no such mutant",
                          hint="mutant ids are revision:function:line:operator:hash, as the report lists them; "
                               "any prefix of one works")
    return {revision: mutants for revision, mutants in found.items() if mutants or not ids}


def run_mutations(session: Session, options: MutateOptions, progress: ProgressSink = _ignore,
                  cancel: CancelToken | None = None) -> MutationReport:
    """Make, run and judge every mutant of the selected revisions; the report (kept unless interrupted)."""
    cancel = cancel or never()
    started, clock = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), time.perf_counter()
    operators = chosen_operators(options.operators)
    given = given_paths(session.project, options.tests)
    suite = generated_suite(session.project, session.out, list(session.shared_files()), _targets(session))
    if suite is None and not given:
        raise ConfigError(f"no tests to judge: {session.out} holds no generated test module and no --tests were given",
                          hint="run `localmig generate PATH` first, or pass your own tests with --tests")
    mutants = make_mutants(session, options.revisions, operators, options.mutants)
    everything = [m for found in mutants.values() for m in found]
    progress(MutateProgress(phase="mutants", total=len(everything), detail=f"{len(mutants)} revisions"))
    report = MutationReport(
        project=str(session.project.root), dialect=session.capture.dialect, key=current_key(session, options),
        started_at=started, operators=operators,
        sources={**({"generated": [suite.folder]} if suite else {}), **({"given": given} if given else {})},
        revisions={r: s for r, s in revision_states(session.project, _targets(session)).items() if r in mutants})
    # env.py configures logging on every run (the capture's templates are extended on demand here)
    with tempfile.TemporaryDirectory(prefix="localmig-mutate-") as folder, quiet_migrations():
        run = _Run(session, options, Path(folder))
        progress(MutateProgress(phase="baseline", total=len(everything)))
        passed, given_passed, failing, baseline_seconds = _baseline(run, suite, given)
        report.baseline = {**({"generated": len(passed)} if suite else {}), **({"given": len(given_passed)} if given else {})}
        report.baseline_not_passing = failing
        timeout = options.timeout or max(120.0, 5 * baseline_seconds)
        tasks = _tasks(run, mutants, suite, passed, given, given_passed, timeout)
        results, interrupted = _execute(run, tasks, options.jobs, len(everything), progress, cancel)
    order = {m.id: i for i, m in enumerate(everything)}
    report = report.model_copy(update={"mutants": sorted(results, key=lambda r: order[r.id]), "interrupted": interrupted,
                                       "seconds": round(time.perf_counter() - clock, 2)}).tally()
    if not interrupted:
        keep(report, session.project.root)
    return report


def _baseline(run: _Run, suite: GeneratedSuite | None, given: list[str]) -> tuple[set[str], set[str], list[str], float]:
    """The tests that pass on the unchanged copy (only those can kill a mutant), the ones that do
    not, and how long that took."""
    started = time.perf_counter()
    passed: set[str] = set()
    failing: list[str] = []
    if suite is not None:
        files = {**suite.shared, **suite.texts}
        result = run_suite(files, suite.expected, project_root=run.pristine, findings=[],
                           db_url=run.session.live_capture.db_url, extra_args=FAST)
        by_revision = {module.revision: name for name, module in suite.expected.items()}
        generated = {suite.test_id(by_revision[o.revision], o.name): o.outcome for o in result.outcomes}
        passed = {test for test, outcome in generated.items() if outcome == "passed"}
        failing += sorted(test for test, outcome in generated.items() if outcome != "passed")
    given_passed: set[str] = set()
    if given:
        outcomes = run_given(given, run.pristine, run.work / "baseline-given.json", timeout=3600)
        given_passed = {test for test, outcome in outcomes.items() if outcome == "passed"}
        failing += sorted(test for test, outcome in outcomes.items() if outcome != "passed")
    return passed, given_passed, failing, time.perf_counter() - started


def _tasks(run: _Run, mutants: dict[str, list[Mutant]], suite: GeneratedSuite | None, passed: set[str], given: list[str],
           given_passed: set[str], timeout: float) -> Iterator[tuple[MutantTask, Database]]:
    """One task per mutant, made when it is about to run (each holds a seed database until it is done)."""
    revisions = run.session.revisions
    known = {r.id for r in revisions}
    for revision, found in mutants.items():
        if not found:
            continue
        reference = run.reference(revision)
        tables = {k.partition(":")[2] for k in (*reference.before, *reference.after) if k.startswith("table:")}
        for number, mutant in enumerate(found):
            selection, also = None, set()
            if suite is not None:
                modules = modules_for(mutant, suite, revisions, reference.touched, tables)
                if modules:
                    ids = set(suite.ids(modules))
                    selection = SuiteSelection(
                        folder=suite.folder, files={**suite.shared, **{m: suite.texts[m] for m in modules}},
                        expected={m: suite.expected[m] for m in modules}, passed=sorted(passed & ids))
                    also = set().union(*(referenced_revisions(suite.texts[m], known) for m in modules))
            name = f"{revision}-{number}"
            path, database = run.seed(revision, name, also)
            original = (run.pristine / mutant.file).read_text(encoding="utf-8")
            task = MutantTask(mutant=mutant, text=mutant.apply(original), pristine=str(run.pristine),
                              work=str(run.work / name), settings=run.settings, seed=str(path), reference=reference,
                              db_url=run.session.live_capture.db_url, suite=selection, given=given,
                              given_passed=sorted(given_passed), timeout=timeout)
            yield task, database


def _execute(run: _Run, tasks: Iterator[tuple[MutantTask, Database]], jobs: int, total: int, progress: ProgressSink,
             cancel: CancelToken) -> tuple[list[MutantResult], bool]:
    """Run the tasks ``jobs`` at a time, each in a worker process (Alembic's ``op`` and ``context``
    are process-wide; a worker forks its pytest runs, which this process, with its threads, must
    not); whether it was interrupted."""
    results: list[MutantResult] = []

    def done(result: MutantResult, database: Database) -> None:
        run.drop(database)
        results.append(result)
        progress(MutateProgress(phase="mutant", done=len(results), total=total, result=result))

    running: dict[Future, Database] = {}
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            try:
                for task, database in tasks:
                    while len(running) >= jobs:
                        finished, _ = wait(running, return_when=FIRST_COMPLETED)
                        for future in finished:
                            done(future.result(), running.pop(future))
                    cancel.check()
                    running[pool.submit(run_mutant, task.model_copy(update={"fork": CAN_FORK}))] = database
                for future in list(running):
                    done(future.result(), running.pop(future))
            finally:
                for future in running:
                    future.cancel()
        return results, False
    except (KeyboardInterrupt, Cancelled):
        return results, True
    except BrokenProcessPool as error:
        raise VerifyError(f"a worker process of localmig mutate died: {error}",
                          hint="when calling run_mutations from a script, guard it with `if __name__ == \"__main__\":` "
                               "(worker processes are spawned)") from None
    finally:
        for database in running.values():
            run.drop(database)
        shutil.rmtree(run.work / "pristine", ignore_errors=True)
