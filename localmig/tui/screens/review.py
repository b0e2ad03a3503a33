"""Review one revision at a time: the migration beside its generated tests, results, findings, prompt."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape as rich_escape
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Log, Static, TabbedContent, TabPane, TextArea

from ...events import Event, ModelToken
from ..bindings import bindings
from ..editor import edit_externally
from ..state import STATUS_WORDS, Entry
from ..widgets.results import ResultsView
from .modals import HintModal

REVIEW_ACTIONS = {"accept", "reject", "regenerate", "rerun", "edit", "open_editor", "next", "previous", "back", "tab"}
EDITING_ACTIONS = {"accept_editing", "rerun_editing"}


class ReviewScreen(Screen):
    """Nothing is written until the reviewer accepts (a, or ctrl+s while editing)."""

    BINDINGS = bindings("review", "editing")

    def __init__(self, revision: str) -> None:
        super().__init__()
        self.revision = revision
        self._sources: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="review-title")
        with Horizontal(id="panes"):
            yield TextArea(id="source", language="python", theme="css", read_only=True, soft_wrap=False,
                           show_line_numbers=True)
            yield TextArea.code_editor(id="module", language="python", theme="css")
        with TabbedContent(id="tabs"):
            with TabPane("Results", id="tab-results"):
                yield ResultsView(id="results")
            with TabPane("Findings", id="tab-findings"), VerticalScroll(id="findings-scroll"):
                yield Static(id="findings")
            with TabPane("Sent to the model", id="tab-prompt"):
                yield Log(id="prompt", auto_scroll=False)
        yield Footer()

    def on_mount(self) -> None:
        self.app.changed.subscribe(self, self.on_changed)  # type: ignore[attr-defined]
        self.app.activity.subscribe(self, self.on_activity)  # type: ignore[attr-defined]
        self.load()
        self.query_one("#results-table").focus()

    # ---- showing one revision

    @property
    def entry(self) -> Entry:
        return self.app.review.entries[self.revision]  # type: ignore[attr-defined]

    @property
    def order(self) -> list[str]:
        session = self.app.session  # type: ignore[attr-defined]
        return self.app.review.ordered([r.id for r in session.revisions])  # type: ignore[attr-defined]

    def source(self) -> str:
        if self.revision not in self._sources:
            session = self.app.session  # type: ignore[attr-defined]
            path = Path(session.project.root) / self.entry.item.revision.path
            try:
                self._sources[self.revision] = path.read_text(encoding="utf-8", errors="replace")
            except OSError as error:
                self._sources[self.revision] = f"# cannot read {path}: {error.strerror}"
        return self._sources[self.revision]

    def load(self) -> None:
        entry = self.entry
        session = self.app.session  # type: ignore[attr-defined]
        source = self.query_one("#source", TextArea)
        source.load_text(self.source())
        source.border_title = f"migration · {entry.item.revision.path}"
        module = self.query_one("#module", TextArea)
        module.load_text(entry.text)
        module.border_title = f"generated · {Path(session.out).name}/{entry.item.filename}"
        module.border_subtitle = "e edits · esc stops editing · ctrl+s accepts"
        self.show_results()
        self.show_findings()
        self.show_prompt()
        self.show_title()

    def show_title(self) -> None:
        entry, order = self.entry, self.order
        app = self.app
        where = f"{order.index(self.revision) + 1} of {len(order)}" if self.revision in order else ""
        state = app.review.progress.get(self.revision) or entry.decision or "to review"  # type: ignore[attr-defined]
        if entry.edited:
            state += " · edited" + (", not re-run (t)" if entry.untested_edits else ", re-run")
        target = STATUS_WORDS.get(app.statuses.get(self.revision, "missing"), "")  # type: ignore[attr-defined]
        model = (entry.item.conversation and "model + deterministic") or "deterministic only"
        self.query_one("#review-title", Static).update(
            f"[b]{self.revision}[/b]  {escape(entry.item.revision.message)}\n"
            f"{where}  ·  [b]{state}[/b]  ·  {entry.summary()}  ·  {model}  ·  file on disk: {target}"
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
        if revision not in ("", self.revision) or self.revision not in self.app.review.entries:  # type: ignore[attr-defined]
            return
        module = self.query_one("#module", TextArea)
        if module.text != self.entry.text:  # a new item (regenerated) replaced the entry
            self.load()
        else:
            self.show_results()
            self.show_title()

    def on_activity(self, event: Event | str) -> None:
        if isinstance(event, ModelToken) and event.revision == self.revision:
            self.query_one("#prompt", Log).write(event.text)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id == "module" and self.revision in self.app.review.entries:  # type: ignore[attr-defined]
            self.entry.text = event.text_area.text
            self.show_title()

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def on_descendant_blur(self) -> None:
        self.refresh_bindings()

    # ---- actions

    def editing(self) -> bool:
        return self.query_one("#module", TextArea).has_focus

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in REVIEW_ACTIONS and self.editing():
            return False
        if action in EDITING_ACTIONS and not self.editing():
            return False
        busy = self.revision in self.app.review.progress  # type: ignore[attr-defined]
        if busy and action in {"accept", "reject", "regenerate", "rerun", "accept_editing", "rerun_editing"}:
            return None
        return True

    def action_accept(self) -> None:
        self.app.accept(self.revision)  # type: ignore[attr-defined]

    def action_accept_editing(self) -> None:
        self.action_accept()

    def action_reject(self) -> None:
        self.app.reject(self.revision)  # type: ignore[attr-defined]
        self.advance()

    def action_regenerate(self) -> None:
        def regenerate(hint: str | None) -> None:
            if hint is not None:
                self.app.regenerate(self.revision, hint)  # type: ignore[attr-defined]
                self.query_one("#prompt", Log).clear()
                self.show_title()

        self.app.push_screen(HintModal(self.revision, self.entry.item.hint), regenerate)

    def action_rerun(self) -> None:
        self.app.rerun(self.revision)  # type: ignore[attr-defined]
        self.show_title()

    def action_rerun_editing(self) -> None:
        self.action_rerun()

    def action_edit(self) -> None:
        self.query_one("#module", TextArea).focus()

    def action_open_editor(self) -> None:
        text = edit_externally(self.app, self.entry.item.filename, self.entry.text)
        if text is not None and text != self.entry.text:
            self.query_one("#module", TextArea).load_text(text)
            self.entry.text = text
            self.show_title()
            self.notify("edited in your editor; t re-runs the tests, a accepts")

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"
        target = {"results": "#results-table", "findings": "#findings-scroll", "prompt": "#prompt"}[tab]
        self.query_one(target).focus()  # else the focus left behind pulls its own tab back

    def action_next(self) -> None:
        self.go(+1)

    def action_previous(self) -> None:
        self.go(-1)

    def action_back(self) -> None:
        if self.revision in self.app.review.progress:  # type: ignore[attr-defined]
            self.app.action_cancel()  # type: ignore[attr-defined]
            return
        self.dismiss()

    def go(self, step: int) -> None:
        order = self.order
        if len(order) < 2:
            self.notify("no other revision to review", severity="warning")
            return
        index = order.index(self.revision) if self.revision in order else 0
        self.show_revision(order[(index + step) % len(order)])

    def show_revision(self, revision: str) -> None:
        self.revision = revision
        self.load()

    def advance(self) -> None:
        """After a decision: the next revision still to review, or back to the list when none is left."""
        order = self.order
        index = order.index(self.revision) if self.revision in order else -1
        undecided = set(self.app.review.undecided())  # type: ignore[attr-defined]
        for revision in order[index + 1:] + order[:index + 1]:
            if revision in undecided:
                self.show_revision(revision)
                return
        self.app.all_reviewed()  # type: ignore[attr-defined]


def escape(text: str) -> str:
    return rich_escape(text or "(no message)")
