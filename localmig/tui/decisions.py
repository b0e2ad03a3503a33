"""The reviewer's decisions, mixed into the App: open the review, accept (write), reject, re-run.

Nothing is written except through :meth:`accept`, which hands the text to a write worker; a
hand-edited target comes back as :class:`~localmig.tui.messages.NeedsConfirm` and is shown as a diff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import messages as m
from .screens.modals import diff_confirm
from .screens.review import ReviewScreen

if TYPE_CHECKING:
    from .app import LocalmigApp

    Base = LocalmigApp
else:
    Base = object


class Decisions(Base):
    def open_review(self, revision: str | None) -> None:
        if self.session is None or not self.review.entries:
            self.notify("nothing generated yet: select revisions (space, or a) and generate them (g)", severity="warning")
            return
        order = self.review.ordered([r.id for r in self.session.revisions])
        undecided = [r for r in order if r in self.review.undecided()]
        target = revision if revision in self.review.entries else (undecided or order)[0]
        self.push_screen(ReviewScreen(target))

    def accept(self, revision: str) -> None:
        entry = self.review.entries[revision]
        if self.session is None:
            return
        self.write_item(entry.item, entry.text)

    def reject(self, revision: str) -> None:
        self.review.entries[revision].decision = "rejected"
        self.notify(f"rejected {revision}: nothing written", markup=False)
        self.changed.publish(revision)

    def rerun(self, revision: str) -> None:
        entry = self.review.entries[revision]
        self.review.progress[revision] = "re-running tests…"
        self.rerun_item(entry.item, entry.text)
        self.changed.publish(revision)

    def on_needs_confirm(self, message: m.NeedsConfirm) -> None:
        entry = self.review.entries.get(message.revision)
        if entry is None:  # the project was reloaded meanwhile
            return

        def answer(overwrite: bool | None) -> None:
            if overwrite:
                self.write_item(entry.item, message.text, force=True)
            else:
                self.notify(f"kept {message.path}; nothing written", markup=False)

        self.push_screen(diff_confirm(message.path, message.existing, message.text), answer)

    def on_written(self, message: m.Written) -> None:
        revision = message.revision
        if message.error is not None:
            self.notify_error(message.error, title=f"{revision}: not written")
            return
        entry = self.review.entries.get(revision)
        if entry is None:
            return
        self.statuses[revision] = message.status
        kept = [r.path for r in message.results if r.action == "kept_hand_edited"]
        if any(path.endswith(entry.item.filename) for path in kept):
            self.notify(f"kept hand-edited {entry.item.filename}; nothing written", severity="warning", markup=False)
            return
        lines = [f"{r.action.replace('_', ' ')}: {r.path}" for r in message.results if r.action != "unchanged"]
        if kept:
            lines.append("(a hand-edited shared file was kept as it is)")
        if message.text != entry.text:  # edited or regenerated while it was being written
            self.notify("\n".join(lines + ["the module changed since: accept it again to write the new text"]),
                        severity="warning", markup=False)
            self.changed.publish(revision)
            return
        entry.decision = "accepted"
        if entry.untested_edits:
            lines.append("the edits were not re-run before accepting (t re-runs them)")
        self.notify("\n".join(lines) or "accepted: the file was already up to date", title=f"accepted {revision}",
                    severity="warning" if kept or entry.untested_edits else "information", markup=False)
        self.changed.publish(revision)
        if isinstance(self.screen, ReviewScreen) and self.screen.revision == revision:
            self.screen.advance()

    def on_reran(self, message: m.Reran) -> None:
        revision = message.revision
        self.review.progress.pop(revision, None)
        entry = self.review.entries.get(revision)
        if message.error is not None or entry is None:
            if message.error is not None:
                self.notify_error(message.error, title=f"{revision}: re-run failed")
        else:
            entry.outcomes, entry.tested_text = list(message.outcomes or []), message.text
            self.notify(f"re-ran {revision}: {entry.summary()}", markup=False)
        self.changed.publish(revision)

    def all_reviewed(self) -> None:
        if isinstance(self.screen, ReviewScreen):
            self.pop_screen()
        decided = [e.decision for e in self.review.entries.values()]
        more = f"; {len(self.review.progress)} still generating" if self.review.progress else ""
        self.notify(f"all reviewed: {decided.count('accepted')} accepted, {decided.count('rejected')} rejected{more}")

