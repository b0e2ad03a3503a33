"""What is running: a status line, a progress bar over the queue, the model at work, and a log of steps."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, ProgressBar, RichLog

from ...events import CaptureProgress, Notice, RevisionProgress, VerifyProgress
from ..shared import Activity, AppState
from ..work import STAGES, Status
from .model_work import ModelWork


class ActivityPanel(Vertical):
    """Subscribes to the app's ``activity`` signal (pipeline events, status lines and plain lines)."""

    def __init__(self, state: AppState, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = state

    def compose(self) -> ComposeResult:
        yield Label("", id="activity-status")
        yield ProgressBar(id="activity-bar", show_eta=False)
        yield ModelWork(self.state, lines=3, id="activity-model")
        yield RichLog(id="activity-log", max_lines=2000, auto_scroll=True, wrap=True, markup=False)

    def on_mount(self) -> None:
        self.border_title = "activity"
        self.state.activity.subscribe(self, self.receive)
        self.receive(self.state.work.status)

    def status(self, text: str) -> None:
        self.query_one("#activity-status", Label).update(Text(text))

    def progress(self, done: int | None, total: int | None) -> None:
        """Show the bar while there is something to count; hide it when idle."""
        bar = self.query_one("#activity-bar", ProgressBar)
        bar.display = bool(total)
        if total:
            bar.update(total=total, progress=done or 0)

    def line(self, text: str) -> None:
        self.query_one("#activity-log", RichLog).write(Text(text))

    def receive(self, item: Activity) -> None:
        if isinstance(item, str):
            self.line(item)
        elif isinstance(item, Status):
            self.status(item.text)
            self.progress(item.done, item.total)
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
            self.line(f"{item.level}: {item.message}" + (f" (hint: {item.hint})" if item.hint else ""))
