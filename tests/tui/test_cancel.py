"""Esc stops the model within a second by closing its HTTP stream (issue 12 point 4, issue 15 item 4),
and the model's work is visible wherever the reviewer is: elapsed time, tokens, tokens/s, the
answer as it streams, cleared per run."""

from __future__ import annotations

import threading
import time

import pytest

from localmig.cancel import CancelToken
from localmig.config import parse_settings
from localmig.errors import Cancelled
from localmig.llm import OllamaModel
from localmig.tui.screens.review import ReviewScreen

from .conftest import (
    FIRST_THREE,
    SIZE,
    generated,
    loaded,
    model_answer,
    rendered,
    type_text,
    wait_until,
    write_models_yaml,
)

ANSWER = model_answer("test_upgrade_keeps_a_schema_while_streaming")


def model_on(server, tmp_path) -> OllamaModel:
    settings = parse_settings(write_models_yaml(tmp_path / "models.yaml", server.host))
    return OllamaModel(settings.profile("codellama"), settings)


@pytest.mark.parametrize("silence", [30.0, 0.0], ids=["before-the-first-token", "while-streaming"])
def test_a_cancelled_request_ends_within_a_second_and_the_server_sees_it_closed(slow_server, tmp_path, silence):
    slow_server.slow_answer(ANSWER * 20, silence=silence, every=0.2)
    model = model_on(slow_server, tmp_path)
    token, tokens = CancelToken(), []
    threading.Timer(1.0, token.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        model.chat([{"role": "user", "content": "tests please"}], {"type": "object"}, tokens.append, cancel=token)
    cancelled_at = started + 1.0
    assert time.monotonic() - cancelled_at < 1.0
    assert bool(tokens) == (silence == 0.0)  # the stream had begun, or not
    deadline = time.monotonic() + 2
    while slow_server.closed_at is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert slow_server.closed_at is not None and slow_server.closed_at - cancelled_at < 1.0


@pytest.mark.asyncio
async def test_esc_cancels_a_slow_stream_within_a_second(demo, make_app, slow_server):
    slow_server.slow_answer(ANSWER * 30, every=0.15)
    app = make_app(demo, host=slow_server.host)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("g")
        await wait_until(pilot, lambda: app.state.work.stream is not None and app.state.work.stream.tokens >= 3, "tokens")
        line = app.state.work.stream.line()
        assert line.startswith(f"model ▸ {FIRST_THREE[0]} · asking the model · ") and "tokens/s" in line
        assert "tokens/s" in rendered(app)  # the activity pane shows it
        seen: list[float] = []  # when the app knew the revision was cancelled (pilot.press itself waits
        # for the notification's animation, so the time it returns is not what a person waits)
        app.state.changed.subscribe(app.screen, lambda revision: seen.append(time.monotonic())
                                    if app.state.review.notes.get(FIRST_THREE[0]) == "cancelled" else None)
        pressed = time.monotonic()
        await pilot.press("escape")
        await wait_until(pilot, lambda: seen, "the cancel", 10)
        stopped = seen[0] - pressed
        assert stopped < 1.0, f"cancelling took {stopped:.2f} s"
        assert slow_server.closed_at is not None and slow_server.closed_at - pressed < 1.0
        assert not app.state.work.queue and app.state.work.stream is None and not app.state.review.entries
        assert app.screen.query_one("#activity-model").display is False  # the stream block is gone


@pytest.mark.asyncio
async def test_regenerating_shows_the_stream_in_the_review_and_each_run_starts_clean(demo, make_app, slow_server):
    slow_server.answer(model_answer("test_upgrade_keeps_a_schema"))
    slow_server.slow_answer(model_answer("test_upgrade_keeps_the_customers_after_the_hint"), silence=8.0, every=0.05)
    app = make_app(demo, host=slow_server.host)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("g")
        await generated(pilot, 1)
        summary = app.state.work.last_stream
        assert summary.startswith(f"model ▸ {FIRST_THREE[0]}: ") and " tokens in " in summary
        await pilot.press("r", "r")
        await type_text(pilot, "check the customers")  # a new prompt: the cache cannot answer it
        await pilot.press("enter")
        assert isinstance(app.screen, ReviewScreen)
        await wait_until(pilot, lambda: app.state.work.stream is not None, "the second request")
        stream = app.state.work.stream
        await wait_until(pilot, lambda: app.screen.query_one("#review-model").display, "the model's line")
        await pilot.pause(0.2)
        assert "waiting for the first token" in rendered(app)
        await wait_until(pilot, lambda: stream.tokens >= 5, "streamed tokens")
        assert "test_upgrade_keeps_a_schema\"" not in stream.text  # nothing of the first run
        await pilot.pause(0.3)
        screen = rendered(app)
        assert f"model ▸ {FIRST_THREE[0]}" in screen and " tokens" in screen
        await pilot.press("3")
        assert "the answer as it streams" in "\n".join(app.screen.query_one("#prompt").lines)
        await generated(pilot)
        assert app.screen.query_one("#review-model").display is False
        assert "test_upgrade_keeps_the_customers_after_the_hint" in app.screen.query_one("#module").text
