"""Review one revision at a time: the migration beside its generated tests, results, findings, prompt.

The generated module is read-only until ``e``; Tab and shift+Tab only move the focus (leaving
the editor ends the edit). Accept and reject act on the revision on screen, once it has been on
screen for a moment and only by a fresh press (a held key repeats every few hundredths of a
second: its repeats are ignored), so a doubled or held key never decides the next one; and never twice.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.markup import escape
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Log, Static, TabbedContent, TabPane, TextArea

from ...events import ModelToken, RevisionProgress
from ...items import ReviewItem
from .. import messages as m
from ..bindings import bindings
from ..editor import edit_externally
from ..shared import Activity, AppState
from ..state import STATUS_WORDS, Entry
from ..widgets.footer import KeysFooter
from ..widgets.model_work import ModelWork
from ..widgets.results import ResultsView
from .modals import HintModal
from .select import BREAKPOINTS, HEIGHTS

REVIEW_ACTIONS = {"accept", "reject", "regenerate", "rerun", "edit", "open_editor", "next", "previous", "back", "tab"}
EDITING_ACTIONS = {"accept_editing", "rerun_editing", "stop_editing"}
DECISIONS = {"accept", "reject"}
BUSY = {"accept", "reject", "regenerate", "rerun", "accept_editing", "rerun_editing", "edit"}
SETTLE = 0.4  # seconds a revision is on screen before a key may decide it
REPEAT = 0.25  # a decision key pressed again within this is a held (repeating) key: ignored
now = time.monotonic  # the screen's clock (tests set their own)


class ReviewScreen(Screen[str]):
    """Nothing is written until the reviewer accepts (a, or ctrl+s while editing); dismissed with
    the revision shown last."""

    BINDINGS = bindings("review", "editing")
    HORIZONTAL_BREAKPOINTS = BREAKPOINTS
    VERTICAL_BREAKPOINTS = HEIGHTS

    def __init__(self, state: AppState, revision: str) -> None:
        super().__init__()
        self.state = state
        self.revision = revision
        self.shown_at = 0.0
        self.last_press = -1.0  # when a decision key was last pressed
        self.deciding: str | None = None  # the revision whose accept or reject was asked for
        self._item: ReviewItem | None = None
        self._sources: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="review-title")
        yield ModelWork(self.state, lines=2, id="review-model")
        with Horizontal(id="panes"):
            yield TextArea(id="source", language="python", theme="css", read_only=True, soft_wrap=False,
                           show_line_numbers=True)
            yield TextArea.code_editor(id="module", language="python", theme="css", read_only=True,
                                       tab_behavior="focus")
        with TabbedContent(id="tabs"):
            with TabPane("Results", id="tab-results"):
                yield ResultsView(id="results")
            with TabPane("Findings", id="tab-findings"), VerticalScroll(id="findings-scroll"):
                yield Static(id="findings")
            with TabPane("Sent to the model", id="tab-prompt"):
                yield Log(id="prompt", auto_scroll=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.state.changed.subscribe(self, self.on_changed)
        self.state.activity.subscribe(self, self.on_activity)
        self.load()

    # ---- showing one revision

    @property
    def entry(self) -> Entry:
        return self.state.review.entries[self.revision]

    @property
    def module(self) -> TextArea:
        return self.query_one("#module", TextArea)

    @property
    def order(self) -> list[str]:
        facts = self.state.facts
        return self.state.review.ordered(facts.order if facts else list(self.state.review.entries))

    def source(self) -> str:
        if self.revision not in self._sources:
            root = self.state.facts.root if self.state.facts else Path.cwd()
            path = root / self.entry.item.revision.path
            try:
                self._sources[self.revision] = path.read_text(encoding="utf-8", errors="replace")
            except OSError as error:
                self._sources[self.revision] = f"# cannot read {path}: {error.strerror}"
        return self._sources[self.revision]

    def load(self) -> None:
        entry = self.entry
        self._item = entry.item
        source = self.query_one("#source", TextArea)
        source.load_text(self.source())
        source.border_title = f"migration · {entry.item.revision.path}"
        module = self.module
        module.read_only = True
        module.remove_class("-editing")
        module.load_text(entry.text)
        out = self.state.facts.out.name if self.state.facts else "tests"
        module.border_title = f"generated · {out}/{entry.item.filename}"
        module.border_subtitle = "read-only · e edits"
        self.show_results()
        self.show_findings()
        self.show_prompt()
        self.show_title()
        self.query_one("#results-table").focus()
        self.shown_at = now()
        self.refresh_bindings()

    def show_title(self) -> None:
        entry, order = self.entry, self.order
        where = f"{order.index(self.revision) + 1} of {len(order)}" if self.revision in order else ""
        state = self.state.review.progress.get(self.revision) or ("writing…" if entry.writing else "") \
            or entry.decision or "to review"
        if entry.edited:
            state += " · edited" + (", not re-run (t)" if entry.untested_edits else ", re-run")
        if self.editing():
            state += " · editing (esc stops)"
        disk = STATUS_WORDS.get(self.state.statuses.get(self.revision, "missing"), "")
        changed = " · [b]the migration changed since (r regenerates)[/b]" if entry.migration_changed else ""
        self.query_one("#review-title", Static).update(
            f"[b]{self.revision}[/b]  {escape(entry.item.revision.message or '(no message)')}\n"
            f"{where}  ·  [b]{escape(state)}[/b]  ·  {entry.summary()}  ·  {escape(entry.engines())}  ·  "
            f"on disk: {disk}{changed}"
        )

    def show_results(self) -> None:
        entry = self.entry
        self.query_one(ResultsView).show(entry.outcomes, entry.item.dropped)

    def show_findings(self) -> None:
        findings = self.entry.item.findings
        lines = [f"• {f.kind}: {f.message}" + "".join(f"\n    {d}" for d in f.details) for f in findings]
        self.query_one("#findings", Static).update(Text("\n".join(lines) or "No finding: the history ran cleanly for this revision."))

    def show_prompt(self) -> None:
        log = self.query_one("#prompt", Log)
        log.clear()
        item = self.entry.item
        if item.conversation is None:
            why = item.model_error or "the model layer was off or not reachable when it was generated"
            log.write_line(f"Nothing was sent to a model for this revision ({why}).")
            return
        for message in item.conversation.messages:
            role = "the model answered" if message["role"] == "assistant" else f"sent ({message['role']})"
            log.write_line(f"──── {role} " + "─" * 40)
            log.write_lines(message["content"].splitlines())

    # ---- updates from the app

    def on_changed(self, revision: str) -> None:
        if revision not in ("", self.revision) or self.revision not in self.state.review.entries:
            return
        entry = self.entry
        if self.deciding == self.revision and entry.decision is not None:
            self.deciding = None
            self.advance()
            return
        if self.deciding == self.revision and not entry.writing:
            self.deciding = None  # not written (kept a hand-edited file, or an error): it may be asked again
        if entry.item is not self._item:  # regenerated: a new item replaced the entry
            self.load()
        else:
            self.show_results()
            self.show_title()
            self.refresh_bindings()

    def on_activity(self, event: Activity) -> None:
        if isinstance(event, RevisionProgress) and event.revision == self.revision and event.stage in ("model", "repairing"):
            log = self.query_one("#prompt", Log)
            log.write_line(f"──── {'asked again' if event.stage == 'repairing' else 'asked'}: the answer as it streams "
                           + "─" * 20)
        elif isinstance(event, ModelToken) and event.revision == self.revision:
            self.query_one("#prompt", Log).write(event.text)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id == "module" and self.revision in self.state.review.entries and not event.text_area.read_only:
            self.entry.text = event.text_area.text
            self.show_title()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget is not self.module and not self.module.read_only:
            self.stop_editing(focus=False)  # Tab left the editor: the module is read-only again
        self.refresh_bindings()

    # ---- actions

    def editing(self) -> bool:
        return not self.module.read_only

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in REVIEW_ACTIONS and self.editing():
            return False
        if action in EDITING_ACTIONS and not self.editing():
            return False
        if self.revision not in self.state.review.entries:
            return None
        entry = self.entry
        if action in BUSY and (self.revision in self.state.review.progress or entry.writing):
            return None
        return True

    def settled(self) -> bool:
        """Whether a decision key may decide the revision on screen: it has been shown for a moment,
        and the key is a new press, not the repeat of a held one."""
        moment, previous = now(), self.last_press
        self.last_press = moment
        if moment - self.shown_at >= SETTLE and moment - previous >= REPEAT:
            return True
        self.app.bell()
        return False

    def action_accept(self) -> None:
        if self.settled() and self.deciding is None:
            self.deciding = self.revision
            self.post_message(m.AcceptRequested(self.revision))

    def action_accept_editing(self) -> None:
        self.stop_editing()
        self.deciding = self.revision
        self.post_message(m.AcceptRequested(self.revision))

    def action_reject(self) -> None:
        if self.settled() and self.deciding is None:
            self.deciding = self.revision
            self.post_message(m.RejectRequested(self.revision))

    def action_regenerate(self) -> None:
        revision = self.revision

        def regenerate(hint: str | None) -> None:
            if hint is not None and revision == self.revision:
                self.post_message(m.GenerateRequested([revision], {revision: hint}))
                self.query_one("#prompt", Log).clear()
                self.show_title()

        self.app.push_screen(HintModal(revision, self.entry.item.hint), regenerate)

    def action_rerun(self) -> None:
        self.post_message(m.RerunRequested(self.revision))

    def action_rerun_editing(self) -> None:
        self.action_rerun()

    def action_edit(self) -> None:
        module = self.module
        module.read_only = False
        module.add_class("-editing")
        module.border_subtitle = "editing · esc stops · ctrl+s accepts · ctrl+t re-runs"
        module.focus()
        self.show_title()
        self.refresh_bindings()

    def action_stop_editing(self) -> None:
        self.stop_editing()

    def stop_editing(self, focus: bool = True) -> None:
        module = self.module
        module.read_only = True
        module.remove_class("-editing")
        module.border_subtitle = "read-only · e edits"
        if focus:
            module.focus()
        self.show_title()
        self.refresh_bindings()

    def action_open_editor(self) -> None:
        text = edit_externally(self.app, self.entry.item.filename, self.entry.text)
        if text is not None and text != self.entry.text:
            self.module.load_text(text)
            self.entry.text = text
            self.show_title()
            self.notify("edited in your editor; t re-runs the tests, a accepts")

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"
        target = {"results": "#results-table", "findings": "#findings-scroll", "prompt": "#prompt"}[tab]
        self.query_one(target).focus()  # else the focus left behind pulls its own tab back

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            self.maximize(self.focused)

    def action_next(self) -> None:
        self.go(+1)

    def action_previous(self) -> None:
        self.go(-1)

    def action_back(self) -> None:
        if self.maximized is not None:
            self.minimize()
        elif self.revision in self.state.review.progress:
            self.post_message(m.CancelRequested())
        else:
            self.dismiss(self.revision)

    def go(self, step: int) -> None:
        order = self.order
        if len(order) < 2:
            self.notify("no other revision to review", severity="warning")
            return
        index = order.index(self.revision) if self.revision in order else 0
        self.show_revision(order[(index + step) % len(order)])

    def show_revision(self, revision: str) -> None:
        self.revision, self.deciding = revision, None
        self.load()

    def advance(self) -> None:
        """After a decision: the next revision still to review, or back to the list when none is left."""
        order = self.order
        index = order.index(self.revision) if self.revision in order else -1
        undecided = set(self.state.review.undecided())
        for revision in order[index + 1:] + order[:index + 1]:
            if revision in undecided:
                self.show_revision(revision)
                return
        self.dismiss(self.revision)
