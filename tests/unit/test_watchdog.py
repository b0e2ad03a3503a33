"""The per-step time limit: a Python loop is stopped with where it was; a step within its limit
returns its value and nothing lands later."""

from __future__ import annotations

import os
import time

import pytest
from pytest_localmig.watchdog import StepTimedOut, limited

HERE = [os.path.dirname(os.path.abspath(__file__))]


def spin() -> None:
    while True:
        time.sleep(0.05)


def test_a_loop_that_never_ends_is_stopped_with_where_it_was():
    started = time.monotonic()
    with pytest.raises(StepTimedOut) as raised:
        limited(spin, 0.5, "the upgrade of abc", lambda: HERE)()
    assert time.monotonic() - started < 3
    assert "the upgrade of abc did not finish within 0.5 s" in str(raised.value)
    assert "test_watchdog.py:" in str(raised.value) and "in spin: `time.sleep(0.05)`" in str(raised.value)


def test_a_step_within_its_limit_returns_and_nothing_lands_later():
    assert limited(lambda: 42, 0.3, "the upgrade of abc", lambda: HERE)() == 42
    time.sleep(0.6)  # past the limit: an exception left armed would be raised here


def test_no_limit_is_the_function_itself():
    assert limited(spin, None, "x", lambda: HERE) is spin
    assert limited(spin, 0, "x", lambda: HERE) is spin
