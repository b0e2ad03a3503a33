"""What is running: a status line, a progress bar over the queue, and the model's tokens as they come."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Log, ProgressBar

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
        yield Log(id="activity-log", max_lines=2000, auto_scroll=True)

    def on_mount(self) -> None:
        self.border_title = "activity"
        self._in_tokens = False
        self.app.activity.subscribe(self, self.receive)  # type: ignore[attr-defined]

    def status(self, text: str) -> None:
        self.query_one("#activity-status", Label).update(text)

    def progress(self, done: int, total: int | None) -> None:
        self.query_one("#activity-bar", ProgressBar).update(total=total, progress=done)

    def line(self, text: str) -> None:
        log = self.query_one("#activity-log", Log)
        if self._in_tokens:
            log.write("\n")
            self._in_tokens = False
        log.write_line(text)

    def receive(self, item: Event | Status | str) -> None:
        if isinstance(item, str):
            self.line(item)
        elif isinstance(item, Status):
            self.status(item.text)
            if item.done is not None:
                self.progress(item.done, item.total)
        elif isinstance(item, ModelToken):
            if not self._in_tokens:
                self.query_one("#activity-log", Log).write(f"{item.revision} model ▸ ")
                self._in_tokens = True
            self.query_one("#activity-log", Log).write(item.text.replace("\n", "\n    "))
        elif isinstance(item, CaptureProgress):
            if item.phase == "upgrade":
                self.status(f"capturing the history: applied {item.done} of {item.total} revisions")
                self.progress(item.done, item.total)
            else:
                self.status("capturing the history: running every downgrade")
        elif isinstance(item, RevisionProgress):
            words = STAGES.get(item.stage, item.stage)
            self.line(f"{item.revision} {words}" + (f": {item.detail}" if item.detail else ""))
        elif isinstance(item, VerifyProgress):
            if item.stage == "started":
                self.line(f"running {item.tests} generated tests on scratch databases")
            else:
                self.line(f"ran {item.tests} generated tests")
        elif isinstance(item, Notice):
            self.line(f"{item.level}: {item.message}" + (f" ({item.hint})" if item.hint else ""))
