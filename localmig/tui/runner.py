"""The blocking work of the app, in thread workers: load the session, generate, write, re-run.

Generation is a queue worked off one revision at a time (``Session.generate([revision])``), so
finished revisions reach the reviewer while later ones still run. Esc bumps an epoch; the event
sink raises :class:`Cancelled` at the next pipeline event of a stale job (every model token is
one), which stops the revision under way and leaves the finished ones alone. Workers report
back only through messages; nothing here touches a widget.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from textual import work

from ..cancel import CancelToken
from ..errors import Cancelled as SessionCancelled
from ..errors import LocalmigError
from ..events import Event
from ..items import ReviewItem
from ..options import ModelChoice
from ..pipeline import Session
from ..project import RevisionInfo
from .messages import (
    JobFinished,
    JobsDone,
    JobStarted,
    ModelFailed,
    NeedsConfirm,
    PipelineEvent,
    Reran,
    SessionFailed,
    SessionReady,
    Written,
)

SessionFactory = Callable[[Callable[[Event], None]], Session]
ASK_FIRST = ("hand_edited", "not_generated")


class Cancelled(BaseException):
    """Raised from the event sink to stop the job under way (a BaseException, so no
    ``except Exception`` in the pipeline mistakes it for a failure of the migration)."""


@dataclass
class Job:
    revision: RevisionInfo
    hint: str
    epoch: int


class Runner:
    """Mixed into the App: owns the session and the threads that use it."""

    session: Session | None
    session_factory: SessionFactory

    def _init_runner(self) -> None:
        self.session = None
        self._jobs: deque[Job] = deque()
        self._jobs_lock = threading.Lock()
        self._jobs_running = False
        self._jobs_epoch = 0
        self._jobs_local = threading.local()
        self._token = CancelToken()  # the running job's; replaced for each job

    # ---- the event sink, called on worker threads

    def _sink(self, event: Event) -> None:
        if getattr(self._jobs_local, "cancellable", False) and self._jobs_local.epoch != self._jobs_epoch:
            raise Cancelled()
        self.post_message(PipelineEvent(event))  # type: ignore[attr-defined]

    def _track(self, cancellable: bool) -> None:
        self._jobs_local.cancellable = cancellable
        self._jobs_local.epoch = self._jobs_epoch

    # ---- state the UI asks about

    @property
    def generating(self) -> bool:
        return self._jobs_running

    @property
    def queued(self) -> list[str]:
        with self._jobs_lock:
            return [job.revision.id for job in self._jobs]

    def cancel(self) -> list[str]:
        """Stop the running revision (the session closes a model request or a pytest run at
        once; other work stops at its next event) and drop the queue; the ids dropped."""
        with self._jobs_lock:
            self._jobs_epoch += 1
            dropped = [job.revision.id for job in self._jobs]
            self._jobs.clear()
        self._token.cancel()
        return dropped

    # ---- loading

    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def load_session(self) -> None:
        self._track(cancellable=True)
        try:
            session = self.session_factory(self._sink)
        except Cancelled:
            self.post_message(SessionFailed(None))  # type: ignore[attr-defined]
        except Exception as error:  # LocalmigError, or a bug: shown, never a crash
            self.post_message(SessionFailed(error))  # type: ignore[attr-defined]
        else:
            try:
                statuses: dict[str, str] = {r.id: session.status(r) for r in session.revisions}
            except Exception:  # an unreadable test file: show the rest, treat it as missing
                statuses = {}
            self.post_message(SessionReady(session, statuses))  # type: ignore[attr-defined]

    # ---- generating

    def enqueue(self, revisions: list[RevisionInfo], hints: dict[str, str] | None = None) -> None:
        with self._jobs_lock:
            waiting = {job.revision.id for job in self._jobs}
            for revision in revisions:
                if revision.id not in waiting:
                    self._jobs.append(Job(revision, (hints or {}).get(revision.id, ""), self._jobs_epoch))
            start = not self._jobs_running and bool(self._jobs)
            self._jobs_running = self._jobs_running or start
        if start:
            self._generate_worker()

    def model_choice(self) -> ModelChoice:  # the App knows the reviewer's choice
        raise NotImplementedError

    @work(thread=True, exclusive=True, group="generate", exit_on_error=False)
    def _generate_worker(self) -> None:
        applied: ModelChoice | None = None
        while True:
            with self._jobs_lock:
                if not self._jobs:
                    self._jobs_running = False
                    break
                job = self._jobs.popleft()
            revision = job.revision.id
            self._jobs_local.cancellable, self._jobs_local.epoch = True, job.epoch
            try:
                if job.epoch != self._jobs_epoch:
                    raise Cancelled()
                assert self.session is not None
                self._token = token = CancelToken()
                self.post_message(JobStarted(revision))  # type: ignore[attr-defined]
                choice = self.model_choice()
                if choice != applied:
                    applied = choice
                    self._use_model(choice)
                items = self.session.generate([job.revision], {revision: job.hint} if job.hint else None, cancel=token)
            except (Cancelled, SessionCancelled):
                self.post_message(JobFinished(revision, cancelled=True))  # type: ignore[attr-defined]
            except Exception as error:
                self.post_message(JobFinished(revision, error=error))  # type: ignore[attr-defined]
            else:
                self.post_message(JobFinished(revision, item=items[0] if items else None))  # type: ignore[attr-defined]
        self.post_message(JobsDone())  # type: ignore[attr-defined]

    def _use_model(self, choice: ModelChoice) -> None:
        assert self.session is not None
        try:
            self.session.use_model(choice)
        except LocalmigError as error:  # refused host, bad models.yaml: say so, go on without the model
            self.post_message(ModelFailed(error))  # type: ignore[attr-defined]
            self.session.use_model(ModelChoice(mode="off"))

    # ---- writing and re-running

    @work(thread=True, group="write", exit_on_error=False)
    def write_item(self, item: ReviewItem, text: str, force: bool = False) -> None:
        """Write one accepted module (and the shared files); ask first over a hand-edited file."""
        session = self.session
        assert session is not None
        revision = item.revision.id
        try:
            target: Path = session.target(item.revision)
            status = session.status(item.revision)
            if status in ASK_FIRST and not force:
                existing = target.read_text(encoding="utf-8", errors="replace")
                if existing != text:
                    shown = os.path.relpath(target, session.project.root)
                    self.post_message(NeedsConfirm(revision, shown, existing, text))  # type: ignore[attr-defined]
                    return
            accepted = item.model_copy(update={"module": text})
            # only the module is forced; a hand-edited conftest.py stays as it is
            results = session.write([accepted], force=force, force_shared=False)
            status = session.status(item.revision)
        except Exception as error:
            self.post_message(Written(revision, None, error, text=text))  # type: ignore[attr-defined]
        else:
            self.post_message(Written(revision, results, status=status, text=text))  # type: ignore[attr-defined]

    @work(thread=True, group="rerun", exit_on_error=False)
    def rerun_item(self, item: ReviewItem, text: str) -> None:
        self._track(cancellable=False)
        assert self.session is not None
        try:
            outcomes = self.session.rerun(item, text)
        except Exception as error:
            self.post_message(Reran(item.revision.id, text, None, error))  # type: ignore[attr-defined]
        else:
            self.post_message(Reran(item.revision.id, text, outcomes))  # type: ignore[attr-defined]
