"""The reviewer's decisions: open the review, accept (write), reject, re-run.

Nothing is written except through an accept, which hands the text to the writer (a thread of
its own, no Session: see :mod:`.writer`); a hand-edited target comes back as
:class:`~.messages.NeedsConfirm` and is shown as a diff. Re-runs go to the session's owner.
"""

from __future__ import annotations

from textual import work

from ..items import ReviewItem
from . import messages as m
from .base import AppBase
from .owner import Rerun
from .screens.modals import diff_confirm
from .screens.review import ReviewScreen
from .screens.select import SelectScreen
from .writer import write_accepted


class Decisions(AppBase):
    def on_review_requested(self, message: m.ReviewRequested) -> None:
        state = self.state
        if state.facts is None:
            self.notify(state.no_project(), severity="warning")
            return
        if not state.review.entries:
            self.notify("nothing generated yet: select revisions (space, or a) and generate them (g)", severity="warning")
            return
        order = state.review.ordered(state.facts.order)
        undecided = [r for r in order if r in state.review.undecided()]
        wanted = message.revision
        target = wanted if wanted is not None and wanted in state.review.entries else (undecided or order)[0]
        self.push_screen(ReviewScreen(state, target), self.review_closed)

    def review_closed(self, revision: str | None) -> None:
        """Back on the list: the cursor on the revision seen last, and what was decided."""
        if isinstance(self.screen, SelectScreen) and revision:
            self.screen.focus_revision(revision)
        entries = self.state.review.entries.values()
        if entries and not self.state.review.undecided():
            decided = [e.decision for e in entries]
            more = f"; {len(self.state.work.queue)} still generating" if self.state.work.queue else ""
            self.notify(f"all reviewed: {decided.count('accepted')} accepted, {decided.count('rejected')} rejected{more}")

    def on_accept_requested(self, message: m.AcceptRequested) -> None:
        entry = self.state.review.entries.get(message.revision)
        if entry is None or entry.writing or self.state.facts is None:
            return
        entry.writing = True
        self.state.changed.publish(message.revision)
        self.write(entry.item, entry.text)

    @work(thread=True, group="write", exit_on_error=False)
    def write(self, item: ReviewItem, text: str, force: bool = False) -> None:
        facts = self.state.facts
        if facts is not None:
            self.post_message(write_accepted(facts, item, text, force))

    def on_reject_requested(self, message: m.RejectRequested) -> None:
        entry = self.state.review.entries.get(message.revision)
        if entry is None or entry.writing:
            return
        entry.decision = "rejected"
        self.notify(f"rejected {message.revision}: nothing written", markup=False)
        self.state.changed.publish(message.revision)

    def on_rerun_requested(self, message: m.RerunRequested) -> None:
        entry = self.state.review.entries.get(message.revision)
        if entry is None:
            return
        running = self.state.work.queue
        self.state.review.progress[message.revision] = "re-running tests…" + (
            f" (after the generation of {running[0]})" if running else "")
        self.owner.submit(Rerun(entry.item, entry.text))
        self.state.changed.publish(message.revision)

    def on_needs_confirm(self, message: m.NeedsConfirm) -> None:
        entry = self.state.review.entries.get(message.revision)
        if entry is None:  # the project was reloaded meanwhile
            return

        def answer(overwrite: bool | None) -> None:
            if overwrite:
                self.write(entry.item, message.text, force=True)
            else:
                entry.writing = False
                self.notify(f"kept {message.path}; nothing written", markup=False)
                self.state.changed.publish(message.revision)

        self.push_screen(diff_confirm(message.path, message.existing, message.text), answer)

    def on_written(self, message: m.Written) -> None:
        revision = message.revision
        entry = self.state.review.entries.get(revision)
        if entry is not None:
            entry.writing = False
        if message.error is not None:
            self.notify_error(message.error, title=f"{revision}: not written")
            self.state.changed.publish(revision)
            return
        if entry is None:
            return
        self.state.statuses[revision] = message.status
        kept = [r.path for r in message.results if r.action == "kept_hand_edited"]
        if any(path.endswith(entry.item.filename) for path in kept):
            self.notify(f"kept hand-edited {entry.item.filename}; nothing written", severity="warning", markup=False)
            self.state.changed.publish(revision)
            return
        lines = [f"{r.action.replace('_', ' ')}: {r.path}" for r in message.results if r.action != "unchanged"]
        if kept:
            lines.append("(a hand-edited shared file was kept as it is)")
        if message.text != entry.text:  # edited or regenerated while it was being written
            self.notify("\n".join(lines + ["the module changed since: accept it again to write the new text"]),
                        severity="warning", markup=False)
            self.state.changed.publish(revision)
            return
        entry.decision, entry.written = "accepted", list(message.results)
        if entry.edited:
            lines.append("edited in review: its header says so, and the file counts as current")
        if entry.untested_edits:
            lines.append("the edits were not re-run before accepting (t re-runs them)")
        self.notify("\n".join(lines) or "accepted: the file was already up to date", title=f"accepted {revision}",
                    severity="warning" if kept or entry.untested_edits else "information", markup=False)
        self.state.changed.publish(revision)

    def on_reran(self, message: m.Reran) -> None:
        revision = message.revision
        self.state.review.progress.pop(revision, None)
        entry = self.state.review.entries.get(revision)
        if message.error is not None:
            self.notify_error(message.error, title=f"{revision}: re-run failed")
        elif entry is not None and not message.cancelled:
            entry.outcomes, entry.tested_text = list(message.outcomes or []), message.text
            self.notify(f"re-ran {revision}: {entry.summary()}", markup=False)
        self.state.changed.publish(revision)
