"""The migration list: one row per revision, with its graph markers, test status and findings.

Its columns follow the width (see :mod:`.columns`): rebuilt when the table is resized or a
column's content needs more room.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.widgets import DataTable

from ...capture import Finding
from ...project import RevisionInfo
from ..state import STATUS_WORDS
from .columns import COLUMNS, fit

STATUS_COLOURS = {"missing": "text-muted", "current": "success", "stale": "warning", "hand_edited": "accent",
                  "not_generated": "accent"}


def markers(revision: RevisionInfo) -> str:
    marks = [m for m, on in (("head", revision.is_head), ("merge", revision.is_merge), ("fork", revision.is_branch_point),
                             ("base", revision.is_base)) if on]
    return " ".join(marks + [f"@{label}" for label in revision.branch_labels])


@dataclass
class Row:
    """What the table shows of one revision."""

    revision: RevisionInfo
    status: str
    findings: list[Finding]
    session: str
    selected: bool
    entry_words: str = ""  # the entry's verdicts and decision, when one was generated

    def text(self) -> str:
        """Everything the filter box matches against: id, message, test file status, graph
        markers, finding kinds, the session's word, test verdicts and the decision."""
        kinds = [f.kind for f in self.findings]
        words = [self.revision.id, self.revision.message, STATUS_WORDS.get(self.status, self.status), self.status,
                 markers(self.revision), self.session, self.entry_words, *kinds, *(k.replace("_", " ") for k in kinds)]
        if kinds:
            words.append("finding findings")
        return " ".join(words).lower()


class RevisionTable(DataTable):
    """A DataTable keyed by revision id; :meth:`show` rebuilds it and keeps the cursor on its revision."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self._rows: list[Row] = []
        self._widths: dict[str, int] = {}

    def colour(self, name: str) -> str:
        return self.app.get_css_variables().get(name, "")

    def cells(self, row: Row) -> dict[str, Text]:
        status = STATUS_WORDS.get(row.status, row.status)
        session = Text(row.session)
        if row.session.startswith("accepted"):
            session.stylize(self.colour("success"))
        elif row.session.startswith(("failed", "rejected", "cancelled")):
            session.stylize(self.colour("error") if row.session.startswith("failed") else self.colour("text-muted"))
        elif row.session:
            session.stylize(self.colour("accent"))
        findings = Text(str(len(row.findings)), style=self.colour("error")) if row.findings else \
            Text("–", style=self.colour("text-muted"))
        cells = {
            "sel": Text("●", style=self.colour("accent")) if row.selected else Text(" "),
            "revision": Text(row.revision.id),
            "message": Text(row.revision.message or "(no message)"),
            "date": Text((row.revision.created or "")[:10]),
            "graph": Text(markers(row.revision)),
            "tests": Text(status, style=self.colour(STATUS_COLOURS.get(row.status, "foreground"))),
            "findings": findings,
            "session": session,
        }
        for text in cells.values():
            text.no_wrap, text.overflow = True, "ellipsis"
        return cells

    def column_widths(self) -> dict[str, int]:
        content = {
            "revision": max((len(r.revision.id) for r in self._rows), default=8),
            "graph": max((len(markers(r.revision)) for r in self._rows), default=0),
            "session": min(max((len(r.session) for r in self._rows), default=0), 28),
            "tests": max((len(STATUS_WORDS.get(r.status, r.status)) for r in self._rows), default=5),
        }
        if content["session"]:
            content["session"] = max(content["session"], 14)  # room for "to review: 5 ok" without a rebuild
        width = self.scrollable_content_region.width or self.size.width or 80
        return fit(width, content)

    def show(self, rows: list[Row]) -> None:
        current = self.current_revision
        self._rows = rows
        self._widths = self.column_widths()
        self.clear(columns=True)
        for column in COLUMNS:
            if column.key in self._widths:
                self.add_column(column.label, key=column.key, width=self._widths[column.key])
        for row in rows:
            cells = self.cells(row)
            self.add_row(*(cells[key] for key in self._widths), key=row.revision.id)
        if current is not None and current in self.rows:
            self.move_cursor(row=self.get_row_index(current), animate=False)

    def update(self, row: Row) -> None:
        """Redraw the row of one revision, if it is shown (the whole table when a column must change)."""
        if row.revision.id not in self.rows:
            return
        self._rows = [row if r.revision.id == row.revision.id else r for r in self._rows]
        if self.column_widths() != self._widths:
            self.show(self._rows)
            return
        cells = self.cells(row)
        for key in self._widths:
            self.update_cell(row.revision.id, key, cells[key])

    def on_resize(self, _event: events.Resize) -> None:
        if self._rows and self.column_widths() != self._widths:
            self.show(self._rows)

    @property
    def current_revision(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
