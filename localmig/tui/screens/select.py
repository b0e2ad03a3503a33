"""The migration list: filter, select, generate, and watch the work; the detail pane explains a revision."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input

from ..bindings import bindings
from ..widgets.activity import ActivityPanel
from ..widgets.detail import DetailPane
from ..widgets.revision_table import RevisionTable, Row


class SelectScreen(Screen):
    """Pick revisions (space, a), generate (g), review (r / enter)."""

    BINDINGS = bindings("list")

    def __init__(self) -> None:
        super().__init__()
        self.selected: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="top"):
            yield Input(placeholder="filter: id, message, test status (none, stale…), head, merge, finding…", id="filter")
            yield RevisionTable(id="revisions")
        with Horizontal(id="bottom"):
            yield DetailPane(id="detail")
            yield ActivityPanel(id="activity")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#revisions").border_title = "migrations"
        self.query_one("#detail").border_title = "details"
        self.app.changed.subscribe(self, self.on_changed)  # type: ignore[attr-defined]
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh_rows())
        self.query_one(RevisionTable).focus()
        self.refresh_rows()

    # ---- what to show

    @property
    def table(self) -> RevisionTable:
        return self.query_one(RevisionTable)

    def rows(self) -> list[Row]:
        app = self.app
        session = app.session  # type: ignore[attr-defined]
        if session is None:
            return []
        return [Row(r, app.statuses.get(r.id, "missing"), len(session.findings_for(r.id)),  # type: ignore[attr-defined]
                    app.review.label(r.id), r.id in self.selected) for r in session.revisions]  # type: ignore[attr-defined]

    def shown_rows(self) -> list[Row]:
        words = self.query_one("#filter", Input).value.lower().split()
        return [row for row in self.rows() if all(word in row.text() for word in words)]

    def refresh_rows(self) -> None:
        self.table.show(self.shown_rows())
        self.query_one("#revisions").border_subtitle = self.counts()
        self.refresh_detail()

    def on_changed(self, revision: str) -> None:
        if not revision:
            self.refresh_rows()
            return
        for row in self.rows():
            if row.revision.id == revision:
                self.table.update(row)
        if revision == self.table.current_revision:
            self.refresh_detail()
        self.query_one("#revisions").border_subtitle = self.counts()

    def counts(self) -> str:
        session = self.app.session  # type: ignore[attr-defined]
        if session is None:
            return ""
        shown = self.table.row_count
        total = len(session.revisions)
        parts = [f"{shown} of {total} shown" if shown != total else f"{total} revisions"]
        if self.selected:
            parts.append(f"{len(self.selected)} selected")
        return " · ".join(parts)

    def refresh_detail(self) -> None:
        app = self.app
        pane = self.query_one(DetailPane)
        if app.session is None:  # type: ignore[attr-defined]
            pane.say(app.load_message)  # type: ignore[attr-defined]
            return
        revision = self.table.current_revision
        if revision is None:
            pane.say("no revision matches the filter")
            return
        pane.show(app.session, revision, app.statuses.get(revision, "missing"),  # type: ignore[attr-defined]
                  app.review.entries.get(revision), app.review.progress.get(revision, ""))  # type: ignore[attr-defined]

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.refresh_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_review()

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.refresh_rows()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.table.focus()

    # ---- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return bool(self.app.generating or self.app.loading or self.query_one("#filter", Input).has_focus)  # type: ignore[attr-defined]
        return True

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_toggle(self) -> None:
        revision = self.table.current_revision
        if revision is None:
            return
        self.selected ^= {revision}
        self.on_changed(revision)
        self.table.action_cursor_down()

    def action_select_missing(self) -> None:
        if self.app.session is None:  # type: ignore[attr-defined]
            self.notify("the project is not loaded yet", severity="warning")
            return
        rows = [row for row in self.shown_rows() if row.status == "missing"]
        if not rows:
            self.notify("every revision shown already has a test file", severity="warning")
            return
        self.selected |= {row.revision.id for row in rows}
        self.refresh_rows()
        self.notify(f"selected {len(rows)} revisions without tests; g generates")

    def action_clear_selection(self) -> None:
        self.selected.clear()
        self.refresh_rows()

    def action_generate(self) -> None:
        session = self.app.session  # type: ignore[attr-defined]
        if session is None:
            self.notify("the project is not loaded yet", severity="warning")
            return
        chosen = [r for r in session.revisions if r.id in self.selected]
        if not chosen and self.table.current_revision:
            chosen = [session.project.by_id[self.table.current_revision]]
        if not chosen:
            return
        self.selected.clear()
        self.app.generate(chosen)  # type: ignore[attr-defined]

    def action_review(self) -> None:
        self.app.open_review(self.table.current_revision)  # type: ignore[attr-defined]

    def action_cancel(self) -> None:
        if self.query_one("#filter", Input).has_focus:
            self.table.focus()
            return
        self.app.action_cancel()  # type: ignore[attr-defined]

    def action_reload(self) -> None:
        self.app.reload()  # type: ignore[attr-defined]
