"""The one orchestration both front ends use: capture, plan, render, verify, write.

A :class:`Session` loads the project and captures its history once; ``generate`` turns chosen
revisions into :class:`ReviewItem` objects (plan, rendered module, verified outcomes); ``write``
puts accepted items on disk atomically, never over a hand-edited file unless forced. The CLI
accepts every verified item; the TUI lets a person decide.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .capture import Capture, Finding, HistoryCapture
from .engines.deterministic import plan_for
from .events import CaptureProgress, EventSink, Notice, RevisionProgress, VerifyProgress, ignore
from .plan import TestPlan
from .probe import DataObservation, observe
from .project import AlembicProject, RevisionInfo, load
from .render import CONFTEST, FileStatus, SuiteLayout, file_status, module_name, render_module, suite_files
from .schema import SchemaDiff
from .verify import TestOutcome, VerificationResult, run_suite


class SessionOptions(BaseModel):
    """What a session works on."""

    path: Path = Field(description="alembic.ini, a project folder, or a versions folder.")
    db_url: str | None = Field(None, description="A PostgreSQL server for scratch databases; SQLite if empty.")
    builtin_env: bool = Field(False, description="Run on localmig's env.py instead of the project's.")
    metadata: str | None = Field(None, description="module:attribute of a MetaData, for the built-in env.")
    out: Path | None = Field(None, description="Where the suite goes; default <project>/tests/migrations.")


class ReviewItem(BaseModel):
    """One revision's generated tests, verified, waiting for a decision."""

    revision: RevisionInfo
    diff: SchemaDiff | None = None
    findings: list[Finding] = Field(default_factory=list)
    plan: TestPlan
    module: str = Field("", description="The rendered module, header included.")
    filename: str
    existing: FileStatus = "missing"
    outcomes: list[TestOutcome] = Field(default_factory=list)
    dropped: list[TestOutcome] = Field(default_factory=list, description="Tests removed: they failed and no finding explains why.")
    observation: DataObservation | None = None

    def count(self, verdict: str) -> int:
        return sum(1 for o in self.outcomes if o.verdict == verdict)


class WriteResult(BaseModel):
    path: str
    action: Literal["written", "unchanged", "kept_hand_edited", "dry_run"]


class Session:
    """A project with its history captured, ready to generate tests for any revision."""

    def __init__(self, options: SessionOptions, events: EventSink = ignore) -> None:
        self.options = options
        self.events = events
        self.project: AlembicProject = load(options.path, builtin_env=options.builtin_env, metadata=options.metadata)
        self.out = (options.out or self.project.root / "tests" / "migrations").resolve()
        self._logging = logging.root.manager.disable
        logging.disable(logging.INFO)  # env.py's "Running upgrade ..." lines, for the session's life
        self._capture = Capture(self.project, options.db_url)
        try:
            self.capture: HistoryCapture = self._capture.run(self._capture_progress)
        except BaseException:
            self.close()
            raise
        self.findings: list[Finding] = list(self.capture.findings)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._capture.close()
        logging.disable(self._logging)

    def _capture_progress(self, phase: str, revision: str, done: int, total: int) -> None:
        self.events(CaptureProgress(phase=phase, revision=revision, done=done, total=total))  # type: ignore[arg-type]

    # ---- what exists

    @property
    def revisions(self) -> list[RevisionInfo]:
        return self.project.revisions

    def select(self, specs: list[str] | None = None) -> list[RevisionInfo]:
        """Revisions by id, prefix or branch label, in history order (all when none given)."""
        if not specs:
            return list(self.revisions)
        chosen = {self.project.revision(spec).id for spec in specs}
        return [r for r in self.revisions if r.id in chosen]

    def target(self, revision: RevisionInfo) -> Path:
        return self.out / module_name(revision)

    def status(self, revision: RevisionInfo) -> FileStatus:
        return file_status(self.target(revision), revision)

    def findings_for(self, revision: str) -> list[Finding]:
        return [f for f in self.findings if f.revision == revision]

    # ---- generating

    def plan(self, revision: RevisionInfo) -> ReviewItem:
        """The deterministic plan of one revision (no model), with its data observation."""
        item = ReviewItem(
            revision=revision,
            plan=TestPlan(revision=revision.id),
            filename=module_name(revision),
            existing=self.status(revision),
        )
        capture = self.capture.captures[revision.id]
        if not capture.applied:
            self.events(RevisionProgress(revision=revision.id, stage="skipped", detail="its upgrade could not be applied"))
            item.findings = self.findings_for(revision.id)
            return item
        self.events(RevisionProgress(revision=revision.id, stage="observing"))
        before = self._capture.snapshot_before(revision.id)
        after = self._capture.snapshot_after(revision.id)
        item.diff = capture.diff
        item.observation = observe(self._capture.history, revision, before, after, capture.diff.touched_tables)
        self._observation_findings(revision.id, item.observation)
        item.plan = plan_for(revision, capture.diff, before, after, item.observation)
        item.findings = self.findings_for(revision.id)
        self.events(RevisionProgress(revision=revision.id, stage="planned", detail=f"{len(item.plan.tests)} tests"))
        return item

    def _observation_findings(self, revision: str, observation: DataObservation | None) -> None:
        if observation is None:
            return
        found = []
        if observation.upgrade_error:
            found.append(Finding(revision=revision, kind="upgrade_fails_with_rows", message=f"upgrade with existing rows: {observation.upgrade_error}"))
        if observation.downgrade_error:
            found.append(Finding(revision=revision, kind="downgrade_fails_with_rows", message=f"downgrade with existing rows: {observation.downgrade_error}"))
        if observation.downgrade_lost:
            found.append(
                Finding(revision=revision, kind="downgrade_loses_rows", message="downgrade does not give back the rows that existed before the upgrade", details=observation.downgrade_lost)
            )
        known = {(f.revision, f.kind) for f in self.findings}
        self.findings += [f for f in found if (f.revision, f.kind) not in known]

    def render(self, item: ReviewItem) -> None:
        item.module = render_module(
            item.revision,
            item.diff,
            item.plan,
            dialect=self.capture.dialect,
            findings=[f.message for f in item.findings],
        )

    def generate(self, revisions: list[RevisionInfo]) -> list[ReviewItem]:
        """Plan, render and verify tests for ``revisions``; failing tests no finding explains are dropped."""
        items = [self.plan(revision) for revision in revisions]
        items = [item for item in items if item.plan.tests]
        for item in items:
            self.render(item)
        self.verify(items)
        return items

    def suite_layout(self) -> SuiteLayout:
        return SuiteLayout.for_project(self.project.settings, self.out)

    def shared_files(self) -> dict[str, str]:
        suite = os.path.relpath(self.out, self.project.root).replace(os.sep, "/")
        return suite_files(self.suite_layout(), suite)

    def verify(self, items: list[ReviewItem]) -> VerificationResult:
        """Run the items' modules together on scratch databases and attach the outcomes."""
        if not items:
            return VerificationResult()
        tests = sum(len(i.plan.tests) for i in items)
        self.events(VerifyProgress(stage="started", tests=tests))
        files = dict(self.shared_files())
        files.update({item.filename: item.module for item in items})
        result = run_suite(
            files,
            {item.filename: item.revision.id for item in items},
            project_root=self.project.root,
            plans={item.revision.id: item.plan for item in items},
            findings=self.findings,
            db_url=self._capture.db_url,
        )
        for item in items:
            item.findings = self.findings_for(item.revision.id)
            item.outcomes = result.for_revision(item.revision.id)
            broken = [o for o in item.outcomes if o.verdict == "test_defect"]
            if broken:
                names = {o.name for o in broken}
                item.dropped += broken
                item.outcomes = [o for o in item.outcomes if o.name not in names]
                item.plan = item.plan.model_copy(update={"tests": [t for t in item.plan.tests if t.name not in names]})
                self.render(item)
                for outcome in broken:
                    self.events(
                        Notice(
                            level="error",
                            message=f"{item.revision.id}: {outcome.name} failed on a migration localmig found sound; it was left out",
                            hint=outcome.message,
                        )
                    )
        self.events(VerifyProgress(stage="finished", tests=tests, detail=f"{result.count('passed')} passed in {result.duration:.1f} s"))
        return result

    # ---- writing

    def write(self, items: list[ReviewItem], *, force: bool = False, dry_run: bool = False) -> list[WriteResult]:
        """Write the items' modules and the shared files; hand-edited files stay unless ``force``."""
        results = []
        for relative, text in self.shared_files().items():
            results.append(self._write(self.out / relative, text, force=force, dry_run=dry_run))
        for item in items:
            if item.plan.tests:
                results.append(self._write(self.out / item.filename, item.module, force=force, dry_run=dry_run))
        return results

    def _write(self, path: Path, text: str, *, force: bool, dry_run: bool) -> WriteResult:
        shown = os.path.relpath(path, Path.cwd()) if path.is_absolute() else str(path)
        if path.exists() and path.read_text(encoding="utf-8", errors="replace") == text:
            return WriteResult(path=shown, action="unchanged")
        if path.name.endswith(".py") and file_status(path) in ("hand_edited", "not_generated") and not force:
            return WriteResult(path=shown, action="kept_hand_edited")
        if dry_run:
            return WriteResult(path=shown, action="dry_run")
        atomic_write(path, text)
        return WriteResult(path=shown, action="written")


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
