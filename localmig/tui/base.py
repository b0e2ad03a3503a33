"""What every part of the app shares: the state, the session's owner, and how things are said.

:class:`AppBase` is the App the handlers (:mod:`.generation`, :mod:`.decisions`) extend; it
imports neither of them, nor :mod:`.app`, so the package has no import cycle.
"""

from __future__ import annotations

import os
import traceback
from typing import TYPE_CHECKING

from textual.app import App
from textual.notifications import SeverityLevel

from ..config import Settings
from ..errors import LocalmigError
from ..options import ModelChoice
from .screens.modals import ErrorModal
from .shared import AppState
from .work import Notification, Status

if TYPE_CHECKING:
    from .owner import SessionOwner


def describe(error: BaseException) -> tuple[str, str | None]:
    """The CLI's words for an error: its message and hint, or "internal error" for a bug."""
    if isinstance(error, LocalmigError):
        return str(error), error.hint
    text = f"internal error: {type(error).__name__}: {error}"
    if os.environ.get("LOCALMIG_DEBUG"):
        return text + "\n" + "".join(traceback.format_exception(error)), None
    return text, "this is a bug in localmig; rerun with LOCALMIG_DEBUG=1 for the traceback"


class AppBase(App[None]):
    state: AppState
    owner: SessionOwner

    @property
    def settings(self) -> Settings | None:
        """The models.yaml settings in use (the command palette's provider reads them)."""
        return self.state.settings

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Show a notification and keep it, in full, for the history screen (h)."""
        self.state.history.append(Notification.now(severity, title, str(message)))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def status(self, text: str, done: int | None = None, total: int | None = None) -> None:
        self.state.work.status = Status(text, done, total)
        self.state.activity.publish(self.state.work.status)

    def notify_error(self, error: BaseException, title: str = "error") -> None:
        message, hint = describe(error)
        self.notify(message + (f"\nhint: {hint}" if hint else ""), title=title, severity="error", timeout=12, markup=False)

    def show_error(self, error: BaseException, title: str) -> None:
        message, hint = describe(error)
        self.state.history.append(Notification.now("error", title, message + (f"\nhint: {hint}" if hint else "")))
        self.push_screen(ErrorModal(title, message, hint))

    def model_choice(self) -> ModelChoice:
        state = self.state
        return ModelChoice(mode="auto" if state.model_name else "off", model=state.model_name,
                           config=state.settings.source if state.settings else None, prompts=state.prompts)

    def show_subtitle(self) -> None:
        self.sub_title = f"{self.state.project} · model: {self.state.model_name or 'off (deterministic tests only)'}"
