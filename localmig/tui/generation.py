"""The app's side of the work: loading the project, generating, cancelling, following the disk.

Requests go to the session's owner thread; its results come back as messages and change the
state, then the screens are told through the ``changed`` and ``activity`` signals.
"""

from __future__ import annotations

import time

from textual import work

from ..events import ModelToken, Notice, RevisionProgress, VerifyProgress
from . import messages as m
from .base import AppBase, describe
from .disk import Signature, read_statuses, suite_signature
from .owner import Generate, Load, UseModel
from .state import Problem, ReviewState
from .work import STAGES, ModelStream, seconds

SEVERITY = {"info": "information", "warning": "warning", "error": "error"}


class Generation(AppBase):
    _choice_sent: object = None
    _suite: Signature = ()

    # ---- loading

    def reload(self) -> None:
        state = self.state
        if state.work.queue or state.load.loading:
            self.notify("wait for the running work to finish, or cancel it (esc)", severity="warning")
            return
        state.facts, state.load.loading = None, True
        state.load.message = f"Capturing the history of {state.project}… (esc cancels)"
        self._choice_sent = None  # a new session starts without a model
        self.status(state.load.message)
        state.changed.publish("")
        self.screen.refresh_bindings()
        self.owner.submit(Load())

    def on_reload_requested(self, _message: m.ReloadRequested) -> None:
        self.reload()

    def on_loaded(self, message: m.Loaded) -> None:
        state, facts = self.state, message.facts
        state.facts, state.statuses = facts, dict(message.statuses)
        state.load.loading, state.load.error = False, None
        kept = self._keep_reviews(state.review, facts.by_id)
        self._suite = suite_signature(facts.out)
        self.status(f"captured {len(facts.revisions)} revisions on {facts.dialect}: {len(facts.findings)} finding(s)"
                    + (f" · {kept} review(s) kept" if kept else "") + " · select revisions (space, a) and generate (g)")
        state.changed.publish("")
        self.screen.refresh_bindings()

    @staticmethod
    def _keep_reviews(review: ReviewState, revisions: dict) -> int:
        """After a reload: keep the entries of revisions still in the history (flagged when their
        migration changed); the number kept."""
        for revision in [r for r in review.entries if r not in revisions]:
            del review.entries[revision]
        for revision, entry in review.entries.items():
            entry.migration_changed = revisions[revision].source_sha256 != entry.item.revision.source_sha256
        review.progress.clear()
        return len(review.entries)

    def on_load_failed(self, message: m.LoadFailed) -> None:
        state = self.state
        state.load.loading, state.load.error = False, message.error
        if message.error is None:
            state.load.message = "Loading was cancelled. ctrl+r loads the project again."
        else:
            text, hint = describe(message.error)
            state.load.message = f"Could not load {state.project}:\n\nerror: {text}" + (f"\nhint: {hint}" if hint else "")
            state.load.message += "\n\nFix it, then press ctrl+r to load it again."
            self.show_error(message.error, "the project could not be loaded")
        self.status(state.load.message.splitlines()[0])
        state.changed.publish("")
        self.screen.refresh_bindings()

    # ---- generating

    def generate(self, revisions: list[str], hints: dict[str, str]) -> None:
        state = self.state
        if state.facts is None:
            self.notify(state.no_project(), severity="warning")
            return
        choice = self.model_choice()
        if choice != self._choice_sent:
            self.owner.submit(UseModel(choice))
            self._choice_sent = choice
        by_id = state.facts.by_id
        for revision in revisions:
            if revision in state.work.queue:
                continue
            state.work.queue.append(revision)
            state.work.total += 1
            state.review.progress[revision] = "queued"
            state.review.problems.pop(revision, None)
            self.owner.submit(Generate(by_id[revision], hints.get(revision, "")))
        self._queue_status()
        state.changed.publish("")
        self.screen.refresh_bindings()

    def on_generate_requested(self, message: m.GenerateRequested) -> None:
        self.generate(message.revisions, message.hints)

    def _queue_status(self, running: str | None = None) -> None:
        work = self.state.work
        if running:
            text = f"generating {running} ({work.done + 1} of {work.total}) · esc cancels"
        else:
            text = f"generating: {work.done} of {work.total} done · esc cancels"
        self.status(text, work.done, work.total)

    def on_pipeline_event(self, message: m.PipelineEvent) -> None:
        event, review, work = message.event, self.state.review, self.state.work
        if isinstance(event, Notice):
            self.notify(event.message + (f"\nhint: {event.hint}" if event.hint else ""), title=event.level,
                        severity=SEVERITY[event.level], timeout=10, markup=False)  # type: ignore[arg-type]
        elif isinstance(event, ModelToken):
            if work.stream is None or work.stream.revision != event.revision:
                work.stream = ModelStream(event.revision, STAGES["model"])
            work.stream.add(event.text)
        elif isinstance(event, RevisionProgress):
            if event.stage in ("model", "repairing") and not event.detail:
                self._end_stream()
                work.stream = ModelStream(event.revision, STAGES[event.stage])
            if event.revision in review.progress:
                review.progress[event.revision] = STAGES.get(event.stage, event.stage) + "…"
                self.state.changed.publish(event.revision)
        elif isinstance(event, VerifyProgress) and event.stage == "started":
            self._end_stream()
            for revision, stage in review.progress.items():
                if stage not in ("queued", "re-running tests…"):
                    review.progress[revision] = "verifying…"
                    self.state.changed.publish(revision)
        self.state.activity.publish(event)

    def _end_stream(self) -> None:
        """The model request under way is over: one line in the log says what it came to."""
        stream = self.state.work.stream
        if stream is None:
            return
        now = time.monotonic()
        rate = stream.rate(now)
        summary = (f"model ▸ {stream.revision}: {stream.tokens} tokens in {seconds(now - stream.started)}"
                   + (f" ({rate:.1f} tokens/s)" if rate is not None else ""))
        self.state.work.finish_stream(summary)
        self.state.activity.publish(summary)

    def on_job_started(self, message: m.JobStarted) -> None:
        self.state.review.progress[message.revision] = "planning…"
        self._queue_status(message.revision)
        self.state.changed.publish(message.revision)

    def on_job_finished(self, message: m.JobFinished) -> None:
        state, revision = self.state, message.revision
        review, work = state.review, state.work
        self._end_stream()
        if revision in work.queue:
            work.queue.remove(revision)
        work.done += 1
        review.progress.pop(revision, None)
        if message.findings is not None and state.facts is not None:
            state.facts = state.facts.with_findings(message.findings)
        if message.cancelled:
            review.notes[revision] = "cancelled"
        elif message.error is not None:
            text, hint = describe(message.error)
            review.notes[revision] = "failed: " + text.splitlines()[0]
            review.problems[revision] = Problem(text, hint)
            self.notify_error(message.error, title=f"{revision}: generation failed")
        elif message.item is None:
            review.notes[revision] = "no test (its upgrade could not be applied)"
        elif message.item.error and not message.item.plan.tests:  # planned, rendered or run: it failed
            review.notes[revision] = "failed: " + message.item.error.splitlines()[0]
            review.problems[revision] = Problem(message.item.error)
            self.notify(message.item.error, title=f"{revision}: no tests", severity="error", timeout=12, markup=False)
        else:
            review.add(message.item)
            work.ready += 1
        state.activity.publish(f"{revision}: {review.label(revision)}")
        if work.queue:
            self._queue_status()
        else:
            self._queue_done()
        state.changed.publish(revision)
        self.screen.refresh_bindings()

    def _queue_done(self) -> None:
        work = self.state.work
        ready, work.total, work.done, work.ready = work.ready, 0, 0, 0
        waiting = len(self.state.review.undecided())
        self.status(f"done · {waiting} revision(s) waiting for review (r opens the review)" if waiting else "done")
        if ready:
            self.notify(f"{ready} revision(s) ready for review: r or enter opens the review")
        self.state.changed.publish("")

    def on_model_failed(self, message: m.ModelFailed) -> None:
        self.notify_error(message.error, title="model layer skipped")

    def on_cancel_requested(self, _message: m.CancelRequested) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        if self.state.load.loading:
            self.owner.cancel()
            self.notify("cancelling the capture…")
        elif self.state.work.queue:
            cancelled = self.owner.cancel()
            self.notify(f"cancelling {len(cancelled)} revision(s); finished results are kept")

    # ---- the suite folder on disk

    def watch_disk(self) -> None:
        """Once a second: read the file statuses again if the suite folder changed."""
        facts = self.state.facts
        if facts is None:
            return
        signature = suite_signature(facts.out)
        if signature != self._suite:
            self._suite = signature
            self.read_statuses()

    @work(thread=True, exclusive=True, group="disk", exit_on_error=False)
    def read_statuses(self) -> None:
        facts = self.state.facts
        if facts is not None:
            self.post_message(m.StatusesRead(read_statuses(facts)))

    def on_statuses_read(self, message: m.StatusesRead) -> None:
        changed = [r for r, status in message.statuses.items() if self.state.statuses.get(r) != status]
        self.state.statuses.update(message.statuses)
        for revision in changed:
            self.state.changed.publish(revision)
