"""``localmig check``: is the suite complete, current and green? (a CI gate)

Every applied revision must have a test file; none may be stale (written for another version of
its migration); every test file must compile and belong to a revision that still exists; the
shared conftest must be the one this localmig writes; and the suite as it is on disk must run
every test its files define and pass. A suite in which nothing ran fails the check. Tests that
fail because a finding explains it are problems too, unless the findings are explicitly allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .capture import Finding
from .outcomes import ExpectedModule, PlannedTest, TestOutcome
from .pipeline import Session
from .render import CONFTEST, FileHeader, file_status, read_header

ProblemKind = Literal["missing", "stale", "not_generated", "conftest", "failing", "finding", "does_not_compile",
                      "orphan", "not_collected", "not_run", "nothing_ran", "kill_rate"]


class Problem(BaseModel):
    kind: ProblemKind
    revision: str | None = None
    file: str | None = None
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
    texts: dict[str, str] = {}
    expected: dict[str, ExpectedModule] = {}
    by_file = _test_files(session.out)
    claimed = set()
    for revision in session.revisions:
        if not session.capture.captures[revision.id].applied:
            continue
        path = session.target(revision)
        claimed.add(path.name)
        status = session.status(revision)
        if status == "missing":
            report.problems.append(Problem(kind="missing", revision=revision.id, file=path.name,
                                           message=f"no test file ({path.name})"))
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        header, _ = read_header(text)
        if header is None:
            report.problems.append(Problem(kind="not_generated", revision=revision.id, file=path.name,
                                           message=f"{path.name} has no localmig header; localmig cannot tell whether it is current"))
        elif header.source_sha256 != revision.source_sha256:
            edited = " (edited by hand: update it, or regenerate with --force)" if status == "hand_edited" else ""
            report.problems.append(Problem(kind="stale", revision=revision.id, file=path.name,
                                           message=f"{path.name} was generated for another version of {revision.path}{edited}"))
        names = _defined_tests(path.name, text, report, revision.id)
        if names is None:
            continue
        texts[path.name] = text
        expected[path.name] = _expectation(revision.id, names, header)
    for name, path in by_file.items():
        if name not in claimed:
            _orphan(session, path, report)
    _check_shared_files(session, report)
    report.files = len(texts)
    if not texts:
        return report
    shared = {relative: (session.out / relative).read_text(encoding="utf-8")
              for relative in session.shared_files() if (session.out / relative).exists()}
    result = session.run_modules({name: (texts[name], expected[name]) for name in texts}, shared=shared)
    report.outcomes = result.outcomes
    report.findings = list(session.findings)
    for module, error in result.collection_errors.items():
        report.problems.append(Problem(kind="not_collected", file=module, revision=expected[module].revision,
                                       message=f"{module} could not be collected: {error}"))
    for outcome in result.outcomes:
        if outcome.verdict == "not_run" and outcome.revision not in {p.revision for p in report.problems if p.kind == "not_collected"}:
            report.problems.append(Problem(kind="not_run", revision=outcome.revision, message=f"{outcome.name}: {outcome.message}"))
        elif outcome.verdict == "test_defect":
            report.problems.append(Problem(kind="failing", revision=outcome.revision,
                                           message=f"{outcome.name} fails: {outcome.message}"))
        elif outcome.verdict == "migration_defect" and not allow_findings:
            report.problems.append(Problem(kind="finding", revision=outcome.revision,
                                           message=f"{outcome.name} fails because of a finding: {outcome.finding}"))
    ran = [o for o in result.outcomes if o.outcome not in ("not_run", "skipped")]
    if not ran:
        report.problems.append(Problem(kind="nothing_ran", message=f"no test of the suite ran ({len(result.outcomes)} expected)"))
    return report


def _test_files(folder: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted(folder.glob("test_*.py"))} if folder.is_dir() else {}


def _defined_tests(name: str, text: str, report: CheckReport, revision: str | None) -> list[str] | None:
    """The test functions the file defines; None (and a problem) when it does not compile."""
    try:
        tree = ast.parse(text, filename=name)
        compile(tree, name, "exec")
    except SyntaxError as error:
        report.problems.append(Problem(kind="does_not_compile", revision=revision, file=name,
                                       message=f"{name}:{error.lineno}: {error.msg}"))
        return None
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test_")]


def _expectation(revision: str, names: list[str], header: FileHeader | None) -> ExpectedModule:
    aspects = header.aspects if header is not None else {}
    return ExpectedModule(revision=revision, tests={
        name: PlannedTest(aspect=aspects.get(name)) for name in names})


def _orphan(session: Session, path: Path, report: CheckReport) -> None:
    """A generated file whose revision is gone from the history (a file without a localmig
    header is the user's own test beside the suite, and none of check's business)."""
    header, _ = read_header(path.read_text(encoding="utf-8", errors="replace"))
    if header is None or header.revision is None or header.revision in session.project.by_id:
        return
    report.problems.append(Problem(
        kind="orphan", revision=header.revision, file=path.name,
        message=f"{path.name}: revision {header.revision} is not in the history any more "
                "(delete the file, or restore the revision)"))


def _check_shared_files(session: Session, report: CheckReport) -> None:
    for relative, text in session.shared_files().items():
        path: Path = session.out / relative
        if not path.exists():
            report.problems.append(Problem(kind="conftest", file=relative, message=f"{relative} is missing; run `localmig generate`"))
        elif relative == CONFTEST and path.read_text(encoding="utf-8") != text and file_status(path) != "hand_edited":
            report.problems.append(Problem(kind="conftest", file=relative, message=f"{relative} is out of date; run `localmig generate`"))
