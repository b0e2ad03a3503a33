"""One mutant, start to end: its copy of the project, the equivalence check, and the tests.

:func:`run_mutant` takes a :class:`MutantTask` (plain data, so a process pool can send it) and
returns a :class:`~localmig.mutate.report.MutantResult`. It runs in a worker process (Alembic's
``op`` and ``context`` are process-wide, so two mutants never share a process at the same time),
which runs the tests in forked children of itself where it can (:mod:`localmig.mutate.forked`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, Field

from ..capture.logs import quiet_migrations
from ..errors import VerifyError
from ..outcomes import ExpectedModule
from ..project import ProjectSettings, alembic_config
from ..verify import run_suite
from .equivalence import Reference, compare
from .forked import forked_pytest
from .operators import Mutant
from .report import MutantResult
from .scratch import mutant_copy, settings_for_copy
from .seed import Seed

PLUGIN = "localmig.mutate.plugin"
# Only pass or fail matters for a mutant: no tracebacks (pytest reads the whole conftest's AST for
# every frame it shows), no assertion rewriting, none of the end-of-session garbage collections.
FAST = ["--tb=no", "--assert=plain", "-p", "no:unraisableexception", "-p", "no:threadexception"]


class SuiteSelection(BaseModel):
    """The generated tests a mutant runs: the shared files, and the modules of the revisions concerned."""

    folder: str = Field(description="The suite folder, relative to the project root (how tests are named).")
    files: dict[str, str] = Field(description="Relative path -> text: conftest.py (and its env) plus the modules.")
    expected: dict[str, ExpectedModule]
    passed: list[str] = Field(description="Test ids of these modules that passed on the original.")


class MutantTask(BaseModel):
    mutant: Mutant
    text: str = Field(description="The mutated revision file.")
    pristine: str = Field(description="The pristine copy of the project.")
    work: str = Field(description="A folder for this mutant's files.")
    settings: ProjectSettings = Field(description="The project's settings (paths under its real root).")
    seed: str = Field(description="Path of the Seed file.")
    reference: Reference
    db_url: str | None = None
    suite: SuiteSelection | None = None
    given: list[str] = Field(default_factory=list, description="--tests paths, relative to the project root.")
    given_passed: list[str] = Field(default_factory=list)
    timeout: float = 600
    fork: bool = Field(False, description="Run pytest in forked children of this process (see localmig.mutate.forked).")


def _with_diff(task: MutantTask, original: str, **fields: object) -> MutantResult:
    m = task.mutant
    return MutantResult(id=m.id, revision=m.revision, file=m.file, function=m.function, operator=m.operator,
                        line=m.line, description=m.description, diff=m.diff(original), **fields)


def run_mutant(task: MutantTask) -> MutantResult:
    """Copy, check for equivalence, run the tests; the copy is removed afterwards."""
    started = time.perf_counter()
    pristine = Path(task.pristine)
    original_text = (pristine / task.mutant.file).read_text(encoding="utf-8")
    root = Path(task.work) / "project"
    try:
        mutant_copy(pristine, root, task.mutant.file, task.text)
        seed = Seed.read(task.seed)
        original = alembic_config(settings_for_copy(task.settings, pristine))
        mutated = alembic_config(settings_for_copy(task.settings, root))
        timings: dict[str, float] = {}
        with quiet_migrations():
            verdict = compare(original, mutated, seed, task.reference, db_url=task.db_url, folder=str(Path(task.work) / "db"))
        timings["equivalence"] = round(time.perf_counter() - started, 3)
        if verdict.equivalent:
            return _with_diff(task, original_text, status="equivalent", detail=verdict.detail, timings=timings,
                              seconds=time.perf_counter() - started)
        ran, killed_by, by_source = [], [], {}
        if task.suite is not None:
            step = time.perf_counter()
            outcomes = _generated(task, root)
            timings["generated"] = round(time.perf_counter() - step, 3)
            ran += list(outcomes)
            killed = [t for t in task.suite.passed if outcomes.get(t) in ("failed", "error", "not_run")]
            killed_by += killed
            by_source["generated"] = bool(killed)
        if task.given:
            step = time.perf_counter()
            outcomes = run_given(task.given, root, Path(task.work) / "given.json", task.timeout, fork=task.fork)
            timings["given"] = round(time.perf_counter() - step, 3)
            ran += list(outcomes)
            killed = [t for t in task.given_passed if outcomes.get(t, "not_run") in ("failed", "error", "not_run")]
            killed_by += killed
            by_source["given"] = bool(killed)
        return _with_diff(task, original_text, status="killed" if killed_by else "survived", detail=verdict.detail,
                          killed_by=killed_by, killed_by_source=by_source, tests_ran=ran, timings=timings,
                          seconds=time.perf_counter() - started)
    except Exception as error:  # localmig could not run this mutant: reported, never counted
        return _with_diff(task, original_text, status="error", detail=f"{type(error).__name__}: {error}",
                          seconds=time.perf_counter() - started)
    finally:
        shutil.rmtree(task.work, ignore_errors=True)


def _generated(task: MutantTask, root: Path) -> dict[str, str]:
    """Test id -> outcome of the selected generated modules, run on the mutant from its parent's template."""
    assert task.suite is not None
    suite = task.suite
    started = time.perf_counter()
    try:
        result = run_suite(suite.files, suite.expected, project_root=root, findings=[], db_url=task.db_url,
                           timeout=task.timeout, extra_args=[*FAST, "-p", PLUGIN, "--localmig-mutant-seed", task.seed],
                           runner=forked_pytest if task.fork else None)
    except VerifyError:
        if time.perf_counter() - started >= task.timeout:  # the mutant made the tests hang: they noticed
            return dict.fromkeys(suite.passed, "error")
        raise
    by_file = {module.revision: name for name, module in suite.expected.items()}
    return {f"{suite.folder}/{by_file[o.revision]}::{o.name}": o.outcome for o in result.outcomes}


def run_given(paths: list[str], root: Path, report: Path, timeout: float, *, fork: bool = False) -> dict[str, str]:
    """Run ``pytest PATHS`` in ``root`` as the user would (their plugins and settings apply, node ids
    relative to ``root``); node id -> outcome (a run that does not finish in time: no outcome)."""
    command = [sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider", "--tb=no", "--rootdir", str(root),
               "-p", PLUGIN, "--localmig-outcomes", str(report)]
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    environment.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    try:
        returncode, output = (forked_pytest if fork else _subprocess)(command, root, environment, timeout)
    except VerifyError:
        if report.exists():
            raise
        return {}  # it did not finish in time: every test that passed before counts as failing
    if not report.exists() or returncode in (3, 4):
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise VerifyError(f"pytest could not run {' '.join(paths)} (exit {returncode}):\n{tail}")
    return json.loads(report.read_text(encoding="utf-8"))


def _subprocess(command: list[str], cwd: Path, environment: dict[str, str], timeout: float) -> tuple[int, str]:
    with tempfile.TemporaryFile("w+") as output:
        try:
            completed = subprocess.run(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT, timeout=timeout,
                                       env=environment)
        except subprocess.TimeoutExpired:
            raise VerifyError(f"the tests did not finish within {timeout:.0f} s") from None
        output.seek(0)
        return completed.returncode, output.read()
