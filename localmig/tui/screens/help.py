"""The help screen: every key, its binding id (to remap it in models.yaml), and where the settings are."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from ..bindings import KEYS, SCOPES, effective_key, shown_key

INTRO = (
    "Select revisions in the list (space, or a for every revision without tests), generate (g), then review "
    "them one by one (r or enter): accept writes the file, reject writes nothing. Esc cancels a running "
    "generation and keeps what is finished. ctrl+p opens the command palette (switch model, change theme)."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [("escape,q,question_mark,f1", "close", "Close")]

    def compose(self) -> ComposeResult:
        keymap = getattr(self.app, "keymap", {})
        settings = getattr(self.app, "settings", None)
        source = getattr(settings, "source", None)
        with Vertical(classes="dialog wide", id="help"):
            yield Label("localmig — keys", classes="dialog-title")
            yield Static(INTRO)
            table: DataTable = DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            table.add_columns("where", "key", "does", "binding id")
            for key in KEYS:
                table.add_row(SCOPES[key.scope], Text(shown_key(effective_key(key, keymap))), Text(key.explained), key.id)
            yield table
            yield Static(Text(
                "Remap a key in models.yaml: `keys: {review.accept: ctrl+a}`"
                + (f" (settings in use: {source})" if source else "")
            ))
            yield Label("esc: close", classes="dialog-question")

    def on_mount(self) -> None:
        self.query_one("#help-keys").focus()

    def action_close(self) -> None:
        self.dismiss(None)
