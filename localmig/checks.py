"""``localmig check``: is the suite complete, current and green, with no new finding? (a CI gate)

Every applied revision must have a test file; none may be stale (written for another version of
its migration); every test file must compile and belong to a revision that still exists; the
shared conftest must be the one this localmig writes, for the installed pytest-localmig (a
vendored runtime no older than it); and the suite as it is on disk must run
every test its files define and pass. A suite in which nothing ran fails the check.

Findings fail the check unless the baseline accepts them (see :mod:`localmig.baseline`): an
acknowledged finding, or a downgrade finding of a one-way revision, does not; a test that fails
because of one is expected to. An acknowledgement that no longer occurs fails the check as a
"stale acknowledgement", so the file stays true. ``update_baseline`` first writes the baseline
from today's findings. With ``revisions`` (``check --since REF``) only those are looked at.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .baseline import explaining, stale_entries, updated, write_baseline
from .capture import Finding
from .outcomes import ExpectedModule, PlannedTest, TestOutcome, VerificationResult
from .pipeline import OBSERVED_KINDS, Session
from .project import RevisionInfo
from .render import CONFTEST, FileHeader, file_status, read_header, runtime_problems
from .render.styles import ALEMBIC_STYLE, linear

ProblemKind = Literal["missing", "stale", "not_generated", "conftest", "runtime", "failing", "finding", "does_not_compile",
                      "orphan", "not_collected", "not_run", "nothing_ran", "stale_acknowledgement",
                      "kill_rate"]


class Problem(BaseModel):
    kind: ProblemKind
    revision: str | None = None
    file: str | None = None
    message: str


class CheckReport(BaseModel):
    problems: list[Problem] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list, description="Every finding, with how it is accepted if it is.")
    outcomes: list[TestOutcome] = Field(default_factory=list)
    files: int = 0
    checked: list[str] = Field(default_factory=list, description="The revisions checked: all, or the changed tail.")
    one_way: dict[str, str] = Field(default_factory=dict, description="Revision -> why it has no downgrade tests.")
    baseline: str | None = Field(None, description="The baseline file in use (or written), if there is one.")
    baseline_written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def run_check(session: Session, *, allow_findings: bool = False, revisions: list[RevisionInfo] | None = None,
              update_baseline: bool = False) -> CheckReport:
    """Check the suite of ``revisions`` (default: all) against the baseline; with
    ``update_baseline``, write the baseline from today's findings first."""
    checked = session.revisions if revisions is None else revisions
    scope = None if revisions is None else {r.id for r in checked}
    report = _run_suite(session, checked)
    _look_again(session, report, scope)
    if update_baseline:
        baseline = updated(session.baseline.baseline, session.findings, session.revisions, scope)
        session.use_baseline(write_baseline(session.baseline, baseline))
        report.baseline_written = True
    report.findings = list(session.findings)
    report.one_way = {r.id: session.one_way[r.id] for r in checked if r.id in session.one_way}
    report.baseline = str(session.baseline.path) if session.baseline.exists else None
    report.problems += _finding_problems(session, report, scope, allow_findings)
    return report


# --------------------------------------------------------------------------- the suite on disk


def _run_suite(session: Session, checked: list[RevisionInfo]) -> CheckReport:
    """Problems of the files of ``checked`` and the outcomes of their tests."""
    report = CheckReport(checked=[r.id for r in checked])
    texts: dict[str, str] = {}
    expected: dict[str, ExpectedModule] = {}
    claimed = {session.target(r).name for r in session.revisions if session.capture.captures[r.id].applied}
    for revision in checked:
        if not session.capture.captures[revision.id].applied:
            continue
        path = session.target(revision)
        status = session.status(revision)
        if status == "missing" and session.style == ALEMBIC_STYLE and not linear(revision, session.revisions):
            continue  # pytest-alembic's linear walk cannot reach it: its tests are left out by design
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
    for name, path in _test_files(session.out).items():
        if name not in claimed:
            _orphan(session, path, report)
    _check_shared_files(session, report)
    runtime = runtime_problems(session.out)
    report.problems += [Problem(kind="runtime", message=problem.message) for problem in runtime]
    report.files = len(texts)
    if not texts or any(problem.blocking for problem in runtime):  # else the installed runtime cannot run it
        return report
    shared = {relative: (session.out / relative).read_text(encoding="utf-8")
              for relative in session.shared_files() if (session.out / relative).exists()}
    result = session.run_modules({name: (texts[name], expected[name]) for name in texts}, shared=shared)
    report.outcomes = result.outcomes
    for module, error in result.collection_errors.items():
        report.problems.append(Problem(kind="not_collected", file=module, revision=expected[module].revision,
                                       message=f"{module} could not be collected: {error}"))
    ran = [o for o in result.outcomes if o.outcome not in ("not_run", "skipped")]
    if not ran:
        report.problems.append(Problem(kind="nothing_ran", message=f"no test of the suite ran ({len(result.outcomes)} expected)"))
    return report


def _look_again(session: Session, report: CheckReport, scope: set[str] | None) -> None:
    """Findings a capture finds only where asked, looked for now: where an acknowledgement names
    one (is it still there?), and where a rows test failed that no finding explains."""
    wanted: dict[str, set[str]] = {}
    seen = {(f.revision, f.kind) for f in session.findings}
    for entry in session.baseline.baseline.acknowledged:
        if entry.revision is not None and (scope is None or entry.revision in scope) \
                and entry.kind in OBSERVED_KINDS | {"round_trip_failed"} and (entry.revision, entry.kind) not in seen:
            wanted.setdefault(entry.revision, set()).add(entry.kind)
    for outcome in report.outcomes:
        if outcome.verdict == "test_defect" and outcome.aspect == "data":
            wanted.setdefault(outcome.revision, set()).update(OBSERVED_KINDS)
    found = [finding for revision, kinds in wanted.items() if revision in session.project.by_id
             for finding in session.look_again(revision, kinds)]
    if found:
        report.outcomes = VerificationResult(outcomes=report.outcomes).reclassified(session.findings).outcomes


def _finding_problems(session: Session, report: CheckReport, scope: set[str] | None,
                      allow_findings: bool) -> list[Problem]:
    """Failing tests no finding explains; findings the baseline does not accept (one problem each,
    naming the tests it makes fail); stale acknowledgements."""
    problems = []
    collected = {p.revision for p in report.problems if p.kind == "not_collected"}
    for outcome in report.outcomes:
        if outcome.verdict == "not_run" and outcome.revision not in collected:
            problems.append(Problem(kind="not_run", revision=outcome.revision, message=f"{outcome.name}: {outcome.message}"))
        elif outcome.verdict == "test_defect":
            problems.append(Problem(kind="failing", revision=outcome.revision,
                                    message=f"{outcome.name} fails: {outcome.message}"))
    for finding in session.findings:
        if finding.accepted is not None or allow_findings:
            continue
        if scope is not None and finding.revision is not None and finding.revision not in scope:
            continue
        failing = [o.name for o in report.outcomes if explaining(o, [finding]) is not None]
        problems.append(Problem(kind="finding", revision=finding.revision, message=f"{finding.kind}: {finding.message}"
                                + (f" (makes {', '.join(failing)} fail)" if failing else "")))
    for revision, message in stale_entries(session.baseline, session.findings, session.revisions, scope):
        problems.append(Problem(kind="stale_acknowledgement", revision=revision, file=session.baseline.name,
                                message=message))
    return problems


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
