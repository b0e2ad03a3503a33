"""One cancellation token, passed explicitly to the work it may stop.

Setting it (from any thread: the review app's Esc, a signal handler) closes a model request or a
pytest run at once; other work stops at its next check, between revisions.
"""

from __future__ import annotations

import threading

from .errors import Cancelled


class CancelToken(threading.Event):
    """A ``threading.Event`` that work checks; ``check`` raises :class:`Cancelled` once it is set."""

    def cancel(self) -> None:
        self.set()

    @property
    def cancelled(self) -> bool:
        return self.is_set()

    def check(self, what: str = "cancelled") -> None:
        if self.is_set():
            raise Cancelled(what)


def never() -> CancelToken:
    """A token nobody sets (the default for work that cannot be cancelled from outside)."""
    return CancelToken()
