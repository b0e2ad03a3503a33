"""``localmig check``: is the suite complete, current and green? (a CI gate)

Every applied revision must have a test file; none may be stale (written for another version of
its migration); the shared conftest must be the one this localmig writes, for the installed
pytest-localmig (a vendored runtime no older than it); and the suite as it is on disk must pass. Tests that fail because a finding explains it are problems too, unless
the findings are explicitly allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .capture import Finding
from .pipeline import Session
from .plan import TestCase, TestPlan
from .render import CONFTEST, file_status, read_header, runtime_problems
from .verify import TestOutcome, run_suite

ProblemKind = Literal["missing", "stale", "not_generated", "conftest", "runtime", "failing", "finding"]


class Problem(BaseModel):
    kind: ProblemKind
    revision: str | None = None
    message: str


class CheckReport(BaseModel):
    problems: list[Problem] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    outcomes: list[TestOutcome] = Field(default_factory=list)
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def run_check(session: Session, *, allow_findings: bool = False) -> CheckReport:
    report = CheckReport(findings=list(session.findings))
    modules: dict[str, str] = {}
    plans: dict[str, TestPlan] = {}  # only names and aspects, from the headers: enough to classify failures
    for revision in session.revisions:
        if not session.capture.captures[revision.id].applied:
            continue
        path = session.target(revision)
        status = session.status(revision)
        if status == "missing":
            report.problems.append(Problem(kind="missing", revision=revision.id, message=f"no test file ({path.name})"))
            continue
        header, _ = read_header(path.read_text(encoding="utf-8", errors="replace"))
        if header is None:
            report.problems.append(Problem(kind="not_generated", revision=revision.id,
                                           message=f"{path.name} has no localmig header; localmig cannot tell whether it is current"))
        elif header.source_sha256 != revision.source_sha256:
            edited = " (edited by hand: update it, or regenerate with --force)" if status == "hand_edited" else ""
            report.problems.append(Problem(kind="stale", revision=revision.id,
                                           message=f"{path.name} was generated for another version of {revision.path}{edited}"))
        modules[path.name] = revision.id
        if header is not None:
            plans[revision.id] = TestPlan(revision=revision.id, tests=[
                TestCase(name=name, aspect=aspect, body="pass") for name, aspect in header.aspects.items()  # type: ignore[arg-type]
            ])
    _check_shared_files(session, report)
    runtime = runtime_problems(session.out)
    report.problems += [Problem(kind="runtime", message=problem.message) for problem in runtime]
    if modules and not any(problem.blocking for problem in runtime):  # else the installed runtime cannot run it
        files = {name: (session.out / name).read_text(encoding="utf-8") for name in modules}
        for relative in session.shared_files():
            if (session.out / relative).exists():
                files[relative] = (session.out / relative).read_text(encoding="utf-8")
        result = run_suite(files, modules, project_root=session.project.root, plans=plans, findings=session.findings,
                           db_url=session.options.db_url)
        session.explain(result.outcomes)
        report.outcomes = result.outcomes
        report.findings = list(session.findings)
        report.files = len(modules)
        for outcome in result.outcomes:
            if outcome.verdict == "test_defect":
                report.problems.append(Problem(kind="failing", revision=outcome.revision,
                                               message=f"{outcome.name} fails: {outcome.message}"))
            elif outcome.verdict == "migration_defect" and not allow_findings:
                report.problems.append(Problem(kind="finding", revision=outcome.revision,
                                               message=f"{outcome.name} fails because of a finding: {outcome.finding}"))
    return report


def _check_shared_files(session: Session, report: CheckReport) -> None:
    for relative, text in session.shared_files().items():
        path: Path = session.out / relative
        if not path.exists():
            report.problems.append(Problem(kind="conftest", message=f"{relative} is missing; run `localmig generate`"))
        elif relative == CONFTEST and path.read_text(encoding="utf-8") != text and file_status(path) != "hand_edited":
            report.problems.append(Problem(kind="conftest", message=f"{relative} is out of date; run `localmig generate`"))
