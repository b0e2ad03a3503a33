"""The one thread that owns the Session: a queue of requests, worked off in order.

The app never calls the Session itself. It submits requests (load the project, use a model,
generate one revision, re-run an edited module) and gets messages back (``post`` is the app's
thread-safe ``post_message``). Re-runs go before queued generations (a person waits for them);
loading, model switches and generations keep their order, so a model chosen before a
generation is the one it uses. Every job carries its own :class:`~localmig.cancel.CancelToken`:
Esc sets the tokens of the queued and running jobs; the running one stops within a second (the
model request's socket is shut down, a pytest run is killed, other stages check the token
between steps) and the queued ones end without starting.

Writing an accepted module is not a request: it needs no Session (see :mod:`localmig.tui.writer`),
so an accept never waits behind a model that takes minutes to answer.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from textual.message import Message

from ..cancel import CancelToken
from ..errors import Cancelled, LocalmigError
from ..events import Event, EventSink
from ..items import ReviewItem
from ..options import ModelChoice
from ..pipeline import Session
from ..project import RevisionInfo
from .facts import ProjectFacts
from .messages import JobFinished, JobStarted, Loaded, LoadFailed, ModelFailed, PipelineEvent, Reran

SessionFactory = Callable[[EventSink, CancelToken], Session]


@dataclass(frozen=True)
class Load:
    """Open the project and capture its history (the session before, if any, is closed)."""

    token: CancelToken = field(default_factory=CancelToken)


@dataclass(frozen=True)
class UseModel:
    """The model the next generations use (set up when the next one starts)."""

    choice: ModelChoice


@dataclass(frozen=True)
class Generate:
    revision: RevisionInfo
    hint: str = ""
    token: CancelToken = field(default_factory=CancelToken)


@dataclass(frozen=True)
class Rerun:
    """Run an edited module's tests."""

    item: ReviewItem
    text: str
    token: CancelToken = field(default_factory=CancelToken)


Request = Load | UseModel | Generate | Rerun


class SessionOwner:
    """Owns the Session and the one thread that calls it."""

    def __init__(self, factory: SessionFactory, post: Callable[[Message], object]) -> None:
        self._factory = factory
        self._post = post
        self._wake = threading.Condition()
        self._urgent: deque[Request] = deque()
        self._ordered: deque[Request] = deque()
        self._running: Request | None = None
        self._stopping = False
        self._session: Session | None = None
        self._wanted: ModelChoice | None = None
        self._applied: ModelChoice | None = None
        self._thread = threading.Thread(target=self._serve, name="localmig-session", daemon=True)

    # ---- the app's side (UI thread)

    def start(self) -> None:
        self._thread.start()

    def submit(self, request: Request) -> None:
        with self._wake:
            (self._urgent if isinstance(request, Rerun) else self._ordered).append(request)
            self._wake.notify()

    def generations(self) -> list[str]:
        """Revisions queued or being generated, running one first."""
        with self._wake:
            queued = [r.revision.id for r in self._ordered if isinstance(r, Generate)]
            running = [self._running.revision.id] if isinstance(self._running, Generate) else []
        return running + [r for r in queued if r not in running]

    @property
    def generating(self) -> bool:
        return bool(self.generations())

    @property
    def loading(self) -> bool:
        with self._wake:
            return isinstance(self._running, Load) or any(isinstance(r, Load) for r in self._ordered)

    def cancel(self) -> list[str]:
        """Cancel the load or generation under way and every one queued; the revisions cancelled.
        Each job still reports back once (the queued ones at once, without starting)."""
        with self._wake:
            jobs = [r for r in [self._running, *self._ordered] if isinstance(r, (Generate, Load))]
        for request in jobs:
            request.token.cancel()
        return [r.revision.id for r in jobs if isinstance(r, Generate)]

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel everything, let the thread close the session and end."""
        with self._wake:
            self._stopping = True
            for request in [self._running, *self._urgent, *self._ordered]:
                if isinstance(request, (Generate, Rerun, Load)):
                    request.token.cancel()
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # ---- the owner's thread

    def _next(self) -> Request | None:
        with self._wake:
            while not (self._stopping or self._urgent or self._ordered):
                self._wake.wait()
            if self._stopping:
                return None
            self._running = (self._urgent or self._ordered).popleft()
            return self._running

    def _serve(self) -> None:
        try:
            while (request := self._next()) is not None:
                try:
                    self._handle(request)
                finally:
                    with self._wake:
                        self._running = None
        finally:
            if self._session is not None:
                self._session.close()

    def _events(self, event: Event) -> None:
        self._post(PipelineEvent(event))

    def _handle(self, request: Request) -> None:
        if isinstance(request, Load):
            self._load(request)
        elif isinstance(request, UseModel):
            self._wanted = request.choice
        elif isinstance(request, Generate):
            self._generate(request)
        else:
            self._rerun(request)

    def _load(self, request: Load) -> None:
        if self._session is not None:
            self._session.close()
            self._session, self._applied = None, None
        try:
            request.token.check()
            session = self._factory(self._events, request.token)
        except Cancelled:
            self._post(LoadFailed(None))
            return
        except Exception as error:  # a LocalmigError, or a bug: shown, never a crash
            self._post(LoadFailed(error))
            return
        self._session = session
        try:
            statuses = {r.id: session.status(r) for r in session.revisions}
        except (OSError, ValueError):  # an unreadable test file: show the rest, the disk watch reads again
            statuses = {}
        self._post(Loaded(ProjectFacts.of(session, session.project.root.name), statuses))

    def _generate(self, request: Generate) -> None:
        revision = request.revision.id
        session = self._session
        if request.token.cancelled:
            self._post(JobFinished(revision, cancelled=True))
            return
        if session is None:
            self._post(JobFinished(revision, error=LocalmigError("no project is loaded")))
            return
        self._post(JobStarted(revision))
        try:
            self._apply_model(session)
            hints = {revision: request.hint} if request.hint else None
            items = session.generate([request.revision], hints, cancel=request.token)
        except Cancelled:
            self._post(JobFinished(revision, cancelled=True, findings=list(session.findings)))
        except Exception as error:
            self._post(JobFinished(revision, error=error, findings=list(session.findings)))
        else:
            self._post(JobFinished(revision, item=items[0] if items else None, findings=list(session.findings)))

    def _apply_model(self, session: Session) -> None:
        wanted = self._wanted or ModelChoice(mode="off")
        if wanted == self._applied:
            return
        self._applied = wanted
        try:
            session.use_model(wanted)
        except LocalmigError as error:  # a refused host, a bad models.yaml: said so, go on without the model
            self._post(ModelFailed(error))
            session.use_model(ModelChoice(mode="off"))

    def _rerun(self, request: Rerun) -> None:
        revision = request.item.revision.id
        if self._session is None:
            self._post(Reran(revision, request.text, None, LocalmigError("no project is loaded")))
            return
        try:
            outcomes = self._session.rerun(request.item, request.text, cancel=request.token)
        except Cancelled:
            self._post(Reran(revision, request.text, None, cancelled=True))
        except Exception as error:
            self._post(Reran(revision, request.text, None, error))
        else:
            self._post(Reran(revision, request.text, outcomes))
