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
from .config import load_settings
from .context import build_context
from .engines.deterministic import plan_for
from .engines.model import Conversation, ModelEngine
from .errors import CacheMiss, HostRefused, ModelError, ModelNotPulled, ModelUnavailable, VerifyError
from .events import CaptureProgress, EventSink, Notice, RevisionProgress, VerifyProgress, ignore
from .llm import OllamaModel
from .plan import TestPlan
from .probe import DataObservation, observe
from .project import AlembicProject, RevisionInfo, load
from .prompts import PromptSet
from .render import FileStatus, SuiteLayout, file_status, module_name, plan_from_module, render_module, suite_files
from .schema import SchemaDiff
from .store import Store
from .verify import TestOutcome, VerificationResult, run_suite


class SessionOptions(BaseModel):
    """What a session works on."""

    path: Path = Field(description="alembic.ini, a project folder, or a versions folder.")
    db_url: str | None = Field(None, description="A PostgreSQL server for scratch databases; SQLite if empty.")
    builtin_env: bool = Field(False, description="Run on localmig's env.py instead of the project's.")
    metadata: str | None = Field(None, description="module:attribute of a MetaData, for the built-in env.")
    out: Path | None = Field(None, description="Where the suite goes; default <project>/tests/migrations.")


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
    dropped: list[TestOutcome] = Field(default_factory=list, description="Tests removed: they failed and no finding explains why.")
    observation: DataObservation | None = None
    conversation: Conversation | None = Field(None, description="What was sent to the model and what it answered.")
    model_error: str | None = None
    hint: str = ""

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
        self.engine: ModelEngine | None = None
        self.store: Store | None = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._capture.close()
        if self.store is not None:
            self.store.close()
        logging.disable(self._logging)

    # ---- the model layer

    def use_model(self, choice: ModelChoice) -> ModelEngine | None:
        """Set up the model engine; in ``auto`` mode an unreachable Ollama or a missing model only
        skips the model layer (with a prominent notice), in ``require`` mode it is an error."""
        self.engine = None
        if choice.mode == "off":
            return None
        settings = load_settings(choice.config, self.project.root)
        profile = settings.profile(choice.model)
        prompts = PromptSet.for_project(profile.family, self.project.root, choice.prompts)
        model = None
        if not choice.replay_only:
            model = OllamaModel(profile, settings)  # HostRefused is always an error
            try:
                model.ensure_ready()
            except (ModelUnavailable, ModelNotPulled) as error:
                if choice.mode == "require":
                    raise
                self.events(Notice(level="warning", message=f"model layer skipped: {error}", hint=error.hint))
                return None
        if self.store is None:
            self.store = Store(self.project.root)
        self.engine = ModelEngine(model, profile, prompts, self.store, replay_only=choice.replay_only, events=self.events)
        return self.engine

    @property
    def model_label(self) -> str | None:
        return self.engine.profile.model if self.engine else None

    def context_for(self, item: ReviewItem) -> Conversation:
        """The conversation the model engine would start for ``item`` (nothing is sent)."""
        assert self.engine is not None and item.diff is not None
        revision = item.revision
        context = build_context(
            revision,
            self.project.root / revision.path,
            item.diff,
            self._capture.snapshot_before(revision.id),
            self._capture.snapshot_after(revision.id),
            dialect=self.capture.dialect,
            existing_tests=[t.name for t in item.plan.tests if t.engine == "deterministic"],
            findings=[f.message for f in item.findings],
            hint=item.hint,
        )
        return self.engine.start(context)

    def _ask_model(self, item: ReviewItem) -> None:
        if self.engine is None or item.diff is None:
            return
        revision = item.revision.id
        try:
            item.conversation = self.context_for(item)
            model_plan = self.engine.propose(
                item.conversation,
                self._capture.snapshot_before(revision),
                self._capture.snapshot_after(revision),
                existing=item.plan.names(),
            )
        except (CacheMiss, HostRefused):
            raise
        except (ModelUnavailable, ModelNotPulled) as error:
            self.events(Notice(level="error", message=f"model layer stopped: {error}", hint=error.hint))
            self.engine = None
            item.model_error = str(error)
            return
        except ModelError as error:
            self.events(Notice(level="error", message=f"{revision}: {error}", hint=error.hint))
            item.model_error = str(error)
            return
        item.plan = item.plan.merged(model_plan)

    def _repair_model_tests(self, items: list[ReviewItem]) -> None:
        """Send failing model tests back with their pytest output, for the profile's rounds."""
        if self.engine is None:
            return
        for _ in range(self.engine.profile.repair_rounds):
            to_repair = []
            for item in items:
                failures = [o for o in item.outcomes if o.engine == "model" and o.verdict == "test_defect"]
                if not failures or item.conversation is None or self.engine is None:
                    continue
                revision = item.revision.id
                deterministic = [t for t in item.plan.tests if t.engine == "deterministic"]
                try:
                    repaired = self.engine.repair(
                        item.conversation, failures, self._capture.snapshot_before(revision),
                        self._capture.snapshot_after(revision), existing=[t.name for t in deterministic],
                    )
                except CacheMiss:
                    raise
                except ModelError as error:
                    self.events(Notice(level="error", message=f"{revision}: repair failed: {error}", hint=error.hint))
                    continue
                base = item.plan.model_copy(update={"tests": deterministic})
                item.plan = base.merged(repaired)
                self.render(item)
                to_repair.append(item)
            if not to_repair:
                return
            self.verify(to_repair)

    def _log_outcomes(self, items: list[ReviewItem]) -> None:
        if self.store is None:
            return
        for item in items:
            if item.conversation and item.conversation.exchanges and not item.model_error:
                model = [o for o in item.outcomes if o.engine == "model"]
                kept = sum(1 for o in model if o.verdict != "test_defect")
                dropped = [o.name for o in item.dropped if o.engine == "model"]
                outcome = f"verified: {kept} kept" + (f", dropped {', '.join(dropped)}" if dropped else "")
                self.store.update(item.conversation.exchanges[-1], outcome=outcome)

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
            model=self.engine.profile.model if self.engine else None,
            prompts_version=self.engine.prompts.version if self.engine else None,
        )

    def generate(self, revisions: list[RevisionInfo], hints: dict[str, str] | None = None) -> list[ReviewItem]:
        """Plan (both engines), render and verify tests for ``revisions``; repair failing model
        tests; drop tests that still fail for a reason no finding explains."""
        items = []
        for revision in revisions:
            item = self.plan(revision)
            item.hint = (hints or {}).get(revision.id, "")
            self._ask_model(item)
            if item.plan.tests:
                self.render(item)
                items.append(item)
        self.verify(items)
        self._repair_model_tests(items)
        self.finalize(items)
        self._log_outcomes(items)
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
        self.events(VerifyProgress(stage="finished", tests=tests, detail=f"{result.count('passed')} passed in {result.duration:.1f} s"))
        return result

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

    def finalize(self, items: list[ReviewItem]) -> None:
        """Leave out tests that failed although no finding explains it, and say so."""
        for item in items:
            broken = [o for o in item.outcomes if o.verdict == "test_defect"]
            if not broken:
                continue
            names = {o.name for o in broken}
            item.dropped += broken
            item.outcomes = [o for o in item.outcomes if o.name not in names]
            item.plan = item.plan.model_copy(update={"tests": [t for t in item.plan.tests if t.name not in names]})
            self.render(item)
            for outcome in broken:
                why = ("localmig bug: a deterministic test failed on a migration found sound" if outcome.engine == "deterministic"
                       else "the model's test still failed after the repair rounds")
                self.events(Notice(level="error" if outcome.engine == "deterministic" else "warning",
                                   message=f"{item.revision.id}: left out {outcome.name} ({why})", hint=outcome.message or None))

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
