"""The migration list: one row per revision, with its graph markers, test status and findings."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable

from ...project import RevisionInfo
from ..state import STATUS_WORDS

COLUMNS = [("sel", " ", 1), ("revision", "revision", None), ("message", "message", 44), ("date", "date", 10),
           ("graph", "graph", None), ("tests", "tests", 12), ("findings", "findings", 8), ("session", "this session", None)]
STATUS_COLOURS = {"missing": "text-muted", "current": "success", "stale": "warning", "hand_edited": "accent",
                  "not_generated": "accent"}


@dataclass
class Row:
    """What the table shows of one revision."""

    revision: RevisionInfo
    status: str
    findings: int
    session: str
    selected: bool

    def markers(self) -> str:
        r = self.revision
        marks = [m for m, on in (("head", r.is_head), ("merge", r.is_merge), ("fork", r.is_branch_point),
                                 ("base", r.is_base)) if on]
        return " ".join(marks + [f"@{label}" for label in r.branch_labels])

    def text(self) -> str:
        """Everything the filter box matches against."""
        return " ".join([self.revision.id, self.revision.message, STATUS_WORDS.get(self.status, self.status),
                         self.markers(), self.session, "finding" if self.findings else ""]).lower()


class RevisionTable(DataTable):
    """A DataTable keyed by revision id; :meth:`show` rebuilds it and keeps the cursor on its revision."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    def colour(self, name: str) -> str:
        return self.app.get_css_variables().get(name, "")

    def cells(self, row: Row) -> list[Text | str]:
        status = STATUS_WORDS.get(row.status, row.status)
        session = Text(row.session)
        if row.session.startswith("accepted"):
            session.stylize(self.colour("success"))
        elif row.session.startswith(("failed", "rejected", "cancelled")):
            session.stylize(self.colour("error") if row.session.startswith("failed") else self.colour("text-muted"))
        elif row.session:
            session.stylize(self.colour("accent"))
        return [
            Text("●", style=self.colour("accent")) if row.selected else " ",
            Text(row.revision.id),
            Text(row.revision.message or "(no message)"),
            Text((row.revision.created or "")[:10]),
            Text(row.markers()),
            Text(status, style=self.colour(STATUS_COLOURS.get(row.status, "foreground"))),
            Text(str(row.findings), style=self.colour("error")) if row.findings else Text("–", style=self.colour("text-muted")),
            session,
        ]

    def show(self, rows: list[Row]) -> None:
        current = self.current_revision
        self.clear()
        for row in rows:
            self.add_row(*self.cells(row), key=row.revision.id)
        if current is not None and current in self.rows:
            self.move_cursor(row=self.get_row_index(current), animate=False)

    def update(self, row: Row) -> None:
        """Redraw the row of one revision, if it is shown."""
        if row.revision.id not in self.rows:
            return
        for (key, _, _), value in zip(COLUMNS, self.cells(row)):
            self.update_cell(row.revision.id, key, value, update_width=True)

    @property
    def current_revision(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
