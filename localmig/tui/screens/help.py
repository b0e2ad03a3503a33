"""The help screen: every key, its binding id (to remap it in models.yaml), and where the settings are.

The keys are a Rich table in a scrolling pane, so long explanations wrap at any width.
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ..bindings import KEYS, SCOPES, effective_key, shown_key

INTRO = (
    "Select revisions in the list (space, or a for every revision without tests), generate (g), then review "
    "them one by one (r or enter): accept writes the file, reject writes nothing. Esc cancels a running "
    "generation and keeps what is finished. ctrl+p opens the command palette (switch model, change theme)."
)


def key_rows(keymap: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(where, key, what it does, binding id) for every binding, with the user's remapping."""
    return [(SCOPES[k.scope], shown_key(effective_key(k, keymap)), k.explained, k.id) for k in KEYS]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [("escape,q,question_mark,f1", "close", "Close")]

    def __init__(self, keymap: dict[str, str], settings_source: Path | None) -> None:
        super().__init__()
        self.rows = key_rows(keymap)
        self.source = settings_source

    def compose(self) -> ComposeResult:
        self.table = table = Table(expand=True, show_edge=False, pad_edge=False, row_styles=["", "dim"])
        table.add_column("where", ratio=2, overflow="fold")
        table.add_column("key", ratio=1, min_width=6, overflow="fold")
        table.add_column("what it does", ratio=5)
        table.add_column("binding id", ratio=2, overflow="fold")
        for row in self.rows:
            table.add_row(*(Text(cell) for cell in row))
        with Vertical(classes="dialog wide", id="help"):
            yield Label("localmig — keys", classes="dialog-title")
            yield Static(INTRO)
            with VerticalScroll(id="help-keys"):
                yield Static(table)
            yield Static(Text("Remap a key in models.yaml: `keys: {review.accept: ctrl+a}`"
                              + (f" (settings in use: {self.source})" if self.source else "")))
            yield Static("esc: close · up / down / page keys scroll", classes="dialog-question")

    def on_mount(self) -> None:
        self.query_one("#help-keys").focus()

    def action_close(self) -> None:
        self.dismiss(None)
