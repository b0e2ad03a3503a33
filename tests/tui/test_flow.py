"""The whole flow, keyboard only, on the demo against the scripted Ollama-protocol server."""

from __future__ import annotations

import json

import pytest

from localmig.render import read_header
from localmig.tui.screens.modals import HintModal
from localmig.tui.screens.review import ReviewScreen
from localmig.tui.screens.select import SelectScreen

from .conftest import CODELLAMA, FIRST_THREE, QWEN, SIZE, generated, loaded, model_answer, select, type_text, wait_until

pytestmark = pytest.mark.asyncio


def suite(demo):
    return demo / "tests" / "migrations"


async def test_select_generate_review_and_accept_three_revisions(demo, make_app, server):
    for index in range(3):
        server.answer(model_answer(f"test_upgrade_keeps_a_schema_{index}"))
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await select(pilot, FIRST_THREE)
        assert pilot.app.screen.selected == set(FIRST_THREE)
        await pilot.press("g")
        await generated(pilot, 3)
        assert [json.loads(r.body_bytes)["model"] for r in server.chat_requests()] == [CODELLAMA] * 3
        await pilot.press("r")
        assert isinstance(app.screen, ReviewScreen) and app.screen.revision == FIRST_THREE[0]
        expected = {}
        for revision in FIRST_THREE:
            assert app.screen.revision == revision
            expected[revision] = app.state.review.entries[revision].item.module
            await pilot.press("a")
            await wait_until(pilot, lambda r=revision: app.state.review.entries[r].decision == "accepted", f"{revision} written")
        await wait_until(pilot, lambda: isinstance(app.screen, SelectScreen), "the list after the last review")
        for index, revision in enumerate(FIRST_THREE):
            entry = app.state.review.entries[revision]
            written = (suite(demo) / entry.item.filename).read_text(encoding="utf-8")
            assert written == expected[revision]
            assert written.startswith("# localmig: ") and f"def test_upgrade_keeps_a_schema_{index}(migrations):" in written
            assert app.state.statuses[revision] == "current"
        assert (suite(demo) / "conftest.py").exists()
        assert not app.state.review.undecided()


async def test_reject_writes_nothing(demo, make_app):
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("g")  # the revision under the cursor when nothing is selected
        await generated(pilot, 1)
        await pilot.press("enter")
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, SelectScreen), "the list")
        assert app.state.review.entries[FIRST_THREE[0]].decision == "rejected"
        assert not suite(demo).exists()
        await pilot.press("q")  # every item is decided: quits without asking
        await wait_until(pilot, lambda: app.return_code is not None or not app.is_running, "exit")


async def test_regenerate_with_a_hint_reaches_the_server(demo, make_app, server):
    server.answer(model_answer("test_upgrade_keeps_a_schema"))
    server.answer(model_answer("test_upgrade_keeps_customers_after_the_hint"))
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("g")
        await generated(pilot, 1)
        await pilot.press("r", "r")
        assert isinstance(app.screen, HintModal)
        await type_text(pilot, "check the customers email")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(server.chat_requests()) == 2, "the second request")
        await generated(pilot)
        sent = server.chat_requests()[-1].json
        assert "check the customers email" in sent["messages"][-1]["content"]
        entry = app.state.review.entries[FIRST_THREE[0]]
        assert entry.item.hint == "check the customers email"
        assert "test_upgrade_keeps_customers_after_the_hint" in app.screen.query_one("#module").text
        await pilot.press("3")  # the tab with exactly what was sent
        assert app.screen.query_one("#tabs").active == "tab-prompt"
        assert "check the customers email" in "\n".join(app.screen.query_one("#prompt").lines)
        await pilot.press("2")
        assert app.screen.query_one("#tabs").active == "tab-findings"
        assert "No finding" in str(app.screen.query_one("#findings").render())


async def test_edit_rerun_then_accept_writes_the_edited_text(demo, make_app):
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("g")
        await generated(pilot, 1)
        await pilot.press("r")
        editor = app.screen.query_one("#module")
        assert editor.read_only  # until e
        await pilot.press("e")
        assert editor.has_focus and not editor.read_only
        await pilot.press(*["pagedown"] * 8, "end", "enter")
        await type_text(pilot, "# reviewed by a person")
        await pilot.press("escape")  # stops editing; the letter keys act again
        assert editor.read_only
        entry = app.state.review.entries[FIRST_THREE[0]]
        assert entry.edited and entry.text.rstrip().endswith("# reviewed by a person")
        await pilot.press("t")
        await wait_until(pilot, lambda: not entry.untested_edits and not app.state.review.progress, "the re-run")
        assert entry.count("passed") == len(entry.outcomes) > 0
        await pilot.press("e", "ctrl+s")  # accept from inside the editor
        await wait_until(pilot, lambda: entry.decision == "accepted", "the write")
        written = (suite(demo) / entry.item.filename).read_text(encoding="utf-8")
        assert read_header(written)[1] == read_header(entry.text)[1]  # the edited body, its header rewritten
        assert read_header(written)[0].edited_in_review is True
        assert app.state.statuses[FIRST_THREE[0]] == "current"


async def test_switching_model_changes_the_model_the_server_sees(demo, make_app, server):
    server.answer(model_answer())
    server.answer(model_answer())
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("m")  # the switcher lists the profiles with their state on the server
        await wait_until(pilot, lambda: app.screen.query_one("#models").option_count == 4, "the model states")
        options = app.screen.query_one("#models")
        shown = [str(options.get_option_at_index(i).prompt) for i in range(4)]
        assert "pulled" in shown[1] and "qwen" in shown[1]
        assert "missing: run `ollama pull absent:1b`" in shown[2]
        await pilot.press("down", "enter")
        assert app.model_name == "qwen"
        await pilot.press("g")
        await generated(pilot, 1)
        assert server.chat_requests()[-1].json["model"] == QWEN
        await pilot.press("ctrl+p")  # the command palette offers the same switch
        await type_text(pilot, "switch model codellama")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.model_name == "codellama", "the palette's switch")
        await pilot.press("down", "g")
        await generated(pilot, 2)
        assert server.chat_requests()[-1].json["model"] == CODELLAMA


async def test_server_down_shows_the_error_and_the_app_stays_usable(demo, make_app, server, notes):
    server.stop()
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("g")
        await generated(pilot, 1)
        warning = [m for severity, _, m in notes if severity == "warning" and "model layer skipped" in m]
        assert warning and f"Ollama is not reachable at {server.host}" in warning[0]
        assert "hint: start it with `ollama serve`" in warning[0]
        await pilot.press("r", "a")  # deterministic tests are still reviewed and written
        entry = app.state.review.entries[FIRST_THREE[0]]
        await wait_until(pilot, lambda: entry.decision == "accepted", "the write")
        assert (suite(demo) / entry.item.filename).exists()
        assert app.is_running


async def test_quitting_with_unreviewed_results_asks_first(demo, make_app):
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("g")
        await generated(pilot, 1)
        await pilot.press("q")
        assert app.screen.title_text == "Quit localmig?"
        assert FIRST_THREE[0] in str(app.screen.body)
        await pilot.press("n")
        assert isinstance(app.screen, SelectScreen) and app.is_running
        await pilot.press("q", "y")
        await wait_until(pilot, lambda: not app.is_running, "the app to exit")
    assert not suite(demo).exists()


async def test_esc_cancels_the_running_revision_and_keeps_finished_ones(demo, make_app, server):
    server.answer(model_answer())
    server.answer(model_answer(), delay=1.5)  # the second revision waits: esc lands while it runs
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await select(pilot, FIRST_THREE)
        await pilot.press("g")
        await wait_until(pilot, lambda: len(server.chat_requests()) == 2, "the second request")
        await pilot.press("escape")
        await generated(pilot)
        assert list(app.state.review.entries) == [FIRST_THREE[0]]
        assert app.state.review.label(FIRST_THREE[1]) == "cancelled" and app.state.review.label(FIRST_THREE[2]) == "cancelled"
        assert len(server.chat_requests()) == 2
        await pilot.press("r", "a")  # what finished is still there to accept
        await wait_until(pilot, lambda: app.state.review.entries[FIRST_THREE[0]].decision == "accepted", "the write")
