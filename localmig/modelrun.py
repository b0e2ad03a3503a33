"""The model stage of a session: ask the model, and repair or settle what failed.

Kept apart from :mod:`localmig.pipeline` so that a session without a model never loads the
Ollama client. Each call returns a :class:`ModelAnswer`; the pipeline decides what to do with it.
Requests for different revisions may run concurrently (``jobs``); Ollama serves as many at once
as its OLLAMA_NUM_PARALLEL allows.

What the model answers (its *output*): ``scenarios`` (rows to seed, the action, expectations;
rendered into tests), ``inputs`` (rows only; localmig records what the migration does with them,
the default for small models) or ``code`` (test bodies, behind ``--model-output code``). A
scenario whose expectation fails on the unchanged migration goes back once with what was
observed; if it still fails it becomes a characterization marked for review, or a finding when
a step raised.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from .cancel import CancelToken
from .capture import Finding
from .config import load_settings
from .context import build_context
from .engines.answers import check_answer
from .engines.model import Conversation, ModelEngine
from .engines.scenarios.run import ScenarioRunner
from .engines.scenarios.stage import ScenarioStage
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

if TYPE_CHECKING:
    from pytest_localmig import MigrationHistory

Snapshots = Callable[[str], "tuple[SchemaSnapshot, SchemaSnapshot]"]


class ModelAnswer(BaseModel):
    """What the model stage produced for one revision: the conversation, and tests or an error."""

    revision: str
    conversation: Conversation | None = None
    tests: TestPlan | None = None
    findings: list[Finding] = Field(default_factory=list, description="Defects the model's rows exposed.")
    error: str | None = None


class ModelLayer:
    """A model engine bound to one project's captured history."""

    def __init__(self, engine: ModelEngine, *, project_root: Path, dialect: str, snapshots: Snapshots,
                 events: EventSink, history: MigrationHistory | None = None) -> None:
        self.engine = engine
        self.project_root = project_root
        self.dialect = dialect
        self.snapshots = snapshots
        self.events = events
        self.stopped = False  # Ollama went away: no more requests in this session
        self.scenarios = (ScenarioStage(engine.output, ScenarioRunner(history), project_root)
                          if engine.output != "code" and history is not None else None)

    @classmethod
    def open(cls, choice: ModelChoice, store: Store, *, project_root: Path, dialect: str, snapshots: Snapshots,
             events: EventSink, history: MigrationHistory | None = None) -> ModelLayer | None:
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
        output = choice.output or profile.model_output
        if output != "code" and history is None:
            output = "code"  # no history to run scenarios on (a caller that only shows prompts)
        engine = ModelEngine(model, profile, prompts, store, replay_only=choice.replay_only, events=events,
                             output=output)
        return cls(engine, project_root=project_root, dialect=dialect, snapshots=snapshots, events=events,
                   history=history)

    @property
    def label(self) -> str:
        return self.engine.profile.model

    @property
    def output(self) -> str:
        return self.engine.output

    @property
    def repair_rounds(self) -> int:
        return self.engine.profile.repair_rounds

    @property
    def test_rounds(self) -> int:
        """How often failing model tests go back through :meth:`repair_all`: code, the profile's
        repair rounds; scenarios, once to the model with what was observed (if the profile repairs
        at all), then once to be recorded as observed; inputs are recorded as observed already."""
        if self.output == "code":
            return self.repair_rounds
        return (1 if self.repair_rounds else 0) + 1 if self.output == "scenarios" else 0

    def _taken(self, item: ReviewItem) -> list[str]:
        return [t.name for t in item.plan.tests if t.engine == "deterministic"]

    def conversation_for(self, item: ReviewItem) -> Conversation | None:
        """The conversation the engine starts for ``item``: exactly what would be sent first
        (None when there is nothing to ask: no table of the revision can hold rows before it)."""
        assert item.diff is not None
        before, after = self.snapshots(item.revision.id)
        source = self.project_root / item.revision.path
        context = build_context(
            item.revision, source, item.diff, before, after, dialect=self.dialect,
            existing_tests=self._taken(item), findings=[f.message for f in item.findings], hint=item.hint,
        )
        if self.scenarios is None:
            return self.engine.start(context)
        if item.observation is None:  # no row of a table it touches or reads can exist before it
            return None
        prepared = self.scenarios.prepare(item.revision.id, source, item.diff.touched_tables, context, before, after)
        if prepared is None:
            return None
        return self.engine.start(context, prepared.format.json_schema())

    def ask_all(self, items: list[ReviewItem], jobs: int, cancel: CancelToken) -> dict[str, ModelAnswer]:
        """Model tests for every item that has a diff, ``jobs`` requests at a time."""
        asked = [item for item in items if item.diff is not None]
        return _each(asked, jobs, lambda item: self.ask(item, cancel))

    def ask(self, item: ReviewItem, cancel: CancelToken) -> ModelAnswer:
        """Model tests for one item; a failure of the model is an answer with an error."""
        revision = item.revision.id
        if self.stopped:
            return ModelAnswer(revision=revision)
        conversation = None
        try:
            conversation = self.conversation_for(item)
            if conversation is None:
                return ModelAnswer(revision=revision)
            if self.scenarios is None:
                before, after = self.snapshots(revision)
                tests = self.engine.propose(conversation, lambda text: check_answer(
                    text, revision, before, after, item.plan.names()), cancel=cancel)
                return ModelAnswer(revision=revision, conversation=conversation, tests=tests)
            prepared = self.scenarios.prepared(revision)
            assert prepared is not None
            # inputs: once the repair rounds are spent, rows that break a key are left out, not the answer
            lenient = self.repair_rounds if self.output == "inputs" else None
            conversation.scenarios = self.engine.propose(conversation, prepared.check(set(item.plan.names()), lenient),
                                                         cancel=cancel)
            tests, findings, notes = self.scenarios.plan(prepared, conversation.scenarios)
        except (CacheMiss, HostRefused, Cancelled):
            raise
        except ModelError as error:
            return self._failed(revision, conversation, error)
        for note in notes:
            self.events(Notice(level="info", message=f"{revision}: {note}"))
        return ModelAnswer(revision=revision, conversation=conversation, tests=tests, findings=findings)

    def repair_all(self, items: list[ReviewItem], jobs: int, cancel: CancelToken) -> dict[str, ModelAnswer]:
        """New model tests for every item whose model tests failed when run."""
        return _each(items, jobs, lambda item: self.repair(item, cancel))

    def repair(self, item: ReviewItem, cancel: CancelToken) -> ModelAnswer:
        """Code: send the failing model tests back with their pytest output. Scenarios: send what
        was observed back once, then record what still fails as observed."""
        revision = item.revision.id
        assert item.conversation is not None
        conversation = item.conversation.model_copy(deep=True)
        failing = [o.name for o in model_failures(item.outcomes)]
        if self.scenarios is not None and conversation.feedback == 0 and self.output == "scenarios" \
                and self.repair_rounds and not self.stopped:
            return self._feedback(item, conversation, failing, cancel)
        if self.scenarios is not None:
            return self._settle(item, conversation, failing)
        before, after = self.snapshots(revision)
        try:
            tests = self.engine.repair(conversation, model_failures(item.outcomes), lambda text: check_answer(
                text, revision, before, after, self._taken(item)), cancel=cancel)
        except (CacheMiss, HostRefused, Cancelled):
            raise
        except ModelError as error:
            return self._failed(revision, conversation, error, what="repair failed: ")
        return ModelAnswer(revision=revision, conversation=conversation, tests=tests)

    def _feedback(self, item: ReviewItem, conversation: Conversation, failing: list[str],
                  cancel: CancelToken) -> ModelAnswer:
        assert self.scenarios is not None
        prepared = self.scenarios.prepared(item.revision.id)
        assert prepared is not None
        observed = self.scenarios.observations(prepared, conversation.scenarios, failing, conversation.answers(),
                                               conversation.context.names())
        try:
            scenarios = self.engine.feedback(conversation, observed, prepared.check(set(self._taken(item))), cancel)
        except (CacheMiss, Cancelled):
            raise
        except ModelError as error:  # no usable second answer: record what the first one's rows did
            self.events(Notice(level="warning", message=f"{item.revision.id}: repair failed: {error}", hint=error.hint))
            return self._settle(item, conversation, failing)
        conversation.scenarios = scenarios
        tests, findings, _ = self.scenarios.plan(prepared, scenarios)
        return ModelAnswer(revision=item.revision.id, conversation=conversation, tests=tests, findings=findings)

    def _settle(self, item: ReviewItem, conversation: Conversation, failing: list[str]) -> ModelAnswer:
        assert self.scenarios is not None
        prepared = self.scenarios.prepared(item.revision.id)
        assert prepared is not None
        model_tests = [t for t in item.plan.tests if t.engine == "model"]
        tests, findings = self.scenarios.characterize(prepared, model_tests, conversation.scenarios, failing)
        tests = tests.model_copy(update={"imports": sorted(set(tests.imports) | set(item.plan.imports))})
        return ModelAnswer(revision=item.revision.id, conversation=conversation, tests=tests, findings=findings)

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
        review = sum(1 for t in item.plan.tests if t.engine == "model" and t.review)
        outcome = f"verified: {kept} kept" + (f" ({review} to review)" if review else "") + (
            f", left out {', '.join(dropped)}" if dropped else "")
        self.engine.store.update(conversation.exchanges[-1], outcome=outcome)


def model_failures(outcomes: list[TestOutcome]) -> list[TestOutcome]:
    """The model's tests that failed for a reason no finding explains."""
    return [o for o in outcomes if o.engine == "model" and o.verdict == "test_defect"]


def _each(items: list[ReviewItem], jobs: int, ask: Callable[[ReviewItem], ModelAnswer]) -> dict[str, ModelAnswer]:
    if jobs <= 1 or len(items) <= 1:
        return {item.revision.id: ask(item) for item in items}
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="localmig-model") as pool:
        return {answer.revision: answer for answer in pool.map(ask, items)}
