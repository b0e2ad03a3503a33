"""Errors show with the CLI's words, the app stays usable, and nothing is written over a hand-edited file
without asking."""

from __future__ import annotations

import re
import threading
import time

import pytest

from localmig.errors import LocalmigError
from localmig.events import CaptureProgress
from localmig.pipeline import Session, SessionOptions
from localmig.tui import create_app
from localmig.tui.screens.modals import Confirm, ErrorModal
from localmig.tui.screens.review import ReviewScreen
from localmig.tui.screens.select import SelectScreen

from .conftest import FIRST_THREE, SIZE, generated, loaded, wait_until

pytestmark = pytest.mark.asyncio


def scratch_free(text: str | None) -> str | None:
    """The text without the random names of scratch databases."""
    return text and re.sub(r"mig_\w+\.db|migrations-[\w-]+", "<scratch>", text)


def cli_words(path) -> LocalmigError:
    """The error the CLI reports for this project (the same pipeline call)."""
    with pytest.raises(LocalmigError) as raised:
        Session.open(SessionOptions(path=path))
    return raised.value


@pytest.mark.parametrize("example", ["not_alembic", "env_ignores_url", "syntax_error"])
async def test_an_unusable_project_shows_the_cli_error_and_the_app_stays_usable(project, make_app, notes, example):
    path = project(example)
    expected = cli_words(path)
    app = make_app(path, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal), "the error")
        assert scratch_free(app.screen.message) == scratch_free(str(expected))
        assert scratch_free(app.screen.hint) == scratch_free(expected.hint)
        await pilot.press("escape")
        assert isinstance(app.screen, SelectScreen)
        assert "error: " + scratch_free(str(expected)) in scratch_free(app.state.load.message) and "ctrl+r" in app.state.load.message
        notes.clear()
        await pilot.press("g", "r", "a", "space")  # nothing to act on: each says the same, no crash
        said = {m for _, _, m in notes}
        assert said == {app.state.no_project()} and "fix it, then ctrl+r" in app.state.no_project()
        await pilot.press("ctrl+r")  # reload: the same error again, still no crash
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal), "the error again")
        await pilot.press("h")  # the messages so far, in full, with the hint
        history = "\n".join(n.message for n in app.state.history)
        assert scratch_free(str(expected)) in scratch_free(history) and (expected.hint or "") in history
        await pilot.press("escape", "enter", "q")
        await wait_until(pilot, lambda: not app.is_running, "the app to exit")
    assert app.return_code == expected.exit_code  # as `localmig scan` exits for this project


async def test_a_missing_path_exits_3_like_scan(tmp_path, make_app):
    app = make_app(tmp_path / "no-such-folder", no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal), "the error")
        await pilot.press("enter", "q")
        await wait_until(pilot, lambda: not app.is_running, "the app to exit")
    assert app.return_code == 3


async def test_missing_model_is_a_warning_and_deterministic_tests_still_come(demo, make_app, notes, server):
    app = make_app(demo, model="absent")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("g")
        await generated(pilot, 1)
        warning = next(m for s, _, m in notes if s == "warning" and "model layer skipped" in m)
        assert "does not have the model absent:1b" in warning and "hint: run `ollama pull absent:1b`" in warning
        assert not server.chat_requests()
        assert app.state.review.entries[FIRST_THREE[0]].item.plan.tests


async def test_a_refused_remote_host_is_an_error_and_generation_goes_on(demo, make_app, notes):
    app = make_app(demo, host="http://192.0.2.10:11434")  # TEST-NET: refused before any traffic
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("g")
        await generated(pilot, 1)
        error = next(m for s, t, m in notes if s == "error" and t == "model layer skipped")
        assert "refusing to send schema context to http://192.0.2.10:11434" in error and "allow_remote" in error
        assert app.state.review.entries[FIRST_THREE[0]].item.plan.tests


async def test_accepting_over_a_hand_edited_file_shows_the_diff_and_asks(demo, make_app):
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("g")
        await generated(pilot, 1)
        entry = app.state.review.entries[FIRST_THREE[0]]
        target = app.state.facts.target(entry.item.revision)
        target.parent.mkdir(parents=True)
        target.write_text("def test_mine(migrations):\n    assert True\n", encoding="utf-8")
        await pilot.press("r", "a")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm), "the question")
        diff = str(app.screen.detail.code)
        assert "-def test_mine(migrations):" in diff and "+REVISION = 'd1a001e4c7b2'" in diff
        await pilot.press("n")  # keep it
        assert isinstance(app.screen, ReviewScreen) and entry.decision is None
        assert target.read_text(encoding="utf-8").startswith("def test_mine")
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm), "the question again")
        await pilot.press("y")  # overwrite
        await wait_until(pilot, lambda: entry.decision == "accepted", "the write")
        assert target.read_text(encoding="utf-8") == entry.item.module


async def test_esc_cancels_the_capture(demo, notes):
    started = threading.Event()

    def slow_capture(events, cancel):  # a fake session factory: a capture that only ends when cancelled
        started.set()
        for done in range(1, 400):
            cancel.check()
            events(CaptureProgress(phase="upgrade", revision=f"r{done}", done=done, total=400))
            time.sleep(0.02)
        raise AssertionError("the capture was not cancelled")

    app = create_app(SessionOptions(path=demo), no_model=True, session_factory=slow_capture)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, started.is_set, "the capture to start")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.state.load.loading, "the capture to stop")
        assert app.state.facts is None and "cancelled" in app.state.load.message
        assert isinstance(app.screen, SelectScreen) and app.is_running
        await pilot.press("q")
    assert app.return_code == 0  # cancelled, not failed


async def test_a_bug_is_reported_as_an_internal_error_not_a_crash(demo):
    def broken(events, cancel):
        raise RuntimeError("boom")

    app = create_app(SessionOptions(path=demo), no_model=True, session_factory=broken)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal), "the error")
        assert app.screen.message == "internal error: RuntimeError: boom"
        assert "LOCALMIG_DEBUG=1" in app.screen.hint
        await pilot.press("escape")
        assert app.is_running
