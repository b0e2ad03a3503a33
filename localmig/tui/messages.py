"""Messages the worker threads post to the app (``post_message`` is thread-safe)."""

from __future__ import annotations

from textual.message import Message

from ..events import Event
from ..items import ReviewItem, WriteResult
from ..pipeline import Session
from ..verify import TestOutcome


class SessionReady(Message):
    def __init__(self, session: Session, statuses: dict[str, str]) -> None:
        super().__init__()
        self.session = session
        self.statuses = statuses


class SessionFailed(Message):
    """Loading or capturing the project failed (``error`` is shown with its hint), or was cancelled."""

    def __init__(self, error: BaseException | None) -> None:
        super().__init__()
        self.error = error


class PipelineEvent(Message):
    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class JobStarted(Message):
    def __init__(self, revision: str) -> None:
        super().__init__()
        self.revision = revision


class JobFinished(Message):
    """One revision is done: ``item`` is None when it got no test, ``error`` when it failed."""

    def __init__(self, revision: str, item: ReviewItem | None = None, error: BaseException | None = None,
                 cancelled: bool = False) -> None:
        super().__init__()
        self.revision = revision
        self.item = item
        self.error = error
        self.cancelled = cancelled


class JobsDone(Message):
    """The generation queue is empty again."""


class ModelFailed(Message):
    """The model layer could not be set up (refused host, bad models.yaml): generation goes on without it."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error


class NeedsConfirm(Message):
    """Accepting would replace a file edited by hand: the reviewer sees the diff and decides."""

    def __init__(self, revision: str, path: str, existing: str, text: str) -> None:
        super().__init__()
        self.revision = revision
        self.path = path
        self.existing = existing
        self.text = text


class Written(Message):
    """An accepted module was written (``status`` is its file status now), or writing failed."""

    def __init__(self, revision: str, results: list[WriteResult] | None, error: BaseException | None = None,
                 status: str = "missing", text: str = "") -> None:
        super().__init__()
        self.revision = revision
        self.results = results or []
        self.error = error
        self.status = status
        self.text = text


class Reran(Message):
    def __init__(self, revision: str, text: str, outcomes: list[TestOutcome] | None,
                 error: BaseException | None = None) -> None:
        super().__init__()
        self.revision = revision
        self.text = text
        self.outcomes = outcomes
        self.error = error
