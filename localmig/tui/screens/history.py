"""Every notification shown so far, newest first, in full: errors with their hints stay readable
after their pop-up is gone."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ..work import Notification

COLOURS = {"error": "error", "warning": "warning", "information": "text-muted"}


class HistoryScreen(ModalScreen[None]):
    BINDINGS = [("escape,h,q", "close", "Close")]

    def __init__(self, notifications: list[Notification]) -> None:
        super().__init__()
        self.notifications = list(reversed(notifications))

    def compose(self) -> ComposeResult:
        colours = self.app.get_css_variables()
        parts = []
        for note in self.notifications:
            heading = Text(f"{note.at}  {note.severity}", style=f"bold {colours.get(COLOURS.get(note.severity, ''), '')}")
            if note.title:
                heading.append(f"  {note.title}", style="bold")
            parts += [heading, Text(note.message), Text("")]
        with Vertical(classes="dialog wide", id="history"):
            yield Label(f"Messages ({len(self.notifications)}, newest first)", classes="dialog-title")
            with VerticalScroll(id="history-list"):
                yield Static(Group(*parts) if parts else Text("No message yet."))
            yield Static("esc: close", classes="dialog-question")

    def on_mount(self) -> None:
        self.query_one("#history-list").focus()

    def action_close(self) -> None:
        self.dismiss(None)
