"""The state every screen reads, and the two signals that say it changed.

The app owns one :class:`AppState` and is the only one to change it from results (loaded,
generated, written); screens get it in their constructor, read it, change only the reviewer's
own edits, and ask the app for everything else with messages. Nothing here imports the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from textual.signal import Signal

from ..config import Settings
from ..events import Event
from ..render import FileStatus
from .facts import ProjectFacts
from .state import ReviewState
from .work import Notification, Status, WorkState

Activity = Event | Status | str


@dataclass
class LoadState:
    loading: bool = False
    message: str = ""
    error: BaseException | None = None  # the last load failed with this (None: loaded, or never tried)


@dataclass
class AppState:
    changed: Signal[str]  # a revision id, or "" for everything
    activity: Signal[Activity]  # pipeline events, status lines and plain lines, as they come
    project: str = ""
    settings: Settings | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    model_name: str | None = None  # a profile name or an Ollama tag; None: the deterministic engine only
    prompts: Path | None = None
    facts: ProjectFacts | None = None
    statuses: dict[str, FileStatus] = field(default_factory=dict)
    review: ReviewState = field(default_factory=ReviewState)
    load: LoadState = field(default_factory=LoadState)
    work: WorkState = field(default_factory=WorkState)
    history: list[Notification] = field(default_factory=list)

    def no_project(self) -> str:
        """What every action that needs a project says while none is loaded."""
        if self.load.loading:
            return "the project is still loading (esc cancels)"
        if self.load.error is not None:
            return "no project loaded: the last load failed (the error is in the details, h shows it again); fix it, then ctrl+r"
        return "no project loaded: ctrl+r loads it again"
