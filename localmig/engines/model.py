"""The model engine: the conversation with a local model about one revision, in bounded rounds.

The model answers under a JSON schema sent in Ollama's ``format``: per revision, the data
scenarios of :mod:`.scenarios` (the default), or, behind ``--model-output code``, test bodies
(:mod:`.answers`). Each answer is checked (pydantic, then semantics) by the caller's ``check``;
every failure goes back to the model with the precise errors, at most ``repair_rounds`` times.
Every request, cached or not, is logged in the store, and so is one that brought no answer (HTTP
error, stream cut, timeout, redirect refused, cancelled) with its kind; a cached answer is
replayed instead of asking the model again.
"""

from __future__ import annotations

import ast
import hashlib
import json
import textwrap
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, Field

from ..cancel import CancelToken
from ..config import ModelProfile
from ..context import ModelContext, estimate_tokens, fit, redact_failure
from ..errors import (
    AnswerInvalid,
    CacheMiss,
    Cancelled,
    HostRefused,
    LocalmigError,
    ModelError,
    ModelNotPulled,
    ModelServerError,
    ModelStreamCut,
    ModelTimeout,
    ModelUnavailable,
    RedirectRefused,
)
from ..events import EventSink, ModelToken, RevisionProgress, ignore
from ..outcomes import TestOutcome
from ..prompts import PromptSet
from ..store import ErrorKind, Exchange, Store, cache_key
from ..syntax import parse
from .answers import ALLOWED_MODULES, FIXTURE_API, MAX_TESTS, answer_schema
from .scenarios.types import MAX_ROWS, MAX_SCENARIOS, Output, Scenario

if TYPE_CHECKING:
    from ..llm import OllamaModel

Checked = TypeVar("Checked")
Check = Callable[[str], "tuple[Checked | None, list[str]]"]
SYSTEM_TEMPLATE = {"scenarios": "system", "inputs": "system_inputs", "code": "system_code"}


class Conversation(BaseModel):
    """The messages exchanged with the model about one revision."""

    revision: str
    messages: list[dict[str, str]]
    context: ModelContext
    output: Output = "code"
    answer_format: dict[str, Any] = Field(default_factory=dict, description="The JSON schema sent as `format`.")
    exchanges: list[int] = Field(default_factory=list)
    rounds: int = 0
    seconds: float = Field(0.0, description="Time spent waiting for the model (cache hits cost none).")
    prompt_tokens: int = 0
    answer_tokens: int = 0
    cache_hits: int = 0
    cut_off: bool = Field(False, description="The last answer stopped at num_predict.")
    valid: list[bool] = Field(default_factory=list, description="Per answer, in order: whether it validated.")
    scenarios: list[Scenario] = Field(default_factory=list, description="The scenarios of the last valid answer.")
    feedback: int = Field(0, description="How often what was observed went back to the model.")

    def answers(self) -> list[str]:
        return [m["content"] for m in self.messages if m["role"] == "assistant"]


class ModelEngine:
    """Asks a model for an answer and brings it into shape."""

    def __init__(self, model: OllamaModel | None, profile: ModelProfile, prompts: PromptSet, store: Store, *,
                 replay_only: bool = False, events: EventSink = ignore, output: Output = "code") -> None:
        self.model = model
        self.profile = profile
        self.prompts = prompts
        self.store = store
        self.replay_only = replay_only
        self.events = events
        self.output = output

    @property
    def settings_sha256(self) -> str:
        """What makes answers differ: model tag, options, prompts version, output (recorded in file headers)."""
        material = json.dumps([self.profile.model, self.profile.options.model_dump(), self.prompts.version,
                               self.output], sort_keys=True)
        return hashlib.sha256(material.encode()).hexdigest()[:16]

    # ---- prompts

    def system_prompt(self) -> str:
        return self.prompts.render(SYSTEM_TEMPLATE[self.output], fixture_api=FIXTURE_API,
                                   allowed_imports=", ".join(ALLOWED_MODULES), max_tests=MAX_TESTS,
                                   max_scenarios=MAX_SCENARIOS if self.output == "scenarios" else 2, max_rows=MAX_ROWS)

    def messages_for(self, context: ModelContext) -> list[dict[str, str]]:
        """The first request for a revision, cut to the profile's context window if needed (the
        ``format`` is no part of the prompt: Ollama compiles it into a grammar)."""
        system = self.system_prompt()
        budget = self.profile.options.num_ctx - self.profile.options.num_predict

        def render(c: ModelContext) -> str:
            return system + self.prompts.render("generate", **c.variables())

        fitted = fit(context, render, budget)
        if fitted.cut:
            self.events(RevisionProgress(revision=context.revision, stage="model", detail=f"context cut: {'; '.join(fitted.cut)}"))
        return [{"role": "system", "content": system}, {"role": "user", "content": self.prompts.render("generate", **fitted.variables())}]

    def start(self, context: ModelContext, answer_format: dict[str, Any] | None = None) -> Conversation:
        """The conversation about ``context``, answered under ``answer_format`` (code answers' schema if none)."""
        return Conversation(revision=context.revision, messages=self.messages_for(context), context=context,
                            output=self.output, answer_format=answer_format or answer_schema())

    # ---- asking

    def ask(self, conversation: Conversation, purpose: str, cancel: CancelToken | None = None) -> str:
        """The answer to the conversation so far: from the cache, else from the model. Logged."""
        options = self.profile.options.model_dump(exclude_none=True)
        sent = self._within_budget(conversation.messages)
        schema = conversation.answer_format
        key = cache_key(sent, self.profile.model, options, self.prompts.version, schema)
        exchange = Exchange(
            revision=conversation.revision, purpose=purpose, model=self.profile.model,
            host=self.model.host if self.model else "", options=options, prompts_version=self.prompts.version,
            cache_key=key, messages=sent,
        )
        conversation.cut_off = False
        cached = self.store.cached(key)
        if cached is not None:
            exchange.answer, exchange.cache_hit = cached, True
        elif self.replay_only or self.model is None:
            raise CacheMiss(
                f"no cached answer for {conversation.revision} ({purpose}) with {self.profile.model} and prompts {self.prompts.version}",
                hint="run once with the model available to fill the cache (.localmig/localmig.db), or drop --replay-only",
            )
        else:
            self.events(RevisionProgress(revision=conversation.revision, stage="model" if purpose == "generate" else "repairing"))
            received: list[str] = []

            def on_token(text: str) -> None:
                received.append(text)
                self.events(ModelToken(revision=conversation.revision, text=text))

            started = time.monotonic()
            try:
                reply = self.model.chat(sent, schema, on_token, cancel=cancel)
            except (ModelError, Cancelled) as error:
                failed = exchange.model_copy(update={"answer": "".join(received) or None,
                                                     "seconds": time.monotonic() - started})
                self.store.log_failure(failed, error_kind(error), str(error))
                raise
            exchange.answer, exchange.prompt_tokens, exchange.answer_tokens, exchange.seconds = (
                reply.content, reply.prompt_tokens, reply.answer_tokens, reply.seconds)
            self.store.remember(key, self.profile.model, reply.content)
            conversation.seconds += reply.seconds
            conversation.prompt_tokens += reply.prompt_tokens or 0
            conversation.answer_tokens += reply.answer_tokens or 0
            conversation.cut_off = reply.done_reason == "length"
        conversation.cache_hits += exchange.cache_hit
        conversation.exchanges.append(self.store.log(exchange))
        conversation.messages = conversation.messages + [{"role": "assistant", "content": exchange.answer}]
        return exchange.answer

    def _within_budget(self, messages: list[dict[str, str]]) -> list[dict[str, str]]:
        """The conversation, without its middle turns if it grew past the context window
        (the system prompt, the first request and the latest exchange are always kept)."""
        budget = self.profile.options.num_ctx - self.profile.options.num_predict
        if len(messages) <= 4 or estimate_tokens("".join(m["content"] for m in messages)) <= budget:
            return messages
        return messages[:2] + messages[-2:]

    def propose(self, conversation: Conversation, check: Callable[[str], tuple[Checked | None, list[str]]],
                purpose: str = "generate", cancel: CancelToken | None = None) -> Checked:
        """Ask until ``check`` accepts the answer, at most ``repair_rounds`` repairs; AnswerInvalid after that."""
        errors: list[str] = []
        for attempt in range(self.profile.repair_rounds + 1):
            answer = self.ask(conversation, purpose if attempt == 0 else "repair_answer", cancel)
            checked, errors = check(answer)
            if errors and conversation.cut_off:
                errors.insert(0, f"the answer was cut off at {self.profile.options.num_predict} tokens: "
                                 "write fewer or shorter " + ("tests" if self.output == "code" else "scenarios"))
            conversation.valid = conversation.valid + [checked is not None]
            self.store.update(conversation.exchanges[-1], errors=errors, outcome="valid" if checked is not None else "invalid")
            if checked is not None:
                return checked
            conversation.messages = conversation.messages + [
                {"role": "user", "content": self.prompts.render("repair_answer", errors="\n".join(f"- {e}" for e in errors))}
            ]
        raise AnswerInvalid(
            f"{self.profile.model} gave no valid answer after {self.profile.repair_rounds} repair "
            f"round{'s' if self.profile.repair_rounds != 1 else ''}: "
            + "; ".join(errors[:3]),
            hint="see `localmig log --rev " + conversation.revision + "`; a larger model or another profile may do better",
        )

    def repair(self, conversation: Conversation, failures: list[TestOutcome],
               check: Callable[[str], tuple[Checked | None, list[str]]], cancel: CancelToken | None = None) -> Checked:
        """Send the failing tests' pytest output back (code answers); a new, checked answer."""
        conversation.rounds += 1
        known = conversation.context.names() | _answer_literals(conversation.messages)
        report = "\n\n".join(redact_failure(f"{f.name}: {f.message}\n{_tail(f.output)}", known) for f in failures)
        conversation.messages = conversation.messages + [
            {"role": "user", "content": self.prompts.render("repair_tests", failures=report)}
        ]
        return self.propose(conversation, check, purpose="repair_tests", cancel=cancel)

    def feedback(self, conversation: Conversation, observations: list[str],
                 check: Callable[[str], tuple[Checked | None, list[str]]], cancel: CancelToken | None = None) -> Checked:
        """Tell the model what its scenarios did on the unchanged migration (already in words it
        may read); a new, checked answer."""
        conversation.rounds += 1
        conversation.feedback += 1
        conversation.messages = conversation.messages + [
            {"role": "user", "content": self.prompts.render("repair_scenarios",
                                                            observations="\n".join(f"- {o}" for o in observations))}
        ]
        return self.propose(conversation, check, purpose="repair_scenarios", cancel=cancel)


_ERROR_KINDS: tuple[tuple[type[LocalmigError], ErrorKind], ...] = (
    (RedirectRefused, "redirect_refused"), (HostRefused, "host_refused"), (ModelTimeout, "timeout"),
    (ModelStreamCut, "stream_cut"), (ModelServerError, "http_error"), (ModelNotPulled, "not_pulled"),
    (ModelUnavailable, "unavailable"), (Cancelled, "cancelled"),
)


def error_kind(error: LocalmigError) -> ErrorKind:
    """What kind of failure ``error`` is, as the log records it."""
    return next((kind for cls, kind in _ERROR_KINDS if isinstance(error, cls)), "model_error")


def _answer_literals(messages: list[dict[str, str]]) -> set[str]:
    """The names and literals of the tests the model wrote itself (it may see those again)."""
    known: set[str] = set()
    for message in messages:
        if message["role"] != "assistant":
            continue
        try:
            tests = json.loads(message["content"]).get("tests") or []
        except (ValueError, AttributeError):
            continue
        for test in tests:
            if not isinstance(test, dict):
                continue
            known |= {str(test.get("name", "")), str(test.get("docstring", "")).strip()}
            try:
                tree = parse(textwrap.dedent(str(test.get("body", ""))))
            except SyntaxError:
                continue
            known |= {str(node.value) for node in ast.walk(tree)
                      if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)) and not isinstance(node.value, bool)}
    return known


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
