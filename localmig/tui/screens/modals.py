"""Modal questions: a hint for regeneration, overwrite a hand-edited file, quit, an error, the model."""

from __future__ import annotations

import difflib

from rich.syntax import Syntax
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...config import Settings
from ..bindings import bindings
from ..models import OFF, ProfileState, profile_states


class HintModal(ModalScreen[str | None]):
    """Regenerate: an optional hint for the model (enter sends, esc cancels)."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, revision: str, hint: str = "") -> None:
        super().__init__()
        self.revision, self.hint = revision, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Regenerate the tests of {self.revision}", classes="dialog-title")
            yield Static("A hint for the model (optional), added to the prompt.")
            yield Input(value=self.hint, placeholder="e.g. also check that existing orders keep their status", id="hint")
            yield Static("enter: regenerate · esc: cancel", classes="dialog-question")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """A yes/no question; y answers yes, n or esc no."""

    BINDINGS = bindings("confirm")

    def __init__(self, title: str, body: Text | str, question: str, detail: Syntax | None = None) -> None:
        super().__init__()
        self.title_text, self.body, self.question, self.detail = title, body, question, detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide" if self.detail else "dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.body)
            yield Static(self.question, classes="dialog-question")
            if self.detail is not None:
                with VerticalScroll(id="diff"):
                    yield Static(self.detail)

    def on_mount(self) -> None:
        if self.detail is not None:
            self.query_one("#diff").focus()  # up / down / page keys scroll the diff

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


def diff_confirm(path: str, existing: str, text: str) -> Confirm:
    """Accepting over a hand-edited file: show what would change, ask."""
    lines = difflib.unified_diff(existing.splitlines(keepends=True), text.splitlines(keepends=True),
                                 fromfile=f"{path} (on disk, edited by hand)", tofile=f"{path} (accepted)")
    diff = "".join(lines) or "(no difference)"
    return Confirm(
        "This file was edited by hand",
        Text(f"{path} was changed after localmig wrote it (or localmig never wrote it). Accepting replaces it with the "
             "module under review; the difference:"),
        "y: overwrite it · n / esc: keep the file as it is",
        Syntax(diff, "diff", theme="ansi_dark", word_wrap=True),
    )


def quit_confirm(unreviewed: list[str], running: list[str]) -> Confirm:
    lines = []
    if unreviewed:
        lines.append(f"{len(unreviewed)} generated revision(s) are not reviewed yet: {', '.join(unreviewed)}.")
        lines.append("Their tests were not written (nothing is written without accept).")
    if running:
        lines.append(f"Generation is still running for: {', '.join(running)}.")
    return Confirm("Quit localmig?", Text("\n".join(lines)), "y: quit and lose them · n / esc: stay")


class ErrorModal(ModalScreen[None]):
    """An error the app cannot work around by itself, with the CLI's words and hint."""

    BINDINGS = [("escape,enter", "close", "Close")]

    def __init__(self, title: str, message: str, hint: str | None = None) -> None:
        super().__init__()
        self.title_text, self.message, self.hint = title, message, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(Text(f"error: {self.message}"))
            if self.hint:
                yield Static(Text(f"hint: {self.hint}"), classes="hint")
            yield Static("enter / esc: close · h: every message so far", classes="dialog-question")

    def action_close(self) -> None:
        self.dismiss(None)


class ModelPicker(ModalScreen[str | None]):
    """The models.yaml profiles with pulled / missing state; the choice applies to the next generation."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, settings: Settings | None, current: str | None) -> None:
        super().__init__()
        self.settings = settings
        self.current = current or OFF

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Switch model (applies to the next generation)", classes="dialog-title")
            yield OptionList(Option("asking Ollama which models it has…", disabled=True), id="models")
            yield Static("", id="models-note")
            yield Static("enter: use it · esc: keep the current one", classes="dialog-question")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.load_states()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load_states(self) -> None:
        try:
            states = profile_states(self.settings)
        except Exception as error:  # never a crash: show what went wrong in the list
            states = [ProfileState(OFF, "", "off", str(error))]
        self.app.call_from_thread(self.show_states, states)

    def show_states(self, states: list[ProfileState]) -> None:
        if not self.is_attached:
            return
        options = self.query_one(OptionList)
        options.clear_options()
        for state in states:
            mark = "●" if state.name == self.current else " "
            options.add_option(Option(Text(f"{mark} {state.name:<24} {state.describe()}"), id=state.name))
        problems = sorted({s.detail for s in states if s.state == "unknown" and s.detail})
        self.query_one("#models-note", Static).update(Text("\n".join(problems)))
        names = [s.name for s in states]
        if self.current in names:
            options.highlighted = names.index(self.current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
