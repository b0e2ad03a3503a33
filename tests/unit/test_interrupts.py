"""Ctrl-C and SIGTERM during a batch: KeyboardInterrupt at once, and a cancel token set for what
a library between the signal and localmig kept from seeing the KeyboardInterrupt."""

from __future__ import annotations

import os
import signal
import time

import pytest

from localmig.cancel import CancelToken
from localmig.cli.common import signals_as_interrupt
from localmig.errors import Cancelled


def swallowed(signum: int) -> None:
    """A library that catches KeyboardInterrupt and carries on."""
    try:
        os.kill(os.getpid(), signum)
        time.sleep(5)  # the handler runs here
    except KeyboardInterrupt:
        pass


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_swallowed_interrupt_still_cancels_the_next_check(signum):
    cancel = CancelToken()
    previous, terminate = signal.signal(signal.SIGINT, signal.default_int_handler), signal.getsignal(signal.SIGTERM)
    try:
        with signals_as_interrupt(cancel):
            started = time.monotonic()
            swallowed(signum)
            assert time.monotonic() - started < 4  # KeyboardInterrupt came at once
            with pytest.raises(Cancelled):
                cancel.check("interrupted")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        if signum == signal.SIGTERM:  # a second SIGTERM must not cut the clean-up after the block short
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        else:
            assert signal.getsignal(signal.SIGTERM) is terminate
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, terminate)


def test_an_ignored_ctrl_c_stays_ignored():
    """A batch started with SIGINT ignored (``nohup``, a background job) keeps it so."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with signals_as_interrupt(CancelToken()):
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
