"""What is running: a status line, a progress bar over the queue, and the model's tokens as they come."""

from __future__ import annotations

from dataclasses import dataclass

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Log, ProgressBar, Static

from ...events import CaptureProgress, Event, ModelToken, Notice, RevisionProgress, VerifyProgress

STAGES = {
    "planning": "planning",
    "observing": "observing data",
    "model": "asking the model",
    "repairing": "asking the model to repair",
    "planned": "planned",
    "skipped": "skipped",
    "failed": "failed",
}


@dataclass
class Status:
    """A new status line, with the queue's progress when it is known."""

    text: str
    done: int | None = None
    total: int | None = None


class ActivityPanel(Vertical):
    """Subscribes to the app's ``activity`` signal (pipeline events and plain lines)."""

    def compose(self) -> ComposeResult:
        yield Label("", id="activity-status")
        yield ProgressBar(id="activity-bar", show_eta=False)
        yield Static("", id="activity-model")
        yield Log(id="activity-log", max_lines=2000, auto_scroll=True)

    def on_mount(self) -> None:
        self.border_title = "activity"
        self._stream: tuple[str, str] = ("", "")  # the revision the model writes for, and what it wrote
        self.app.activity.subscribe(self, self.receive)  # type: ignore[attr-defined]
        last = self.app.last_status  # type: ignore[attr-defined]
        self.receive(last)

    def status(self, text: str) -> None:
        self.query_one("#activity-status", Label).update(Text(text))

    def progress(self, done: int | None, total: int | None) -> None:
        """Show the bar while there is something to count; hide it when idle."""
        bar = self.query_one("#activity-bar", ProgressBar)
        bar.display = bool(total)
        if total:
            bar.update(total=total, progress=done or 0)

    def line(self, text: str) -> None:
        self.query_one("#activity-log", Log).write_line(text)

    def token(self, revision: str, text: str) -> None:
        """Show the tail of what the model is writing, as it comes."""
        done = self._stream[1] if self._stream[0] == revision else ""
        self._stream = (revision, done + text)
        shown = " ".join(self._stream[1].split())
        model = self.query_one("#activity-model", Static)
        model.display = True
        tail = max(40, (model.size.width or 60) * 3 - 4)  # what fits in three lines
        model.update(f"[b]model ▸ {revision}[/b] ({len(self._stream[1])} characters)\n"
                     + escape(("…" if len(shown) > tail else "") + shown[-tail:]))

    def receive(self, item: Event | Status | str) -> None:
        if isinstance(item, str):
            self.line(item)
        elif isinstance(item, Status):
            self.status(item.text)
            self.progress(item.done, item.total)
        elif isinstance(item, ModelToken):
            self.token(item.revision, item.text)
        elif isinstance(item, CaptureProgress):
            if item.phase == "upgrade":
                self.status(f"capturing the history: applied {item.done} of {item.total} revisions")
                self.progress(item.done, item.total)
            else:
                self.status("capturing the history: running every downgrade")
        elif isinstance(item, RevisionProgress):
            if item.stage in ("model", "repairing"):
                self._stream = (item.revision, "")
            words = STAGES.get(item.stage, item.stage)
            self.line(f"{item.revision} {words}" + (f": {item.detail}" if item.detail else ""))
        elif isinstance(item, VerifyProgress):
            if item.stage == "started":
                self.line(f"running {item.tests} generated tests on scratch databases")
            else:
                self.line(f"ran {item.tests} generated tests")
        elif isinstance(item, Notice):
            self.line(f"{item.level}: {item.message}" + (f" ({item.hint})" if item.hint else ""))
