"""The model layer of a session: ask the model for tests, repair the ones that fail when run.

Kept apart from :mod:`localmig.pipeline` so that a session without a model never touches it.
Requests for different revisions may run concurrently (``jobs``); Ollama serves as many at
once as its OLLAMA_NUM_PARALLEL allows.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .config import load_settings
from .context import build_context
from .engines.model import Conversation, ModelEngine
from .errors import CacheMiss, Cancelled, HostRefused, ModelError, ModelNotPulled, ModelUnavailable
from .events import EventSink, Notice
from .llm import OllamaModel
from .prompts import PromptSet
from .schema import SchemaSnapshot
from .store import Store

if TYPE_CHECKING:
    from .pipeline import ModelChoice, ReviewItem

Snapshots = Callable[[str], "tuple[SchemaSnapshot, SchemaSnapshot]"]


class ModelLayer:
    """A model engine bound to one project's captured history."""

    def __init__(self, engine: ModelEngine, *, project_root: Path, dialect: str, snapshots: Snapshots,
                 events: EventSink) -> None:
        self.engine = engine
        self.project_root = project_root
        self.dialect = dialect
        self.snapshots = snapshots
        self.events = events
        self.stopped = False

    @classmethod
    def open(cls, choice: ModelChoice, store: Store, *, project_root: Path, dialect: str, snapshots: Snapshots,
             events: EventSink, cancel: threading.Event | None = None) -> ModelLayer | None:
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
        engine = ModelEngine(model, profile, prompts, store, replay_only=choice.replay_only, events=events, cancel=cancel)
        return cls(engine, project_root=project_root, dialect=dialect, snapshots=snapshots, events=events)

    @property
    def label(self) -> str:
        return self.engine.profile.model

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

    def ask_all(self, items: list[ReviewItem], jobs: int = 1) -> None:
        """Ask for model tests for every item, ``jobs`` requests at a time."""
        asked = [item for item in items if item.diff is not None]
        if jobs <= 1 or len(asked) <= 1:
            for item in asked:
                self.ask(item)
            return
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="localmig-model") as pool:
            list(pool.map(self.ask, asked))

    def ask(self, item: ReviewItem) -> None:
        """Model tests for one item, merged into its plan; a failure is noted on the item."""
        if self.stopped:
            return
        revision = item.revision.id
        before, after = self.snapshots(revision)
        try:
            item.conversation = self.conversation_for(item)
            proposed = self.engine.propose(item.conversation, before, after, existing=item.plan.names())
        except (CacheMiss, HostRefused, Cancelled):
            raise
        except (ModelUnavailable, ModelNotPulled) as error:
            self._stop(item, error)
            return
        except ModelError as error:
            self.events(Notice(level="error", message=f"{revision}: {error}", hint=error.hint))
            item.model_error = str(error)
            return
        item.plan = item.plan.merged(proposed)

    def _stop(self, item: ReviewItem, error: ModelError) -> None:
        if not self.stopped:
            self.events(Notice(level="error", message=f"model layer stopped: {error}", hint=error.hint))
        self.stopped = True
        item.model_error = str(error)

    def repair(self, items: list[ReviewItem], rerender: Callable[[ReviewItem], None],
               verify: Callable[[list[ReviewItem]], object], jobs: int = 1) -> None:
        """Send failing model tests back with their pytest output, for the profile's rounds."""
        for _ in range(self.engine.profile.repair_rounds):
            failing = [item for item in items if item.conversation is not None and self._failures(item)]
            if not failing or self.stopped:
                return
            with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="localmig-repair") as pool:
                repaired = [item for item, ok in zip(failing, pool.map(self._repair_one, failing)) if ok]
            for item in repaired:
                rerender(item)
            if not repaired:
                return
            verify(repaired)

    @staticmethod
    def _failures(item: ReviewItem) -> list:
        return [o for o in item.outcomes if o.engine == "model" and o.verdict == "test_defect"]

    def _repair_one(self, item: ReviewItem) -> bool:
        revision = item.revision.id
        before, after = self.snapshots(revision)
        deterministic = [t for t in item.plan.tests if t.engine == "deterministic"]
        try:
            repaired = self.engine.repair(item.conversation, self._failures(item), before, after,
                                          existing=[t.name for t in deterministic])
        except (CacheMiss, Cancelled):
            raise
        except ModelError as error:
            self.events(Notice(level="error", message=f"{revision}: repair failed: {error}", hint=error.hint))
            return False
        item.plan = item.plan.model_copy(update={"tests": deterministic}).merged(repaired)
        return True

    def log_outcomes(self, items: list[ReviewItem]) -> None:
        """Record in the store what became of each revision's model tests."""
        for item in items:
            conversation = item.conversation
            if conversation is None or not conversation.exchanges or item.model_error:
                continue
            kept = sum(1 for o in item.outcomes if o.engine == "model" and o.verdict != "test_defect")
            dropped = [o.name for o in item.dropped if o.engine == "model"]
            outcome = f"verified: {kept} kept" + (f", left out {', '.join(dropped)}" if dropped else "")
            self.engine.store.update(conversation.exchanges[-1], outcome=outcome)
