"""Run generated tests with pytest, in a subprocess of the user's Python, before anyone sees them.

The suite is staged in a temporary folder (never in the user's tree) and pointed at the project
through pytest-localmig's ``--migration-project-root`` option; no other plugin of the user's
environment is loaded. Each failing test is classified: a
*migration defect* when a finding of the capture explains it (e.g. a downgrade test of a
revision whose downgrade raises), else a *test defect*.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .capture import FINDING_ASPECTS, Finding
from .errors import Cancelled, VerifyError
from .plan import Aspect, Engine, TestPlan
from .render import VENDORED_RUNTIME

Outcome = Literal["passed", "failed", "error", "skipped"]
Verdict = Literal["passed", "migration_defect", "test_defect"]


class TestOutcome(BaseModel):
    """What happened to one generated test, and what localmig makes of it."""

    __test__ = False

    revision: str
    name: str
    aspect: Aspect | None = None
    engine: Engine | None = None
    outcome: Outcome
    message: str = ""
    output: str = Field("", description="pytest's report of the failure (bounded).")
    verdict: Verdict = "passed"
    finding: str | None = Field(None, description="The finding that explains the failure, if any.")


class VerificationResult(BaseModel):
    outcomes: list[TestOutcome] = Field(default_factory=list)
    duration: float = 0.0
    returncode: int = 0

    def for_revision(self, revision: str) -> list[TestOutcome]:
        return [o for o in self.outcomes if o.revision == revision]

    def count(self, verdict: Verdict) -> int:
        return sum(1 for o in self.outcomes if o.verdict == verdict)


def run_suite(
    files: dict[str, str],
    modules: dict[str, str],
    *,
    project_root: Path,
    plans: dict[str, TestPlan],
    findings: list[Finding],
    db_url: str | None = None,
    timeout: float = 3600,
    cancel: threading.Event | None = None,
) -> VerificationResult:
    """Stage ``files`` (relative path -> text), run pytest on them and classify every test.

    ``modules`` maps each test module's file name to its revision.
    """
    with tempfile.TemporaryDirectory(prefix="localmig-verify-") as folder:
        stage = Path(folder)
        for relative, text in files.items():
            target = stage / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        (stage / "pytest.ini").write_text("[pytest]\naddopts =\n", encoding="utf-8")
        report = stage / "report.xml"
        command = [
            sys.executable, "-m", "pytest", str(stage), "-q", "-p", "no:cacheprovider",
            "-c", str(stage / "pytest.ini"), "--rootdir", str(stage), "--confcutdir", str(stage),
            "--junitxml", str(report), "-o", "junit_family=xunit1",
            "--migration-project-root", str(project_root),
        ]
        if db_url:
            command += ["--migration-db-url", db_url]
        # No plugin of the user's environment runs, except pytest-localmig (named in PYTEST_PLUGINS: unlike
        # `-p localmig`, that needs no scan of every installed distribution's entry points); a vendored suite
        # runs on its own copy of the runtime (what it will run on where the plugin is not installed).
        environment = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
        environment.pop("PYTEST_PLUGINS", None)
        if VENDORED_RUNTIME not in files:
            environment["PYTEST_PLUGINS"] = "pytest_localmig.plugin"
        started = time.perf_counter()
        returncode, output = _run_pytest(command, project_root, environment, timeout, cancel)
        duration = time.perf_counter() - started
        # pytest's exit codes 3 and 4: an internal or usage error (say, a suite measured on
        # another database): nothing ran, whatever the report holds
        if not report.exists() or returncode in (3, 4):
            tail = "\n".join(output.strip().splitlines()[-15:])
            raise VerifyError(f"pytest could not run the generated suite (exit {returncode}):\n{tail}")
        outcomes = _outcomes(report, modules, plans, findings)
    return VerificationResult(outcomes=outcomes, duration=duration, returncode=returncode)


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


def _outcomes(report: Path, modules: dict[str, str], plans: dict[str, TestPlan], findings: list[Finding]) -> list[TestOutcome]:
    by_module = {Path(name).stem: revision for name, revision in modules.items()}
    outcomes = []
    for case in ElementTree.parse(report).iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1]
        revision = by_module.get(module)
        if revision is None:
            continue
        name = case.get("name", "")
        test = next((t for t in plans[revision].tests if t.name == name), None) if revision in plans else None
        outcome, message, output = _result(case)
        result = TestOutcome(
            revision=revision,
            name=name,
            aspect=test.aspect if test else None,
            engine=test.engine if test else None,
            outcome=outcome,
            message=message,
            output=output,
        )
        classify(result, [f for f in findings if f.revision == revision])
        outcomes.append(result)
    return outcomes


def _result(case: ElementTree.Element) -> tuple[Outcome, str, str]:
    for tag, outcome in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        element = case.find(tag)
        if element is not None:
            text = (element.text or "").strip()
            return outcome, (element.get("message") or "").strip()[:500], text[-4000:]  # type: ignore[return-value]
    return "passed", "", ""


def classify(result: TestOutcome, findings: list[Finding]) -> None:
    """Set the verdict: passed, a migration defect (a finding explains it) or a test defect."""
    if result.outcome in ("passed", "skipped"):
        result.verdict = "passed"
        return
    for finding in findings:
        if result.aspect in FINDING_ASPECTS[finding.kind]:
            result.verdict = "migration_defect"
            result.finding = finding.message
            return
    result.verdict = "test_defect"
