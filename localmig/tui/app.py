"""The localmig app: screens, state and workers wired together; the work itself is in runner.py.

The App takes its dependencies as arguments (a session factory, the settings), so tests build it
on the real pipeline or on fakes; :func:`localmig.tui.factory.create_app` builds it the one way
the CLI and the tests share.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

from textual.app import App
from textual.screen import ModalScreen
from textual.signal import Signal

from ..config import Settings
from ..errors import LocalmigError
from ..events import Notice, RevisionProgress, VerifyProgress
from ..options import ModelChoice
from ..project import RevisionInfo
from . import messages as m
from .bindings import bindings, check_keymap
from .decisions import Decisions
from .models import OFF, ModelCommands
from .runner import Runner, SessionFactory
from .screens.help import HelpScreen
from .screens.modals import Confirm, ErrorModal, ModelPicker, quit_confirm
from .screens.select import SelectScreen
from .state import ReviewState
from .widgets.activity import STAGES, Status

SEVERITY = {"info": "information", "warning": "warning", "error": "error"}


def describe(error: BaseException) -> tuple[str, str | None]:
    """The CLI's words for an error: its message and hint, or "internal error" for a bug."""
    if isinstance(error, LocalmigError):
        return str(error), error.hint
    text = f"internal error: {type(error).__name__}: {error}"
    if os.environ.get("LOCALMIG_DEBUG"):
        return text + "\n" + "".join(traceback.format_exception(error)), None
    return text, "this is a bug in localmig; rerun with LOCALMIG_DEBUG=1 for the traceback"


class LocalmigApp(Decisions, Runner, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "localmig"
    BINDINGS = bindings("app")
    COMMANDS = App.COMMANDS | {ModelCommands}

    def __init__(self, session_factory: SessionFactory, settings: Settings | None = None, *, model: str | None = None,
                 prompts: Path | None = None, project: str = "", startup_error: BaseException | None = None,
                 theme: str | None = None) -> None:
        super().__init__()
        self.session_factory = session_factory
        self.settings = settings
        self.model_name = model  # a profile name or an Ollama tag; None: the deterministic engine only
        self.prompts = prompts
        self.project = project
        self.startup_error = startup_error
        self.start_theme = theme
        self.review = ReviewState()
        self.statuses: dict[str, str] = {}
        self.loading = False
        self.load_message = ""
        self.last_status = Status("")
        self.changed: Signal[str] = Signal(self, "changed")  # a revision id, or "" for everything
        self.activity: Signal[object] = Signal(self, "activity")
        self.keymap, self.unknown_keys = check_keymap(settings.keys if settings else {})
        self.run_total = self.run_done = self.run_ready = 0
        self._init_runner()

    def get_default_screen(self) -> SelectScreen:
        return SelectScreen()

    def on_mount(self) -> None:
        self.set_keymap(self.keymap)
        if self.start_theme in self.available_themes:
            self.theme = self.start_theme
        elif self.start_theme:
            self.notify(f"no theme {self.start_theme!r}; themes: {', '.join(sorted(self.available_themes))}",
                        severity="warning", markup=False)
        self.show_subtitle()
        if self.unknown_keys:
            self.notify(f"unknown key binding ids in models.yaml `keys`: {', '.join(self.unknown_keys)} (see the help, ?)",
                        severity="warning", markup=False)
        if self.startup_error is not None:
            self.show_error(self.startup_error, "settings")
        self.reload()

    def on_unmount(self) -> None:
        self.cancel()
        if self.session is not None:
            self.session.close()

    # ---- helpers

    def show_subtitle(self) -> None:
        self.sub_title = f"{self.project} · model: {self.model_name or 'off (deterministic tests only)'}"

    def status(self, text: str, done: int | None = None, total: int | None = None) -> None:
        self.last_status = Status(text, done, total)
        self.activity.publish(self.last_status)

    def notify_error(self, error: BaseException, title: str = "error") -> None:
        message, hint = describe(error)
        self.notify(message + (f"\nhint: {hint}" if hint else ""), title=title, severity="error", timeout=12, markup=False)

    def show_error(self, error: BaseException, title: str) -> None:
        message, hint = describe(error)
        self.push_screen(ErrorModal(title, message, hint))

    def model_choice(self) -> ModelChoice:
        return ModelChoice(mode="auto" if self.model_name else "off", model=self.model_name,
                           config=self.settings.source if self.settings else None, prompts=self.prompts)

    def set_model(self, name: str | None) -> None:
        if name is None:
            return
        self.model_name = None if name == OFF else name
        self.show_subtitle()
        self.notify(f"model: {self.model_name or 'off'} (used from the next generation on)", markup=False)

    # ---- session

    def reload(self) -> None:
        if self.generating or self.loading:
            self.notify("wait for the running work to finish, or cancel it (esc)", severity="warning")
            return
        if self.review.undecided():
            self.notify("review (accept or reject) the generated tests before reloading", severity="warning")
            return
        if self.session is not None:
            self.session.close()
        self.session, self.review, self.statuses, self.loading = None, ReviewState(), {}, True
        self.load_message = f"Capturing the history of {self.project}… (esc cancels)"
        self.status(self.load_message)
        self.changed.publish("")
        self.screen.refresh_bindings()
        self.load_session()

    def on_session_ready(self, message: m.SessionReady) -> None:
        self.session, self.statuses, self.loading = message.session, message.statuses, False
        session = message.session
        self.status(f"captured {len(session.revisions)} revisions on {session.capture.dialect}: "
                    f"{len(session.findings)} finding(s) · select revisions (space, a) and generate (g)")
        self.changed.publish("")
        self.screen.refresh_bindings()

    def on_session_failed(self, message: m.SessionFailed) -> None:
        self.loading = False
        if message.error is None:
            self.load_message = "Loading was cancelled. ctrl+r loads the project again."
        else:
            text, hint = describe(message.error)
            self.load_message = f"Could not load {self.project}:\n\nerror: {text}" + (f"\nhint: {hint}" if hint else "")
            self.load_message += "\n\nFix it, then press ctrl+r to load it again."
            self.show_error(message.error, "the project could not be loaded")
        self.status(self.load_message.splitlines()[0])
        self.changed.publish("")

    # ---- generation

    def generate(self, revisions: list[RevisionInfo], hints: dict[str, str] | None = None) -> None:
        queued = set(self.queued)
        for revision in revisions:
            self.review.progress[revision.id] = "queued"
        self.run_total += len([r for r in revisions if r.id not in queued])
        self.enqueue(revisions, hints)
        self.status(f"generating: {self.run_done} of {self.run_total} done", self.run_done, self.run_total)
        self.changed.publish("")
        self.screen.refresh_bindings()

    def regenerate(self, revision: str, hint: str) -> None:
        assert self.session is not None
        self.generate([self.session.project.by_id[revision]], {revision: hint})

    def on_pipeline_event(self, message: m.PipelineEvent) -> None:
        event = message.event
        if isinstance(event, Notice):
            self.notify(event.message + (f"\nhint: {event.hint}" if event.hint else ""), title=event.level,
                        severity=SEVERITY[event.level], timeout=10, markup=False)  # type: ignore[arg-type]
        elif isinstance(event, RevisionProgress) and event.revision in self.review.progress:
            self.review.progress[event.revision] = STAGES.get(event.stage, event.stage) + "…"
            self.changed.publish(event.revision)
        elif isinstance(event, VerifyProgress) and event.stage == "started":
            for revision, stage in self.review.progress.items():
                if stage not in ("queued", "re-running tests…"):
                    self.review.progress[revision] = "verifying…"
                    self.changed.publish(revision)
        self.activity.publish(event)

    def on_job_started(self, message: m.JobStarted) -> None:
        self.review.progress[message.revision] = "planning…"
        self.status(f"generating {message.revision} ({self.run_done + 1} of {self.run_total}) · esc cancels",
                    self.run_done, self.run_total)
        self.changed.publish(message.revision)

    def on_job_finished(self, message: m.JobFinished) -> None:
        revision = message.revision
        self.run_done += 1
        self.review.progress.pop(revision, None)
        if message.cancelled:
            self.review.notes[revision] = "cancelled"
        elif message.error is not None:
            self.review.notes[revision] = "failed: " + describe(message.error)[0].splitlines()[0][:60]
            self.notify_error(message.error, title=f"{revision}: generation failed")
        elif message.item is None:
            self.review.notes[revision] = "no test (its upgrade could not be applied)"
        else:
            self.review.add(message.item)
            self.run_ready += 1
        self.activity.publish(f"{revision}: {self.review.label(revision)}")
        self.status(f"generating: {self.run_done} of {self.run_total} done", self.run_done, self.run_total)
        self.changed.publish(revision)

    def on_jobs_done(self, _message: m.JobsDone) -> None:
        if self.generating:
            return
        ready, self.run_total, self.run_done, self.run_ready = self.run_ready, 0, 0, 0
        waiting = len(self.review.undecided())
        self.status(f"done · {waiting} revision(s) waiting for review (r opens the review)" if waiting else "done")
        if ready:
            self.notify(f"{ready} revision(s) ready for review: r or enter opens the review")
        self.changed.publish("")
        self.screen.refresh_bindings()

    def on_model_failed(self, message: m.ModelFailed) -> None:
        self.notify_error(message.error, title="model layer skipped")

    def action_cancel(self) -> None:
        if self.loading:
            self.cancel()
            self.notify("cancelling the capture…")
        elif self.generating:
            for revision in self.cancel():
                self.review.progress.pop(revision, None)
                self.review.notes[revision] = "cancelled"
            self.notify("cancelled: the running revision stops at its next step; finished results are kept")
            self.changed.publish("")

    # ---- app-wide actions

    def action_switch_model(self) -> None:
        if not isinstance(self.screen, ModalScreen):
            self.push_screen(ModelPicker(self.model_name), self.set_model)

    def action_help(self) -> None:
        if not isinstance(self.screen, ModalScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        if isinstance(self.screen, ModalScreen):
            if isinstance(self.screen, Confirm) and self.screen.title_text.startswith("Quit"):
                self.screen.dismiss(True)
            return
        unreviewed = self.review.undecided()
        running = list(self.review.progress) if self.generating else []
        if not unreviewed and not running:
            self.exit()
            return
        self.push_screen(quit_confirm(unreviewed, running), lambda yes: self.exit() if yes else None)
