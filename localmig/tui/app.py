"""The localmig app: the state, the session's owner and the screens, wired together.

The App takes its dependencies as arguments (a session factory, the settings), so tests build it
on the real pipeline or on fakes; :func:`localmig.tui.factory.create_app` builds it the one way
the CLI and the tests share. The work is in :mod:`.generation` and :mod:`.decisions`; the
Session itself belongs to :class:`~.owner.SessionOwner`'s thread.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.screen import ModalScreen
from textual.signal import Signal

from ..config import Settings
from ..errors import ExitCode, LocalmigError
from . import messages as m
from .bindings import bindings, check_keymap
from .decisions import Decisions
from .generation import Generation
from .models import OFF, ModelCommands
from .owner import SessionFactory, SessionOwner
from .screens.help import HelpScreen
from .screens.history import HistoryScreen
from .screens.modals import Confirm, ModelPicker, quit_confirm
from .screens.select import SelectScreen
from .shared import AppState


class LocalmigApp(Decisions, Generation):
    CSS_PATH = "app.tcss"
    TITLE = "localmig"
    BINDINGS = bindings("app")
    COMMANDS = App.COMMANDS | {ModelCommands}

    def __init__(self, session_factory: SessionFactory, settings: Settings | None = None, *, model: str | None = None,
                 prompts: Path | None = None, project: str = "", startup_error: BaseException | None = None,
                 theme: str | None = None) -> None:
        super().__init__()
        keymap, self.unknown_keys = check_keymap(settings.keys if settings else {})
        self.state = AppState(Signal(self, "changed"), Signal(self, "activity"), project=project, settings=settings,
                              keymap=keymap, model_name=model, prompts=prompts)
        self.owner = SessionOwner(session_factory, self.post_message)
        self.startup_error = startup_error
        self.start_theme = theme

    @property
    def model_name(self) -> str | None:
        return self.state.model_name

    @property
    def project(self) -> str:
        return self.state.project

    def get_default_screen(self) -> SelectScreen:
        return SelectScreen(self.state)

    def on_mount(self) -> None:
        self.set_keymap(self.state.keymap)
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
        self.owner.start()
        self.set_interval(1.0, self.watch_disk)
        self.reload()

    def on_unmount(self) -> None:
        self.owner.stop()

    # ---- the model

    def set_model(self, name: str | None) -> None:
        if name is None:
            return
        self.state.model_name = None if name == OFF else name
        self.show_subtitle()
        self.notify(f"model: {self.state.model_name or 'off'} (used from the next generation on)", markup=False)

    def on_model_chosen(self, message: m.ModelChosen) -> None:
        self.set_model(message.name)

    def action_switch_model(self) -> None:
        if not isinstance(self.screen, ModalScreen):
            self.push_screen(ModelPicker(self.state.settings, self.state.model_name), self.set_model)

    # ---- help, messages, quit

    def action_help(self) -> None:
        if not isinstance(self.screen, ModalScreen):
            settings = self.state.settings
            self.push_screen(HelpScreen(self.state.keymap, settings.source if settings else None))

    def action_history(self) -> None:
        if not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen(self.state.history))

    def exit_code(self) -> int:
        """0, or the exit code of a load error that was never fixed (as `localmig scan` would exit)."""
        error = self.state.load.error
        if self.state.facts is not None or error is None:
            return 0
        return int(error.exit_code if isinstance(error, LocalmigError) else ExitCode.PROBLEMS)

    async def action_quit(self) -> None:
        if isinstance(self.screen, ModalScreen):
            if isinstance(self.screen, Confirm) and self.screen.title_text.startswith("Quit"):
                self.screen.dismiss(True)
            return
        unreviewed = self.state.review.undecided()
        running = list(self.state.work.queue)
        if not unreviewed and not running:
            self.exit(return_code=self.exit_code())
            return
        self.push_screen(quit_confirm(unreviewed, running),
                         lambda yes: self.exit(return_code=self.exit_code()) if yes else None)
