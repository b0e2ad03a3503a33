"""A per-step time limit for migrations: a watchdog thread that interrupts a step which runs too long.

When a step overruns, the watchdog reads where the migration's thread is (``sys._current_frames``)
and raises :class:`StepTimedOut` in it (``PyThreadState_SetAsyncExc``). That stops Python code
(a ``while True: time.sleep(0.1)`` loop, a busy loop) at its next bytecode; it does not stop a
single blocking C call (one ``time.sleep(3600)``, a query the database server never answers): the
exception lands when that call returns.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any


class StepTimedOut(Exception):
    """A migration step ran longer than its limit; the message says which and where it was."""

    detail = "a migration step ran longer than its time limit"

    def __str__(self) -> str:
        return self.args[0] if self.args else self.detail


def where(thread_id: int, folders: Iterable[str]) -> str:
    """Where thread ``thread_id`` is: its innermost frame in ``folders`` (a revision file) and the
    innermost frame overall, as ``file.py:12 in upgrade: `the line```."""
    frame = sys._current_frames().get(thread_id)
    if frame is None:
        return "at an unknown place"
    stack = traceback.extract_stack(frame)
    roots = [os.path.realpath(folder) + os.sep for folder in folders]
    mine = [f for f in stack if any(os.path.realpath(f.filename).startswith(root) for root in roots)]
    shown = []
    innermost = [stack[-1]] if stack and (not mine or stack[-1] is not mine[-1]) else []
    for summary in ([mine[-1]] if mine else []) + innermost:
        text = f"{os.path.basename(summary.filename)}:{summary.lineno} in {summary.name}"
        shown.append(text + (f": `{summary.line.strip()}`" if summary.line else ""))
    return "at " + ", inside ".join(shown) if shown else "at an unknown place"


def limited(function: Callable[..., Any], seconds: float | None, what: str,
            folders: Callable[[], Iterable[str]]) -> Callable[..., Any]:
    """``function`` stopped with :class:`StepTimedOut` when a call runs longer than ``seconds``
    (no limit when None or 0); ``what`` names the step in the message (``the upgrade of abc123``)."""
    if not seconds:
        return function

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        thread = threading.get_ident()
        lock = threading.Lock()
        state: dict[str, Any] = {"armed": True, "fired": None}

        def fire() -> None:
            with lock:
                if not state["armed"]:
                    return
                message = f"{what} did not finish within {seconds:g} s (--timeout); it was {where(thread, folders())}"
                state["fired"] = message
                timed_out = type("StepTimedOut", (StepTimedOut,), {"detail": message})
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), ctypes.py_object(timed_out))

        timer = threading.Timer(seconds, fire)
        timer.daemon = True
        timer.start()
        try:
            result = function(*args, **kwargs)
        finally:
            with lock:
                state["armed"] = False
                fired = state["fired"]
            timer.cancel()
            if fired is not None:  # an exception not delivered yet must not land in later code
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), None)
        if fired is not None:
            raise StepTimedOut(fired)
        return result

    return run
