"""Messages of the app. Two directions, both through ``post_message`` (thread-safe):

* results, from the session's owner thread, the writer and the disk watch, to the app;
* requests, from screens and widgets up to the app (they never call the app's methods).
"""

from __future__ import annotations

from textual.message import Message

from ..capture import Finding
from ..events import Event
from ..items import ReviewItem, WriteResult
from ..outcomes import TestOutcome
from ..render import FileStatus
from .facts import ProjectFacts

# ---- results (worker threads -> app)


class Loaded(Message):
    """The project is captured."""

    def __init__(self, facts: ProjectFacts, statuses: dict[str, FileStatus]) -> None:
        super().__init__()
        self.facts = facts
        self.statuses = statuses


class LoadFailed(Message):
    """Loading or capturing the project failed (``error`` is shown with its hint), or was cancelled (None)."""

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
                 cancelled: bool = False, findings: list[Finding] | None = None) -> None:
        super().__init__()
        self.revision = revision
        self.item = item
        self.error = error
        self.cancelled = cancelled
        self.findings = findings  # the session's findings now (None: unchanged)


class ModelFailed(Message):
    """The model layer could not be set up (refused host, bad models.yaml): generation goes on without it."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error


class Reran(Message):
    def __init__(self, revision: str, text: str, outcomes: list[TestOutcome] | None,
                 error: BaseException | None = None, cancelled: bool = False) -> None:
        super().__init__()
        self.revision = revision
        self.text = text
        self.outcomes = outcomes
        self.error = error
        self.cancelled = cancelled


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
                 status: FileStatus = "missing", text: str = "") -> None:
        super().__init__()
        self.revision = revision
        self.results = results or []
        self.error = error
        self.status = status
        self.text = text


class StatusesRead(Message):
    """The suite folder changed on disk: every revision's file status, read again."""

    def __init__(self, statuses: dict[str, FileStatus]) -> None:
        super().__init__()
        self.statuses = statuses


# ---- requests (screens and widgets -> app)


class GenerateRequested(Message):
    def __init__(self, revisions: list[str], hints: dict[str, str] | None = None) -> None:
        super().__init__()
        self.revisions = revisions
        self.hints = hints or {}


class ReviewRequested(Message):
    """Open the review at ``revision`` (None: the first one still to review)."""

    def __init__(self, revision: str | None) -> None:
        super().__init__()
        self.revision = revision


class AcceptRequested(Message):
    def __init__(self, revision: str) -> None:
        super().__init__()
        self.revision = revision


class RejectRequested(Message):
    def __init__(self, revision: str) -> None:
        super().__init__()
        self.revision = revision


class RerunRequested(Message):
    def __init__(self, revision: str) -> None:
        super().__init__()
        self.revision = revision


class CancelRequested(Message):
    """Esc: stop the load or the generation under way."""


class ReloadRequested(Message):
    """ctrl+r: capture the project again (reviews pending are kept)."""


class ModelChosen(Message):
    """The reviewer picked a profile (or ``off``) in the switcher or the command palette."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
