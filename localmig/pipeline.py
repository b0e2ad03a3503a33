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
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Literal

from pydantic import BaseModel, Field

from .capture import Capture, Finding, HistoryCapture
from .engines.deterministic import plan_for
from .engines.model import Conversation
from .errors import Cancelled, ModelError, ModelNotPulled, ModelUnavailable, VerifyError
from .events import CaptureProgress, EventSink, Notice, RevisionProgress, VerifyProgress, ignore
from .plan import TestPlan
from .probe import DataObservation, observe
from .project import AlembicProject, RevisionInfo, load
from .render import (VENDORED_RUNTIME, FileStatus, SuiteLayout, file_status, module_name, plan_from_module, render_module,
                     suite_files)
from .schema import SchemaDiff, SchemaSnapshot
from .store import Store
from .verify import TestOutcome, VerificationResult, classify, run_suite

if TYPE_CHECKING:
    from .modelrun import ModelLayer


class SessionOptions(BaseModel):
    """What a session works on."""

    path: Path = Field(description="alembic.ini, a project folder, or a versions folder.")
    db_url: str | None = Field(None, description="A PostgreSQL server for scratch databases; SQLite if empty.")
    builtin_env: bool = Field(False, description="Run on localmig's env.py instead of the project's.")
    metadata: str | None = Field(None, description="module:attribute of a MetaData, for the built-in env.")
    out: Path | None = Field(None, description="Where the suite goes; default <project>/tests/migrations.")
    round_trips: bool = Field(False, description="Run every round trip (up, down, up) during the capture; "
                                                 "else only where a generated round-trip test fails.")
    vendor: bool = Field(False, description="Write the runtime beside the suite (a suite vendored before stays so).")


class ModelChoice(BaseModel):
    """Whether and how the model layer runs."""

    mode: Literal["auto", "require", "off"] = Field(
        "auto", description="auto: use the model if Ollama answers, else go on without it; require: fail; off: never."
    )
    model: str | None = Field(None, description="A models.yaml profile name or a raw Ollama tag.")
    config: Path | None = Field(None, description="models.yaml to use instead of the usual look-up.")
    prompts: Path | None = Field(None, description="A folder of prompt templates that override the packaged ones.")
    replay_only: bool = Field(False, description="Answer only from the cache; a miss is an error.")


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
    dropped: list[TestOutcome] = Field(default_factory=list, description="Tests left out: they failed and no finding explains why.")
    observation: DataObservation | None = None
    conversation: Conversation | None = Field(None, description="What was sent to the model and what it answered.")
    model_error: str | None = None
    hint: str = Field("", description="A reviewer's hint for the model, added to the prompt.")

    def count(self, verdict: str) -> int:
        return sum(1 for o in self.outcomes if o.verdict == verdict)

    def engines(self) -> dict[str, int]:
        return {e: sum(1 for t in self.plan.tests if t.engine == e) for e in ("deterministic", "model")}


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
        self.model: ModelLayer | None = None
        self.model_skipped: ModelError | None = None  # why the model layer is off in auto mode
        self.store: Store | None = None
        self.timings: dict[str, float] = {}
        self.cancel = threading.Event()  # set it (from another thread) to stop the work in progress
        self._logging = logging.root.manager.disable
        logging.disable(logging.INFO)  # env.py's "Running upgrade ..." lines, for the session's life
        self._capture = Capture(self.project, options.db_url, round_trips=options.round_trips)
        try:
            with self.timed("capture"):
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
        if self.store is not None:
            self.store.close()
        logging.disable(self._logging)

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Add the wall time of the block to ``timings[phase]`` (the batch report shows them)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - started

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

    def snapshots(self, revision: str) -> tuple[SchemaSnapshot, SchemaSnapshot]:
        """The schema just before and right after ``revision``."""
        return self._capture.snapshot_before(revision), self._capture.snapshot_after(revision)

    # ---- the model layer

    def use_model(self, choice: ModelChoice) -> ModelLayer | None:
        """Set up (or switch) the model layer; see :meth:`ModelLayer.open`."""
        from .modelrun import ModelLayer  # the Ollama client loads only when a model is used
        if choice.mode != "off" and self.store is None:
            self.store = Store(self.project.root)
        self.model, self.model_skipped = None, None
        try:
            self.model = ModelLayer.open(choice, self.store, project_root=self.project.root,  # type: ignore[arg-type]
                                         dialect=self.capture.dialect, snapshots=self.snapshots, events=self.events,
                                         cancel=self.cancel)
        except (ModelUnavailable, ModelNotPulled) as error:
            if choice.mode == "require":
                raise
            self.model_skipped = error  # auto mode: go on without the model, and say so
            self.events(Notice(level="warning", message=f"model layer skipped: {error}", hint=error.hint))
        return self.model

    @property
    def model_label(self) -> str | None:
        return self.model.label if self.model else None

    @property
    def engine(self):  # -> ModelEngine | None
        return self.model.engine if self.model else None

    def context_for(self, item: ReviewItem) -> Conversation:
        """What the model would be sent first for ``item`` (nothing is sent)."""
        assert self.model is not None, "no model layer: call use_model() first"
        return self.model.conversation_for(item)

    # ---- generating

    def plan(self, revision: RevisionInfo) -> ReviewItem:
        """The deterministic plan of one revision (no model), with its data observation."""
        item = ReviewItem(revision=revision, plan=TestPlan(revision=revision.id), filename=module_name(revision),
                          existing=self.status(revision))
        capture = self.capture.captures[revision.id]
        if not capture.applied or capture.diff is None:
            self.events(RevisionProgress(revision=revision.id, stage="skipped", detail="its upgrade could not be applied"))
            item.findings = self.findings_for(revision.id)
            return item
        self.events(RevisionProgress(revision=revision.id, stage="observing"))
        before, after = self.snapshots(revision.id)
        item.diff = capture.diff
        with self.timed("observe"):
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
            found.append(Finding(revision=revision, kind="upgrade_fails_with_rows",
                                 message=f"upgrade with existing rows: {observation.upgrade_error}"))
        known_downgrade = any(f.kind.startswith("downgrade") for f in self.findings_for(revision))
        if observation.downgrade_error and not known_downgrade:
            found.append(Finding(revision=revision, kind="downgrade_fails_with_rows",
                                 message=f"downgrade with existing rows: {observation.downgrade_error}"))
        if observation.downgrade_lost:
            found.append(Finding(revision=revision, kind="downgrade_loses_rows",
                                 message="downgrade does not give back the rows that existed before the upgrade",
                                 details=observation.downgrade_lost))
        known = {(f.revision, f.kind) for f in self.findings}
        self.findings += [f for f in found if (f.revision, f.kind) not in known]

    def render(self, item: ReviewItem) -> None:
        engine = self.model.engine if self.model and item.conversation is not None else None
        item.module = render_module(
            item.revision,
            item.diff,
            item.plan,
            dialect=self.capture.dialect,
            findings=[f.message for f in item.findings],
            model=engine.profile.model if engine else None,
            prompts_version=engine.prompts.version if engine else None,
            options_sha256=engine.settings_sha256 if engine else None,
        )

    def generate(self, revisions: list[RevisionInfo], hints: dict[str, str] | None = None, *, jobs: int = 1,
                 keep_failing: bool = False) -> list[ReviewItem]:
        """Plan (both engines), render and verify tests for ``revisions``; repair failing model
        tests; then leave out (or, with ``keep_failing``, mark xfail) tests that still fail for a
        reason no finding explains."""
        items = []
        for revision in revisions:
            self._check_cancel()
            item = self.plan(revision)
            item.hint = (hints or {}).get(revision.id, "")
            items.append(item)
        if self.model is not None:
            with self.timed("model"):
                self.model.ask_all(items, jobs)
        items = [item for item in items if item.plan.tests]
        for item in items:
            self.render(item)
        self._check_cancel()
        self.verify(items)
        if self.model is not None:
            self.model.repair(items, self.render, self.verify, jobs)
        self.finalize(items, keep_failing=keep_failing)
        if self.model is not None:
            self.model.log_outcomes(items)
        return items

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled("cancelled")

    def suite_layout(self) -> SuiteLayout:
        return SuiteLayout.for_project(self.project.settings, self.out, self.capture.dialect)

    def shared_files(self) -> dict[str, str]:
        suite = os.path.relpath(self.out, self.project.root).replace(os.sep, "/")
        vendor = self.options.vendor or (self.out / VENDORED_RUNTIME).exists()
        return suite_files(self.suite_layout(), suite, vendor=vendor)

    def verify(self, items: list[ReviewItem]) -> VerificationResult:
        """Run the items' modules together on scratch databases and attach the outcomes."""
        if not items:
            return VerificationResult()
        tests = sum(len(i.plan.tests) for i in items)
        self.events(VerifyProgress(stage="started", tests=tests))
        files = dict(self.shared_files())
        files.update({item.filename: item.module for item in items})
        with self.timed("verify"):
            result = run_suite(
                files,
                {item.filename: item.revision.id for item in items},
                project_root=self.project.root,
                plans={item.revision.id: item.plan for item in items},
                findings=self.findings,
                db_url=self._capture.db_url,
                cancel=self.cancel,
            )
        explained = self.explain(result.outcomes)
        for item in items:
            item.outcomes = result.for_revision(item.revision.id)
            item.findings = self.findings_for(item.revision.id)
            if item.revision.id in explained:
                self.render(item)  # the module's docstring lists the findings its tests expose
        self.events(VerifyProgress(stage="finished", tests=tests, detail=f"{result.count('passed')} passed in {result.duration:.1f} s"))
        return result

    def explain(self, outcomes: list[TestOutcome]) -> set[str]:
        """Round-trip tests that failed while the capture ran no round trips: run those round
        trips now; where the history is at fault, its finding explains (reclassifies) the
        failures. The revisions that got a new finding."""
        suspects = {o.revision for o in outcomes if o.verdict == "test_defect" and o.aspect == "round_trip"}
        explained = set()
        for revision in sorted(suspects):
            if any(f.kind == "round_trip_failed" for f in self.findings_for(revision)):
                continue
            finding = self._capture.round_trip_finding(revision)
            if finding is not None:
                self.findings.append(finding)
                explained.add(revision)
        for outcome in outcomes:
            if outcome.revision in explained:
                classify(outcome, self.findings_for(outcome.revision))
        return explained

    def rerun(self, item: ReviewItem, text: str) -> list[TestOutcome]:
        """Run an edited module (``text``) of ``item`` and return its outcomes (the TUI's re-run)."""
        try:
            names = plan_from_module(text)
        except SyntaxError as error:
            raise VerifyError(f"the edited module has a syntax error at line {error.lineno}: {error.msg}") from None
        known = {t.name: t for t in item.plan.tests}
        plan = item.plan.model_copy(update={"tests": [known[n] for n in names if n in known]})
        probe = item.model_copy(update={"module": text, "plan": plan})
        self.verify([probe])
        return probe.outcomes

    def finalize(self, items: list[ReviewItem], *, keep_failing: bool = False) -> None:
        """Leave out tests that failed although no finding explains it (or mark them xfail), and say so."""
        for item in items:
            broken = {o.name: o for o in item.outcomes if o.verdict == "test_defect"}
            if not broken:
                continue
            tests = []
            for test in item.plan.tests:
                outcome = broken.get(test.name)
                if outcome is None:
                    tests.append(test)
                elif keep_failing:
                    reason = (outcome.message or "fails").splitlines()[0][:150]
                    tests.append(test.model_copy(update={"xfail": f"localmig: failed when generated: {reason}"}))
            item.dropped += [] if keep_failing else list(broken.values())
            item.plan = item.plan.model_copy(update={"tests": tests})
            self.render(item)
            for outcome in broken.values():
                deterministic = outcome.engine == "deterministic"
                why = ("localmig bug: a deterministic test failed on a migration found sound" if deterministic
                       else "the model's test still failed after the repair rounds")
                done = "marked xfail" if keep_failing else "left out"
                self.events(Notice(level="error" if deterministic else "warning",
                                   message=f"{item.revision.id}: {done} {outcome.name} ({why})", hint=outcome.message or None))

    # ---- writing

    def write(self, items: list[ReviewItem], *, force: bool = False, dry_run: bool = False,
              force_shared: bool | None = None) -> list[WriteResult]:
        """Write the items' modules and the shared files (conftest.py...); hand-edited files stay
        unless ``force`` (``force_shared`` decides for the shared files; default: as ``force``)."""
        shared = force if force_shared is None else force_shared
        results = [self._write(self.out / relative, text, force=shared, dry_run=dry_run)
                   for relative, text in self.shared_files().items()]
        for item in items:
            if item.plan.tests:
                results.append(self._write(self.out / item.filename, item.module, force=force, dry_run=dry_run))
        return results

    def _write(self, path: Path, text: str, *, force: bool, dry_run: bool) -> WriteResult:
        shown = os.path.relpath(path, Path.cwd())
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
