"""The migration list: filter, select, generate, and watch the work; the detail pane explains a revision."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input

from .. import messages as m
from ..bindings import bindings
from ..shared import AppState
from ..widgets.activity import ActivityPanel
from ..widgets.detail import DetailPane
from ..widgets.footer import KeysFooter
from ..widgets.revision_table import RevisionTable, Row

BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
HEIGHTS = [(0, "-short"), (32, "-tall")]


class FilterInput(Input):
    """The filter box: esc empties it and goes back to the list."""

    BINDINGS = bindings("filter")

    class Done(Message):
        """The reviewer left the filter box (enter keeps the text, esc empties it)."""

    def action_clear(self) -> None:
        self.value = ""
        self.post_message(self.Done())


class SelectScreen(Screen[None]):
    """Pick revisions (space, a), generate (g), review (r / enter)."""

    BINDINGS = bindings("list")
    HORIZONTAL_BREAKPOINTS = BREAKPOINTS
    VERTICAL_BREAKPOINTS = HEIGHTS

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self.selected: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="top"):
            yield FilterInput(placeholder="filter: id, message, none/stale/current, head, merge, a finding kind, failed…",
                              id="filter")
            yield RevisionTable(id="revisions")
        with Horizontal(id="bottom"):
            yield DetailPane(id="detail")
            yield ActivityPanel(self.state, id="activity")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#revisions").border_title = "migrations"
        self.query_one("#detail").border_title = "details"
        self.query_one("#filter").display = False
        self.state.changed.subscribe(self, self.on_changed)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh_rows())
        self.table.focus()
        self.refresh_rows()

    # ---- what to show

    @property
    def table(self) -> RevisionTable:
        return self.query_one(RevisionTable)

    @property
    def filter(self) -> FilterInput:
        return self.query_one("#filter", FilterInput)

    def rows(self) -> list[Row]:
        facts, review = self.state.facts, self.state.review
        if facts is None:
            return []
        rows = []
        for r in facts.revisions:
            entry = review.entries.get(r.id)
            rows.append(Row(r, self.state.statuses.get(r.id, "missing"), facts.findings_for(r.id), review.label(r.id),
                            r.id in self.selected, entry.words() if entry else ""))
        return rows

    def shown_rows(self) -> list[Row]:
        words = self.filter.value.lower().split()
        return [row for row in self.rows() if all(word in row.text() for word in words)]

    def refresh_rows(self) -> None:
        self.table.show(self.shown_rows())
        self.show_counts()
        self.refresh_detail()

    def on_changed(self, revision: str) -> None:
        if not revision:
            self.refresh_rows()
            return
        shown = {row.revision.id: row for row in self.shown_rows()}
        if (revision in shown) != (revision in self.table.rows):  # it enters or leaves the filter
            self.refresh_rows()
            return
        if revision in shown:
            self.table.update(shown[revision])
        if revision == self.table.current_revision:
            self.refresh_detail()
        self.show_counts()

    def show_counts(self) -> None:
        facts = self.state.facts
        if facts is None:
            self.table.border_subtitle = ""
            return
        shown, total = self.table.row_count, len(facts.revisions)
        parts = [f"{shown} of {total} shown" if shown != total else f"{total} revisions"]
        if self.filter.value.strip():
            parts.append(f"filter: {self.filter.value.strip()}")
        if self.selected:
            parts.append(f"{len(self.selected)} selected")
        self.table.border_subtitle = " · ".join(parts)

    def refresh_detail(self) -> None:
        pane = self.query_one(DetailPane)
        facts = self.state.facts
        if facts is None:
            pane.say(self.state.load.message)
            return
        revision = self.table.current_revision
        if revision is None:
            pane.say("no revision matches the filter (esc in the filter box empties it)")
            return
        review = self.state.review
        pane.show(facts, revision, self.state.statuses.get(revision, "missing"), review.entries.get(revision),
                  review.progress.get(revision, ""), review.problems.get(revision))

    def focus_revision(self, revision: str) -> None:
        """Put the cursor on ``revision`` (after the review, on the one the reviewer saw last)."""
        if revision in self.table.rows:
            self.table.move_cursor(row=self.table.get_row_index(revision), animate=False)
        self.table.focus()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.refresh_detail()

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_review()

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.refresh_rows()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.leave_filter()

    def on_filter_input_done(self, _event: FilterInput.Done) -> None:
        self.leave_filter()

    def leave_filter(self) -> None:
        self.filter.display = bool(self.filter.value.strip())
        self.table.focus()
        self.refresh_rows()

    # ---- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return bool(self.state.work.queue or self.state.load.loading)
        return True

    def loaded(self) -> bool:
        if self.state.facts is None:
            self.notify(self.state.no_project(), severity="warning")
            return False
        return True

    def action_filter(self) -> None:
        self.filter.display = True
        self.filter.focus()

    def action_toggle_selection(self) -> None:
        revision = self.table.current_revision
        if not self.loaded() or revision is None:
            return
        self.selected ^= {revision}
        self.on_changed(revision)
        self.table.action_cursor_down()

    def action_select_missing(self) -> None:
        if not self.loaded():
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
        if not self.loaded() or self.state.facts is None:
            return
        chosen = [r.id for r in self.state.facts.revisions if r.id in self.selected]
        if not chosen and self.table.current_revision:
            chosen = [self.table.current_revision]
        if chosen:
            self.selected.clear()
            self.post_message(m.GenerateRequested(chosen))

    def action_review(self) -> None:
        if self.loaded():
            self.post_message(m.ReviewRequested(self.table.current_revision))

    def action_cancel(self) -> None:
        self.post_message(m.CancelRequested())

    def action_reload(self) -> None:
        self.post_message(m.ReloadRequested())
