"""An 80x24 terminal shows what matters (issue 12 point 3): column priorities, footers that keep
help and quit, help texts that wrap, the review stacked below 100 columns, dialogs sized to their text."""

from __future__ import annotations

import pytest
from rich.console import Console

from localmig.tui.screens.help import HelpScreen
from localmig.tui.screens.modals import HintModal
from localmig.tui.screens.review import ReviewScreen
from localmig.tui.widgets.columns import MESSAGE_MIN, PADDING, fit

from .conftest import BROKEN, SMALL, footer_keys, generated, loaded, rendered, wait_until

DEMO_CONTENT = {"revision": 12, "graph": 5, "tests": 4, "session": 0}


def test_the_revision_tests_and_findings_come_first_and_the_message_takes_the_rest():
    narrow = fit(40, DEMO_CONTENT)
    assert list(narrow) == ["sel", "revision", "message", "tests", "findings"] and narrow["message"] == 8
    at_80 = fit(78, {**DEMO_CONTENT, "session": 24})
    assert list(at_80) == ["sel", "revision", "message", "graph", "tests", "findings", "session"]
    assert at_80["session"] < 24 and at_80["message"] == MESSAGE_MIN  # the session's word is cut, not left out
    wide = fit(158, {**DEMO_CONTENT, "session": 24})
    assert list(wide) == ["sel", "revision", "message", "date", "graph", "tests", "findings", "session"]
    assert sum(width + PADDING for width in wide.values()) == 158  # no blank columns left over
    assert wide["message"] > 60 and wide["session"] == 24


def test_a_column_whose_content_is_empty_is_left_out():
    assert "graph" not in fit(158, {**DEMO_CONTENT, "graph": 0}) and "session" not in fit(158, DEMO_CONTENT)


@pytest.mark.asyncio
async def test_at_80x24_everything_that_matters_is_on_screen(demo, make_app):
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SMALL) as pilot:
        await loaded(pilot)
        await wait_until(pilot, lambda: footer_keys(app), "the footer drawn")  # slow under load
        screen = rendered(app)
        for revision in app.state.facts.order:  # every revision of the demo, with its graph marker
            assert revision in screen
        assert "head" in screen and "merge" in screen and "findings" in screen
        assert footer_keys(app)[:2] == ["Help", "Quit"]
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.pause(0.2)
        assert "esc: close" in rendered(app)  # the keys scroll inside the dialog, which fits the screen
        keys = Console(width=app.screen.query_one("#help-keys").region.width, record=True)
        keys.print(app.screen.table)
        words = set(keys.export_text().split())
        for _, _, explained, _ in app.screen.rows:  # every explanation wraps, whole: no word is cut
            assert set(explained.split()) <= words, explained
        await pilot.press("escape", *["down"] * 8, "g")
        await generated(pilot, 1)
        await pilot.press("r")
        assert isinstance(app.screen, ReviewScreen)
        await pilot.pause(0.2)
        source, module = app.screen.query_one("#source"), app.screen.query_one("#module")
        assert source.region.x == module.region.x and source.region.bottom <= module.region.y  # stacked
        assert module.region.height > source.region.height >= 4
        assert footer_keys(app)[:2] == ["Help", "Quit"]
        await pilot.press("r")
        assert isinstance(app.screen, HintModal)
        await pilot.pause(0.2)
        asked = rendered(app)
        assert "A hint for the model (optional), added to the prompt." in asked
        assert "enter: regenerate · esc: cancel" in asked
        dialog = app.screen.query_one(".dialog")
        assert dialog.region.width <= SMALL[0] and dialog.region.height <= 12  # as tall as its four lines of text
        await pilot.press("escape", "z")  # zoom: the focused pane alone
        assert app.screen.maximized is not None
        await pilot.press("z")
        assert app.screen.maximized is None
        await pilot.resize_terminal(120, 36)
        await wait_until(pilot, lambda: source.region.y == module.region.y, "side by side from 100 columns")
        assert source.region.right <= module.region.x
        assert app.state.review.entries[BROKEN].text == app.state.review.entries[BROKEN].item.module
