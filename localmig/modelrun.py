"""The model stage of a session: ask the model for tests, and for repairs of the ones that failed.

Kept apart from :mod:`localmig.pipeline` so that a session without a model never loads the
Ollama client. Each call returns a :class:`ModelAnswer`; the pipeline decides what to do with it.
Requests for different revisions may run concurrently (``jobs``); Ollama serves as many at once
as its OLLAMA_NUM_PARALLEL allows.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import BaseModel

from .cancel import CancelToken
from .config import load_settings
from .context import build_context
from .engines.model import Conversation, ModelEngine
from .errors import CacheMiss, Cancelled, HostRefused, ModelError, ModelNotPulled, ModelUnavailable
from .events import EventSink, Notice
from .items import ReviewItem
from .llm import OllamaModel
from .options import ModelChoice
from .outcomes import TestOutcome
from .plan import TestPlan
from .prompts import PromptSet
from .schema import SchemaSnapshot
from .store import Store

Snapshots = Callable[[str], "tuple[SchemaSnapshot, SchemaSnapshot]"]


class ModelAnswer(BaseModel):
    """What the model stage produced for one revision: the conversation, and tests or an error."""

    revision: str
    conversation: Conversation | None = None
    tests: TestPlan | None = None
    error: str | None = None


class ModelLayer:
    """A model engine bound to one project's captured history."""

    def __init__(self, engine: ModelEngine, *, project_root: Path, dialect: str, snapshots: Snapshots,
                 events: EventSink) -> None:
        self.engine = engine
        self.project_root = project_root
        self.dialect = dialect
        self.snapshots = snapshots
        self.events = events
        self.stopped = False  # Ollama went away: no more requests in this session

    @classmethod
    def open(cls, choice: ModelChoice, store: Store, *, project_root: Path, dialect: str, snapshots: Snapshots,
             events: EventSink) -> ModelLayer | None:
        """The layer for ``choice``; None when the model is off. ModelUnavailable / ModelNotPulled
        when Ollama cannot serve the model (the session decides what that means)."""
        if choice.mode == "off":
            return None
        settings = load_settings(choice.config, project_root)
        profile = settings.profile(choice.model)
        prompts = PromptSet.for_project(profile.family, project_root, choice.prompts)
        model = None
        if not choice.replay_only:
            model = OllamaModel(profile, settings)  # a refused host is always an error
            model.ensure_ready()
        engine = ModelEngine(model, profile, prompts, store, replay_only=choice.replay_only, events=events)
        return cls(engine, project_root=project_root, dialect=dialect, snapshots=snapshots, events=events)

    @property
    def label(self) -> str:
        return self.engine.profile.model

    @property
    def repair_rounds(self) -> int:
        return self.engine.profile.repair_rounds

    def conversation_for(self, item: ReviewItem) -> Conversation:
        """The conversation the engine starts for ``item``: exactly what would be sent first."""
        assert item.diff is not None
        before, after = self.snapshots(item.revision.id)
        context = build_context(
            item.revision,
            self.project_root / item.revision.path,
            item.diff,
            before,
            after,
            dialect=self.dialect,
            existing_tests=[t.name for t in item.plan.tests if t.engine == "deterministic"],
            findings=[f.message for f in item.findings],
            hint=item.hint,
        )
        return self.engine.start(context)

    def ask_all(self, items: list[ReviewItem], jobs: int, cancel: CancelToken) -> dict[str, ModelAnswer]:
        """Model tests for every item that has a diff, ``jobs`` requests at a time."""
        asked = [item for item in items if item.diff is not None]
        return _each(asked, jobs, lambda item: self.ask(item, cancel))

    def ask(self, item: ReviewItem, cancel: CancelToken) -> ModelAnswer:
        """Model tests for one item; a failure of the model is an answer with an error."""
        revision = item.revision.id
        if self.stopped:
            return ModelAnswer(revision=revision)
        before, after = self.snapshots(revision)
        conversation = None
        try:
            conversation = self.conversation_for(item)
            tests = self.engine.propose(conversation, before, after, existing=item.plan.names(), cancel=cancel)
        except (CacheMiss, HostRefused, Cancelled):
            raise
        except ModelError as error:
            return self._failed(revision, conversation, error)
        return ModelAnswer(revision=revision, conversation=conversation, tests=tests)

    def repair_all(self, items: list[ReviewItem], jobs: int, cancel: CancelToken) -> dict[str, ModelAnswer]:
        """New model tests for every item whose model tests failed when run."""
        return _each(items, jobs, lambda item: self.repair(item, cancel))

    def repair(self, item: ReviewItem, cancel: CancelToken) -> ModelAnswer:
        """Send the item's failing model tests back with their pytest output."""
        revision = item.revision.id
        assert item.conversation is not None
        conversation = item.conversation.model_copy(deep=True)
        before, after = self.snapshots(revision)
        existing = [t.name for t in item.plan.tests if t.engine == "deterministic"]
        try:
            tests = self.engine.repair(conversation, model_failures(item.outcomes), before, after,
                                       existing=existing, cancel=cancel)
        except (CacheMiss, HostRefused, Cancelled):
            raise
        except ModelError as error:
            return self._failed(revision, conversation, error, what="repair failed: ")
        return ModelAnswer(revision=revision, conversation=conversation, tests=tests)

    def _failed(self, revision: str, conversation: Conversation | None, error: ModelError,
                what: str = "") -> ModelAnswer:
        if isinstance(error, (ModelUnavailable, ModelNotPulled)):
            if not self.stopped:
                self.events(Notice(level="error", message=f"model layer stopped: {error}", hint=error.hint))
            self.stopped = True
        else:
            self.events(Notice(level="error", message=f"{revision}: {what}{error}", hint=error.hint))
        return ModelAnswer(revision=revision, conversation=conversation, error=str(error))

    def log_outcome(self, item: ReviewItem) -> None:
        """Record in the store what became of the item's model tests."""
        conversation = item.conversation
        if conversation is None or not conversation.exchanges or item.model_error:
            return
        kept = sum(1 for o in item.outcomes if o.engine == "model" and o.verdict != "test_defect")
        dropped = [o.name for o in item.dropped if o.engine == "model"]
        outcome = f"verified: {kept} kept" + (f", left out {', '.join(dropped)}" if dropped else "")
        self.engine.store.update(conversation.exchanges[-1], outcome=outcome)


def model_failures(outcomes: list[TestOutcome]) -> list[TestOutcome]:
    """The model's tests that failed for a reason no finding explains."""
    return [o for o in outcomes if o.engine == "model" and o.verdict == "test_defect"]


def _each(items: list[ReviewItem], jobs: int, ask: Callable[[ReviewItem], ModelAnswer]) -> dict[str, ModelAnswer]:
    if jobs <= 1 or len(items) <= 1:
        return {item.revision.id: ask(item) for item in items}
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="localmig-model") as pool:
        return {answer.revision: answer for answer in pool.map(ask, items)}
