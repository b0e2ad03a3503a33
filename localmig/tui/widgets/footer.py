"""A footer that keeps help and quit in view at any width.

Textual's footer lists the focused widget's keys, then the screen's, then the app's, and cuts
what does not fit on the right: on 80 columns help and quit fell off. This one puts them first,
and goes compact (less space between keys, no palette key) below 100 columns.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer

FIRST = ("help", "quit")


class KeysFooter(Footer):
    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        first = [w for w in widgets if getattr(w, "action", None) in FIRST]
        first.sort(key=lambda w: FIRST.index(getattr(w, "action", "")))
        yield from first + [w for w in widgets if w not in first]

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < 100
        self.compact = narrow
        self.show_command_palette = not narrow  # ctrl+p still opens it; the help says so
