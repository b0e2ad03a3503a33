"""The model request under way, wherever the reviewer is: which revision, how long it has run,
tokens so far and tokens per second, and the end of its answer. Hidden when no request runs."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ...events import ModelToken, RevisionProgress
from ..shared import Activity, AppState
from ..work import Status


class ModelWork(Static):
    def __init__(self, state: AppState, *, lines: int = 2, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = state
        self.lines = lines

    def on_mount(self) -> None:
        self.state.activity.subscribe(self, self.receive)
        self.set_interval(1.0, self.show_work)  # the elapsed time moves on while no token comes
        self.show_work()

    def receive(self, item: Activity) -> None:
        if isinstance(item, (ModelToken, RevisionProgress, Status, str)):
            self.show_work()

    def show_work(self) -> None:
        stream = self.state.work.stream
        self.display = stream is not None
        if stream is None:
            return
        text = Text(stream.line(), style="bold")
        width = self.content_region.width or 60
        tail = stream.tail(max(20, width * self.lines - 1))
        if tail:
            text.append("\n" + tail, style="")
        self.update(text)
