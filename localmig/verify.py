"""Run generated tests with pytest, in a subprocess of the user's Python, before anyone sees them.

The suite is staged in a temporary folder (never in the user's tree) and pointed at the project
through pytest-localmig's ``--migration-project-root`` option; no other plugin of the user's
environment is loaded. pytest runs from the project root
(relative paths in the project's configuration keep working) without that folder first on
``sys.path``, so a package of the project named like a standard module (``logging/``) cannot
shadow it. Every expected test gets an outcome (see :mod:`localmig.outcomes`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Sequence
from pathlib import Path

from pytest_localmig import FULL_MARK
from sqlalchemy.engine import make_url

from .capture import Finding, scratch_full_error
from .errors import Cancelled, VerifyError
from .outcomes import ExpectedModule, Outcome, TestOutcome, VerificationResult, classify, marked_line
from .policy import ENVIRONMENT as POLICY_ENVIRONMENT
from .policy import recorded
from .render import SCHEMA_FILE, VENDORED_RUNTIME

# ``python -c``: no script folder and no current folder first on sys.path (what -P does on 3.11+).
_BOOT = """import sys
if sys.path and sys.path[0] in ("", "."):
    del sys.path[0]
import pytest
import os
if os.environ.get("LOCALMIG_POLICY"):  # model-written tests: the policy is on before any test module loads
    sys.dont_write_bytecode = True
    for name in ("sqlite3", "psycopg", "sqlalchemy", "sqlalchemy.dialects.sqlite", "sqlalchemy.dialects.postgresql",
                 "pytest_localmig", "pytest_localmig.plugin"):
        try:
            __import__(name)
        except ImportError:
            pass
    from localmig.policy import install
    install()
sys.exit(pytest.main(sys.argv[1:]))
"""


# (command, cwd, environment, timeout, cancel) -> (pytest's exit code, its output)
PytestRunner = Callable[[list[str], Path, dict[str, str], float, "threading.Event | None"], tuple[int, str]]


def run_suite(
    files: dict[str, str],
    expected: dict[str, ExpectedModule],
    *,
    project_root: Path,
    findings: list[Finding],
    db_url: str | None = None,
    timeout: float = 3600,
    cancel: threading.Event | None = None,
    extra_args: Sequence[str] = (),
    runner: PytestRunner | None = None,
    contain: bool | None = None,
    step_timeout: float | None = None,
) -> VerificationResult:
    """Stage ``files`` (relative path -> text), run pytest on them and classify every test.

    ``expected`` maps each test module's file name to its revision and the tests it must report;
    ``extra_args`` go to pytest after localmig's own, and ``runner`` runs the command instead of a
    subprocess (``localmig mutate`` adds its seeding plugin, and forks pytest from a warm process).
    ``contain`` (default: when a model wrote any expected test) runs pytest under
    :mod:`localmig.policy`; a test that trips it fails with ``localmig policy: ...``.
    ``step_timeout`` limits each migration step the suite's history runs (``--timeout``).
    """
    if contain is None:
        contain = any(test.engine == "model" for module in expected.values() for test in module.tests.values())
    with tempfile.TemporaryDirectory(prefix="localmig-verify-") as folder:
        stage = Path(folder)
        for relative, text in files.items():
            target = stage / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        (stage / "pytest.ini").write_text("[pytest]\naddopts =\n", encoding="utf-8")
        report = stage / "report.xml"
        command = [
            sys.executable, "-c", _BOOT, str(stage), "-q", "-p", "no:cacheprovider", "--continue-on-collection-errors",
            "-c", str(stage / "pytest.ini"), "--rootdir", str(stage), "--confcutdir", str(stage),
            "--junitxml", str(report), "-o", "junit_family=xunit1",
            "--migration-project-root", str(project_root),
        ]
        if db_url:
            command += ["--migration-db-url", db_url]
        # No plugin of the user's environment runs, except pytest-localmig (named in PYTEST_PLUGINS: unlike
        # `-p localmig`, that needs no scan of every installed distribution's entry points); a vendored suite
        # runs on its own copy of the runtime (what it will run on where the plugin is not installed).
        command += list(extra_args)
        environment = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
        environment.pop("PYTEST_PLUGINS", None)
        environment.pop("MIGRATION_TEST_DATABASE_URL", None)  # the user's: never where localmig verifies
        if SCHEMA_FILE in files:  # written for pytest-alembic: its plugin runs them, its conftest reads these
            environment["PYTEST_PLUGINS"] = "pytest_localmig.plugin,pytest_alembic.plugin"
            environment["MIGRATION_TEST_PROJECT_ROOT"] = str(project_root)
            if db_url:
                environment["MIGRATION_TEST_DATABASE_URL"] = db_url
        elif VENDORED_RUNTIME not in files:
            environment["PYTEST_PLUGINS"] = "pytest_localmig.plugin"
        if step_timeout:
            environment["LOCALMIG_STEP_TIMEOUT"] = f"{step_timeout:g}"  # pytest_localmig.runner.STEP_TIMEOUT_ENV
        record = stage / "policy.jsonl"
        if contain:
            (stage / "tmp").mkdir()
            environment.update(TMPDIR=str(stage / "tmp"), PYTHONDONTWRITEBYTECODE="1")
            environment[POLICY_ENVIRONMENT] = json.dumps({"stage": str(stage), "record": str(record),
                                                          **_server(db_url)})
        started = time.perf_counter()
        returncode, output = (runner or _run_pytest)(command, project_root, environment, timeout, cancel)
        duration = time.perf_counter() - started
        # pytest's exit codes 3 and 4: an internal or usage error (say, a suite measured on
        # another database): nothing ran, whatever the report holds
        if not report.exists() or returncode in (3, 4):
            tail = "\n".join(output.strip().splitlines()[-15:])
            raise VerifyError(f"pytest could not run the generated suite (exit {returncode}):\n{tail}")
        refusals = recorded(str(record))
        outcomes, errors = _outcomes(report, expected, findings, refusals)
        full = next((line for outcome in outcomes if (line := marked_line(outcome, FULL_MARK))), None)
        if full is not None:  # the machine's limit: no outcome of this run says anything about a migration
            raise scratch_full_error(full)
    return VerificationResult(outcomes=outcomes, duration=duration, returncode=returncode, collection_errors=errors,
                              refusals=[f"{r.get('test') or 'outside a test'}: {r.get('reason')}" for r in refusals])


def _server(db_url: str | None) -> dict[str, object]:
    """The scratch database server the policy lets tests reach (none for SQLite)."""
    if not db_url:
        return {}
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        return {}
    return {"db_host": url.host or "localhost", "db_port": url.port or 5432}


def _run_pytest(command: list[str], cwd: Path, environment: dict[str, str], timeout: float,
                cancel: threading.Event | None) -> tuple[int, str]:
    """Run pytest; stop it when ``cancel`` is set (Cancelled) or after ``timeout`` (VerifyError)."""
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=output, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    returncode = process.wait(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    if cancel is not None and cancel.is_set():
                        raise Cancelled("cancelled while the generated tests ran") from None
                    if time.monotonic() > deadline:
                        raise VerifyError(f"the generated suite did not finish within {timeout:.0f} s") from None
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        output.seek(0)
        return returncode, output.read()


def _outcomes(report: Path, expected: dict[str, ExpectedModule], findings: list[Finding],
              refusals: list[dict[str, str]] = ()) -> tuple[list[TestOutcome], dict[str, str]]:  # type: ignore[assignment]
    """An outcome for every expected test, in the expected order; a test pytest did not report
    is ``not_run``, with the module's collection error when there was one; a test the policy
    refused something is ``failed`` with the refusal, whatever it did with the exception."""
    by_stem = {Path(name).stem: name for name in expected}
    refused: dict[tuple[str, str], str] = {}
    for refusal in refusals:
        path, _, name = refusal.get("test", "").partition("::")
        module = by_stem.get(Path(path).stem)
        if module is not None and name:
            refused.setdefault((module, name.split("[")[0]), refusal.get("reason", ""))
    reported: dict[tuple[str, str], tuple[Outcome, str, str]] = {}
    errors: dict[str, str] = {}
    for case in ElementTree.parse(report).iter("testcase"):
        classname = case.get("classname", "")
        if not classname:  # a collection error: the case is named after the module
            module = by_stem.get(case.get("name", "")) or by_stem.get(Path(case.get("file", "")).stem)
            if module is not None:
                errors[module] = _collection_error(case)
            continue
        module = by_stem.get(classname.rsplit(".", 1)[-1])
        if module is not None:
            reported[(module, case.get("name", ""))] = _result(case)
    outcomes = []
    for module, plan in expected.items():
        for name, test in plan.tests.items():
            outcome, message, output = reported.get((module, name)) or (
                "not_run", f"not run: {errors[module]}" if module in errors
                else f"not run: pytest did not report {name} in {module}", "")
            if (module, name) in refused:
                outcome, message = "failed", refused[(module, name)]
            result = TestOutcome(revision=plan.revision, name=name, aspect=test.aspect, engine=test.engine,
                                 outcome=outcome, message=message, output=output)
            outcomes.append(classify(result, [f for f in findings if f.revision == plan.revision]))
    return outcomes, errors


def _collection_error(case: ElementTree.Element) -> str:
    """The last line pytest gives for a module it could not collect (the exception)."""
    element = case.find("error")
    text = (element.text or "") if element is not None else ""
    lines = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    return (lines[-1] if lines else (element.get("message") if element is not None else "") or "collection failed")[:300]


def _result(case: ElementTree.Element) -> tuple[Outcome, str, str]:
    for tag, outcome in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        element = case.find(tag)
        if element is not None:
            text = (element.text or "").strip()
            return outcome, (element.get("message") or "").strip()[:500], text[-4000:]  # type: ignore[return-value]
    return "passed", "", ""
