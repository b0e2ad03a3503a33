"""One thread owns the Session (issue 15 item 4): every call to it is made on that thread, from a
queue where re-runs go before queued generations, each job with its own cancellation token."""

from __future__ import annotations

import threading
import time

from localmig.options import ModelChoice
from localmig.pipeline import Session, SessionOptions
from localmig.tui import messages as m
from localmig.tui.owner import Generate, Load, Rerun, SessionOwner, UseModel

from .conftest import FIRST_THREE


def wait_for(posted, predicate, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [message for message, _ in list(posted) if predicate(message)]
        if found:
            return found[0]
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_one_thread_calls_the_session_and_a_rerun_goes_before_queued_generations(demo):
    posted: list[tuple[object, str]] = []
    opened: list[str] = []

    def open_session(events, cancel):
        opened.append(threading.current_thread().name)
        return Session.open(SessionOptions(path=demo), events, cancel)

    owner = SessionOwner(open_session, lambda message: posted.append((message, threading.current_thread().name)))
    owner.start()
    owner.submit(Load())
    loaded = wait_for(posted, lambda x: isinstance(x, m.Loaded), "the load")
    revisions = loaded.facts.by_id
    owner.submit(UseModel(ModelChoice(mode="off")))
    for revision in FIRST_THREE:
        owner.submit(Generate(revisions[revision]))
    assert owner.generations() == FIRST_THREE
    first = wait_for(posted, lambda x: isinstance(x, m.JobFinished) and x.revision == FIRST_THREE[0], "the first")
    owner.submit(Rerun(first.item, first.item.module))  # while the second one runs
    wait_for(posted, lambda x: isinstance(x, m.JobFinished) and x.revision == FIRST_THREE[2], "the third")
    owner.stop()
    assert not owner._thread.is_alive()
    order = [(type(x).__name__, getattr(x, "revision", "")) for x, _ in posted if not isinstance(x, m.PipelineEvent)]
    assert order.index(("Reran", FIRST_THREE[0])) < order.index(("JobStarted", FIRST_THREE[2]))
    assert {thread for _, thread in posted} == {"localmig-session"} and opened == ["localmig-session"]
    reran = next(x for x, _ in posted if isinstance(x, m.Reran))
    assert reran.error is None and reran.outcomes and all(o.verdict == "passed" for o in reran.outcomes)


def test_cancel_stops_the_running_job_and_the_queued_ones_without_starting_them(demo):
    posted: list[tuple[object, str]] = []
    owner = SessionOwner(lambda events, cancel: Session.open(SessionOptions(path=demo), events, cancel),
                         lambda message: posted.append((message, threading.current_thread().name)))
    owner.start()
    owner.submit(Load())
    revisions = wait_for(posted, lambda x: isinstance(x, m.Loaded), "the load").facts.by_id
    jobs = [Generate(revisions[revision]) for revision in FIRST_THREE]
    for job in jobs:
        owner.submit(job)
    wait_for(posted, lambda x: isinstance(x, m.JobStarted), "the first to start")
    assert owner.cancel() == FIRST_THREE and all(job.token.cancelled for job in jobs)
    wait_for(posted, lambda x: isinstance(x, m.JobFinished) and x.revision == FIRST_THREE[2], "the last to end")
    finished = [x for x, _ in posted if isinstance(x, m.JobFinished)]
    started = [x.revision for x, _ in posted if isinstance(x, m.JobStarted)]
    assert [x.revision for x in finished] == FIRST_THREE and all(x.cancelled for x in finished[1:])
    assert started == FIRST_THREE[:1]  # the queued ones never started
    assert not owner.generating
    owner.stop()
