"""The one orchestration both front ends use: capture → plan → model → render → verify → decide → write.

A :class:`Session` is a loaded project. :meth:`Session.capture` runs its history once (an
explicit step); :meth:`Session.generate` then takes revisions through the stages, each a method
that takes values and returns new ones (:class:`~localmig.items.ReviewItem` is immutable), with
the repair loop in one place; :meth:`Session.write` puts decided items on disk. Findings are only
ever appended. The CLI accepts every verified item; the review app lets a person decide.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from .baseline import (
    BaselineFile,
    accepted_as,
    acknowledge,
    expected_failures,
    judged,
    one_way_revisions,
    read_baseline,
)
from .cancel import CancelToken, never
from .capture import Capture, Finding, HistoryCapture, ScratchFull, quiet_role_notes, scratch_errors
from .engines.deterministic import plan_for
from .engines.model import Conversation
from .errors import Cancelled, CaptureError, LocalmigError, ModelError, ModelNotPulled, ModelUnavailable, VerifyError
from .events import CaptureProgress, EventSink, Notice, RevisionProgress, VerifyProgress, ignore
from .items import ReviewItem, WriteResult
from .notices import left_out_notice, not_in_style_notice
from .observe.findings import observation_findings
from .options import ModelChoice, SessionOptions
from .outcomes import ExpectedModule, PlannedTest, TestOutcome, VerificationResult
from .plan import TestPlan
from .project import AlembicProject, RevisionInfo, load
from .render import (
    VENDORED_RUNTIME,
    FileStatus,
    RenderedModule,
    SuiteLayout,
    defined_tests,
    file_status,
    generated_files,
    module_name,
    render_plan,
)
from .render.styles import checked_style, linear, shared_files, style_on_disk
from .schema import SchemaSnapshot
from .store import Store
from .verify import run_suite
from .write import check_suite_folder, write_file

if TYPE_CHECKING:
    from .modelrun import ModelAnswer, ModelLayer

__all__ = ["ModelChoice", "ReviewItem", "Session", "SessionOptions", "WriteResult"]

# Findings the capture looks for only where asked (Session.look_again): rows through the migration.
OBSERVED_KINDS = frozenset({"upgrade_fails_with_rows", "downgrade_fails_with_rows", "downgrade_loses_rows"})


class Session:
    """A project, its captured history, and the stages that turn revisions into verified tests."""

    def __init__(self, options: SessionOptions, events: EventSink = ignore) -> None:
        self.options = options
        self.events = events
        self.project: AlembicProject = load(options.path, builtin_env=options.builtin_env, metadata=options.metadata,
                                               initial_schema=options.initial_schema)
        self.out = check_suite_folder(options.out or self.project.root / "tests" / "migrations",
                                      self.project.settings.version_folders)
        self.style = checked_style(options.style or style_on_disk(self.out),
                                   SuiteLayout.for_project(self.project.settings, self.out), vendor=options.vendor)
        self.model: ModelLayer | None = None
        self.model_skipped: ModelError | None = None  # why the model layer is off in auto mode
        self.store: Store | None = None
        self.timings: dict[str, float] = {}
        self.findings: list[Finding] = []
        # acknowledged findings and one-way revisions (the baseline file), and what it means here
        self.baseline: BaselineFile = read_baseline(self.project.root)
        self.one_way: dict[str, str] = one_way_revisions(self.revisions, self.baseline, self.project.labels)
        self._capture: Capture | None = None
        self._result: HistoryCapture | None = None
        self._files: tuple[int | None, dict[str, Path]] | None = None  # (folder mtime, generated files)

    @classmethod
    def open(cls, options: SessionOptions, events: EventSink = ignore, cancel: CancelToken | None = None) -> Session:
        """A session with its history captured (closed again if the capture fails)."""
        session = cls(options, events)
        try:
            session.run_capture(cancel)
        except BaseException:
            session.close()
            raise
        return session

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._capture is not None:
            self._capture.close()
        if self.store is not None:
            self.store.close()

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Add the wall time of the block to ``timings[phase]`` (the batch report shows them)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - started

    # ---- stage 1: capture

    def run_capture(self, cancel: CancelToken | None = None) -> HistoryCapture:
        """Run the history on scratch databases once: every upgrade, snapshot and downgrade."""
        with quiet_role_notes():  # said once below, as a note
            self._capture = Capture(self.project, self.options.db_url, round_trips=self.options.round_trips,
                                    step_timeout=self.options.step_timeout)

        def progress(phase: str, revision: str, done: int, total: int) -> None:
            if cancel is not None:
                cancel.check()
            self.events(CaptureProgress(phase=phase, revision=revision, done=done, total=total))

        with self.timed("capture"), quiet_role_notes():
            self._result = self._capture.run(progress)
        for note in self._capture.notes:
            self.events(Notice(level="info", message=note))
        self.findings = self._judged(self._result.findings)
        return self._result

    @property
    def capture(self) -> HistoryCapture:
        if self._result is None:
            raise CaptureError("the history has not been captured yet (Session.run_capture)")
        return self._result

    def step_runs(self) -> dict[str, int]:
        """How often each migration step ran in this process so far ('upgrade <rev>' -> count)."""
        return self._capture.step_runs() if self._capture is not None else {}

    @property
    def live_capture(self) -> Capture:
        if self._capture is None:
            raise CaptureError("the history has not been captured yet (Session.run_capture)")
        return self._capture

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
        """The revision's test module: the generated file that names it, else ``module_name``."""
        return self._existing().get(revision.id) or self.out / module_name(revision)

    def _existing(self) -> dict[str, Path]:
        stamp = self.out.stat().st_mtime_ns if self.out.is_dir() else None
        if self._files is None or self._files[0] != stamp:
            self._files = (stamp, generated_files(self.out))
        return self._files[1]

    def status(self, revision: RevisionInfo) -> FileStatus:
        return file_status(self.target(revision), revision)

    def findings_for(self, revision: str) -> list[Finding]:
        return [f for f in self.findings if f.revision == revision]

    def snapshots(self, revision: str) -> tuple[SchemaSnapshot, SchemaSnapshot]:
        """The schema just before and right after ``revision``."""
        return self.live_capture.snapshot_before(revision), self.live_capture.snapshot_after(revision)

    def _add_findings(self, found: list[Finding]) -> list[Finding]:
        """Append the findings not known yet (by revision and kind); the ones added."""
        known = {(f.revision, f.kind) for f in self.findings}
        new = self._judged([f for f in found if (f.revision, f.kind) not in known])
        self.findings = self.findings + new
        return new

    # ---- the baseline: acknowledged findings, one-way revisions

    def _judged(self, findings: list[Finding]) -> list[Finding]:
        return judged(findings, self.baseline.baseline, self.one_way)

    def use_baseline(self, file: BaselineFile) -> None:
        """Judge the findings (and plan later revisions) against ``file`` from now on."""
        self.baseline = file
        self.one_way = one_way_revisions(self.revisions, file, self.project.labels)
        self.findings = self._judged(self.findings)

    def acknowledge(self, finding: Finding, reason: str) -> BaselineFile:
        """Acknowledge ``finding`` with ``reason``: written to the baseline file at once, and judged so."""
        self.use_baseline(acknowledge(self.project.root, finding, reason, self.revisions))
        return self.baseline

    def look_again(self, revision: str, kinds: set[str]) -> list[Finding]:
        """Look on ``revision`` now for findings of ``kinds`` that a capture finds only where asked
        (round trips; rows through the migration); the ones that are new (added to the findings)."""
        capture = self.capture.captures.get(revision)
        if capture is None or not capture.applied or capture.diff is None:
            return []
        found = []
        if "round_trip_failed" in kinds and (round_trip := self.live_capture.round_trip_finding(revision)):
            found.append(round_trip)
        if kinds & OBSERVED_KINDS:
            before, after = self.snapshots(revision)
            with self.timed("observe"):
                observation = self.live_capture.observe(self.project.by_id[revision], before, after,
                                                        capture.diff.touched_tables)
            found += observation_findings(revision, observation, self.findings_for(revision))
        return self._add_findings(found)

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
                                         history=self.live_capture.history)
        except (ModelUnavailable, ModelNotPulled) as error:
            if choice.mode == "require":
                raise
            self.model_skipped = error  # auto mode: go on without the model, and say so
            self.events(Notice(level="warning", message=f"model layer skipped: {error}", hint=error.hint))
        return self.model

    @property
    def model_label(self) -> str | None:
        return self.model.label if self.model else None

    def context_for(self, item: ReviewItem) -> Conversation | None:
        """What the model would be sent first for ``item`` (nothing is sent; None: nothing would be)."""
        assert self.model is not None, "no model layer: call use_model() first"
        return self.model.conversation_for(item)

    # ---- generating: the stages in order

    @scratch_errors()  # a full scratch disk: one CaptureError, not a failure per revision
    def generate(self, revisions: list[RevisionInfo], hints: dict[str, str] | None = None, *, jobs: int = 1,
                 keep_failing: bool = False, cancel: CancelToken | None = None) -> list[ReviewItem]:
        """Plan (both engines), render and verify tests for ``revisions``; repair failing model
        tests; then leave out (or, with ``keep_failing``, mark xfail) tests that still fail for a
        reason no finding explains."""
        cancel = cancel or never()
        items = []
        for revision in revisions:
            cancel.check()
            blank = ReviewItem(revision=revision, plan=TestPlan(revision=revision.id), existing=self.status(revision))
            hint = (hints or {}).get(revision.id, "")
            items.append(self._guarded(blank, "planning", partial(self.plan, revision, hint=hint)))
        if self.model is not None:
            with self.timed("model"):
                answers = self.model.ask_all(items, jobs, cancel)
            items = [self._with_model_answer(item, answers.get(item.revision.id)) for item in items]
        items = [self._guarded(item, "rendering", partial(self.render, item)) for item in items]
        cancel.check()
        items = self.verify(items, cancel)
        items = self._repair_loop(items, jobs, cancel)
        items = [self.decide(item, keep_failing=keep_failing) for item in items]
        if self.model is not None:
            for item in items:
                self.model.log_outcome(item)
        return [item for item in items if item.plan.tests or item.error]

    def _guarded(self, item: ReviewItem, stage: str, work: Callable[[], ReviewItem]) -> ReviewItem:
        """``work()``, or ``item`` with the reason when it fails for this revision alone: one
        revision that cannot be planned or rendered does not sink the others."""
        try:
            return work()
        except (Cancelled, CaptureError, ScratchFull, ModelError, KeyboardInterrupt):
            raise  # not about this revision: the database, the model or the user
        except Exception as error:
            bug = "" if isinstance(error, LocalmigError) else " (a localmig bug; LOCALMIG_DEBUG=1 shows the traceback)"
            if os.environ.get("LOCALMIG_DEBUG"):
                traceback.print_exc()
            reason = f"{stage} failed: {type(error).__name__}: {error}{bug}"
            self.events(Notice(level="error", message=f"{item.revision.id}: {reason}"))
            return item.model_copy(update={"error": reason, "plan": TestPlan(revision=item.revision.id), "rendered": None})

    def plan(self, revision: RevisionInfo, hint: str = "") -> ReviewItem:
        """The deterministic plan of one revision (no model), with its data observation."""
        item = ReviewItem(revision=revision, plan=TestPlan(revision=revision.id), existing=self.status(revision),
                          hint=hint)
        capture = self.capture.captures[revision.id]
        if not capture.applied or capture.diff is None:
            self.events(RevisionProgress(revision=revision.id, stage="skipped", detail="its upgrade could not be applied"))
            return item.model_copy(update={"findings": self.findings_for(revision.id)})
        self.events(RevisionProgress(revision=revision.id, stage="observing"))
        before, after = self.snapshots(revision.id)
        with self.timed("observe"):
            observation = self.live_capture.observe(revision, before, after, capture.diff.touched_tables)
        self._add_findings(observation_findings(revision.id, observation, self.findings_for(revision.id), capture.diff))
        plan = plan_for(revision, capture.diff, before, after, observation, one_way=self.one_way.get(revision.id),
                        checks_models=self.capture.models_at_head is not None and self.capture.heads == [revision.id])
        self.events(RevisionProgress(revision=revision.id, stage="planned", detail=f"{len(plan.tests)} tests"))
        return item.model_copy(update={"diff": capture.diff, "observation": observation, "plan": plan,
                                       "findings": self.findings_for(revision.id)})

    def _with_model_answer(self, item: ReviewItem, answer: ModelAnswer | None) -> ReviewItem:
        if answer is None:
            return item
        self._add_findings(answer.findings)
        plan = item.plan.merged(answer.tests) if answer.tests is not None else item.plan
        return item.model_copy(update={"plan": plan, "conversation": answer.conversation, "model_error": answer.error,
                                       "findings": self.findings_for(item.revision.id)})

    def render(self, item: ReviewItem) -> ReviewItem:
        """Every planned test rendered once, and the module with all of them (what verification runs)."""
        if not item.plan.tests:
            return item
        engine = self.model.engine if self.model and item.conversation is not None else None
        rendered = render_plan(
            item.revision, item.diff, item.plan, dialect=self.capture.dialect,
            model=engine.profile.model if engine else None,
            prompts_version=engine.prompts.version if engine else None,
            options_sha256=engine.settings_sha256 if engine else None,
            style=self.style, linear=self.style == "localmig" or linear(item.revision, self.revisions),
        )
        if rendered.left_out:
            if item.rendered is None:  # said once, not again for each repair round of the model's tests
                self.events(not_in_style_notice(item.revision.id, rendered.left_out))
            kept = [t for t in item.plan.tests if t.name not in rendered.left_out]
            item = item.model_copy(update={"plan": item.plan.model_copy(update={"tests": kept})})
        return item.model_copy(update={"rendered": rendered, "module": self._text(rendered, item.revision.id)})

    def _text(self, rendered: RenderedModule, revision: str, keep: list[str] | None = None,
              xfail: dict[str, str] | None = None, expected: dict[str, str] | None = None) -> str:
        findings = [f.message + (f" ({accepted_as(f)}: {f.reason})" if f.accepted else "") for f in self.findings_for(revision)]
        return rendered.text(findings, keep=keep, xfail=xfail, strict_xfail=expected)

    def suite_layout(self) -> SuiteLayout:
        return SuiteLayout.for_project(self.project.settings, self.out, self.capture.dialect)

    def shared_files(self) -> dict[str, str]:
        suite = os.path.relpath(self.out, self.project.root).replace(os.sep, "/")
        vendor = self.style == "localmig" and (self.options.vendor or (self.out / VENDORED_RUNTIME).exists())
        return shared_files(self.suite_layout(), suite, style=self.style, vendor=vendor)

    def run_modules(self, modules: dict[str, tuple[str, ExpectedModule]], cancel: CancelToken | None = None, *,
                    shared: dict[str, str] | None = None) -> VerificationResult:
        """Run module texts (file name -> (text, the tests it must report)) together on scratch
        databases, beside ``shared`` files (default: the conftest this localmig writes); the
        outcomes classified against the findings, round trips explained."""
        if not modules:
            return VerificationResult()
        expected = {name: wanted for name, (_, wanted) in modules.items()}
        tests = sum(len(e.tests) for e in expected.values())
        self.events(VerifyProgress(stage="started", tests=tests))
        files = dict(self.shared_files() if shared is None else shared)
        files.update({name: text for name, (text, _) in modules.items()})
        with self.timed("verify"):
            result = run_suite(files, expected, project_root=self.project.root, findings=self.findings,
                               db_url=self.live_capture.db_url, cancel=cancel, step_timeout=self.options.step_timeout)
        if self._explain(result.outcomes):
            result = result.reclassified(self.findings)
        self.events(VerifyProgress(stage="finished", tests=tests,
                                   detail=f"{result.count('passed')} passed in {result.duration:.1f} s"))
        return result

    def verify(self, items: list[ReviewItem], cancel: CancelToken | None = None) -> list[ReviewItem]:
        """The items with the outcomes of their modules (all run together)."""
        ready = [item for item in items if item.rendered is not None]
        result = self.run_modules({item.filename: (item.module, item.rendered.expected(defined_tests(item.module)))  # type: ignore[union-attr]
                                   for item in ready}, cancel)
        return [self._verified(item, result) if item.rendered is not None else item for item in items]

    def _verified(self, item: ReviewItem, result: VerificationResult) -> ReviewItem:
        assert item.rendered is not None
        error = result.collection_errors.get(item.filename)
        return item.model_copy(update={
            "outcomes": result.for_revision(item.revision.id),
            "findings": self.findings_for(item.revision.id),
            "module": self._text(item.rendered, item.revision.id, keep=defined_tests(item.module)),
            "error": f"the generated module could not be collected: {error}" if error else item.error,
        })

    def _explain(self, outcomes: list[TestOutcome]) -> bool:
        """Round-trip tests failed while the capture ran no round trips: run those round trips
        now; where the history is at fault its finding explains the failures. Whether any was found."""
        suspects = sorted({o.revision for o in outcomes if o.verdict == "test_defect" and o.aspect == "round_trip"})
        found = []
        for revision in suspects:
            if any(f.kind == "round_trip_failed" for f in self.findings_for(revision)):
                continue
            finding = self.live_capture.round_trip_finding(revision)
            if finding is not None:
                found.append(finding)
        return bool(self._add_findings(found))

    def _repair_loop(self, items: list[ReviewItem], jobs: int, cancel: CancelToken) -> list[ReviewItem]:
        """Send failing model tests back (code: with their pytest output; scenarios: with what was
        observed, then recorded as observed), for the model layer's rounds."""
        from .modelrun import model_failures

        if self.model is None:
            return items
        for _ in range(self.model.test_rounds):
            failing = [i for i in items if i.conversation is not None and model_failures(i.outcomes)]
            if not failing or (self.model.stopped and self.model.output == "code"):
                break
            with self.timed("model"):
                answers = self.model.repair_all(failing, jobs, cancel)
            repaired = {}
            for item in failing:
                answer = answers[item.revision.id]
                self._add_findings(answer.findings)
                if answer.tests is None:
                    continue
                deterministic = item.plan.model_copy(update={"tests": [t for t in item.plan.tests if t.engine == "deterministic"]})
                again = item.model_copy(update={"plan": deterministic.merged(answer.tests),
                                                "conversation": answer.conversation})
                repaired[item.revision.id] = self.render(again)
            if not repaired:
                break
            verified = {i.revision.id: i for i in self.verify(list(repaired.values()), cancel)}
            items = [verified.get(item.revision.id, item) for item in items]
        return items

    def decide(self, item: ReviewItem, *, keep_failing: bool = False) -> ReviewItem:
        """Leave out tests that failed although no finding explains it (or mark them xfail), and
        say so; the module is put together from the tests kept, as they were run."""
        if item.rendered is None:
            return item
        # tests that fail because of an acknowledged or one-way finding: xfail(strict=True)
        expected = expected_failures(item.outcomes, self.findings)
        broken = {o.name: o for o in item.outcomes if o.verdict in ("test_defect", "not_run")}
        if not broken:
            return item.model_copy(update={"module": self._text(item.rendered, item.revision.id, keep=defined_tests(item.module),
                                                                expected=expected)}) if expected else item
        for outcome in broken.values():
            self.events(left_out_notice(item.revision.id, outcome, keep_failing))
        refused = {name for name, o in broken.items() if o.refused}  # never written, not even as xfail
        if keep_failing and len(refused) < len(broken):
            xfail = {name: "localmig: failed when generated: " + (o.message or "fails").splitlines()[0][:150]
                     for name, o in broken.items() if name not in refused}
            tests = [t.model_copy(update={"xfail": xfail.get(t.name)}) for t in item.plan.tests if t.name not in refused]
            return item.model_copy(update={"plan": item.plan.model_copy(update={"tests": tests}),
                                           "dropped": [broken[name] for name in sorted(refused)],
                                           "module": self._text(item.rendered, item.revision.id, xfail=xfail,
                                                                keep=[t.name for t in tests], expected=expected)})
        kept = [t for t in item.plan.tests if t.name not in broken]
        return item.model_copy(update={
            "plan": item.plan.model_copy(update={"tests": kept}),
            "dropped": list(broken.values()),
            "module": self._text(item.rendered, item.revision.id, keep=[t.name for t in kept], expected=expected)
            if kept else "",
        })

    def rerun(self, item: ReviewItem, text: str, cancel: CancelToken | None = None) -> list[TestOutcome]:
        """Run an edited module (``text``) of ``item`` and return its outcomes (the review app's re-run)."""
        try:
            compile(text, item.filename, "exec")
        except SyntaxError as error:
            raise VerifyError(f"the edited module has a syntax error at line {error.lineno}: {error.msg}") from None
        known = item.rendered.expected().tests if item.rendered is not None else {}
        wanted = ExpectedModule(revision=item.revision.id,
                                tests={name: known.get(name, PlannedTest()) for name in defined_tests(text)})
        return self.run_modules({item.filename: (text, wanted)}, cancel).outcomes

    # ---- writing

    def write(self, items: list[ReviewItem], *, force: bool = False, dry_run: bool = False,
              force_shared: bool | None = None) -> list[WriteResult]:
        """Write the items' modules and the shared files (conftest.py...); hand-edited files stay
        unless ``force`` (``force_shared`` decides for the shared files; default: as ``force``)."""
        shared = force if force_shared is None else force_shared
        # every target found before anything is written: each new file changes the folder, and a
        # lookup after it would read every header in the folder again (quadratic in the history)
        targets = [(self.target(item.revision), item.module) for item in items if item.plan.tests and item.module]
        results = [write_file(self.out / relative, text, force=shared, dry_run=dry_run)
                   for relative, text in self.shared_files().items()]
        results += [write_file(target, module, force=force, dry_run=dry_run) for target, module in targets]
        return results
