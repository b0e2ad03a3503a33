"""The list follows the disk and keeps pending reviews across ctrl+r (issue 12 point 6); the filter
matches finding kinds and test states, and esc empties it (point 7)."""

from __future__ import annotations

import pytest

from localmig.tui.screens.review import ReviewScreen

from .conftest import BROKEN, FIRST_THREE, SIZE, generated, loaded, type_text, wait_until

pytestmark = pytest.mark.asyncio


def shown(app) -> list[str]:
    table = app.screen.table
    return [table.coordinate_to_cell_key((row, 0)).row_key.value for row in range(table.row_count)]


async def test_the_filter_matches_finding_kinds_and_test_states_and_esc_empties_it(demo, make_app):
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("slash")
        assert app.screen.filter.has_focus
        await type_text(pilot, "downgrade_failed")
        assert shown(app) == [BROKEN]
        assert "1 of 10 shown · filter: downgrade_failed" in str(app.screen.table.border_subtitle)
        await pilot.press("escape")  # empties it, back on the list
        assert app.screen.filter.value == "" and not app.screen.filter.display and app.screen.table.has_focus
        assert len(shown(app)) == 10
        await pilot.press("slash")
        await type_text(pilot, "head")
        await pilot.press("enter")  # enter keeps the filter, back on the list
        assert app.screen.table.has_focus and app.screen.filter.display and shown(app) == [app.state.facts.order[-1]]
        await pilot.press("slash", "escape", *["up"] * 9, *["down"] * 8, "g")  # the cursor stayed on the head
        await generated(pilot, 1)
        await pilot.press("slash")
        await type_text(pilot, "defect")  # a test exposing a defect of the migration
        assert shown(app) == [BROKEN]
        await pilot.press("escape", "slash")
        await type_text(pilot, "to review")
        assert shown(app) == [BROKEN]
        await pilot.press("escape", "slash")
        await type_text(pilot, "none")  # the test file state
        assert BROKEN in shown(app) and len(shown(app)) == 10


async def test_the_list_follows_a_file_edited_on_disk(demo, make_app):
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("g")
        await generated(pilot, 1)
        await pilot.press("r", "a")
        entry = app.state.review.entries[FIRST_THREE[0]]
        await wait_until(pilot, lambda: entry.decision == "accepted", "the write")
        assert app.state.statuses[FIRST_THREE[0]] == "current"
        target = app.state.facts.target(entry.item.revision)
        with target.open("a", encoding="utf-8") as file:
            file.write("\n# a person's own line\n")
        await wait_until(pilot, lambda: app.state.statuses[FIRST_THREE[0]] == "hand_edited", "the list to notice", 10)
        await pilot.pause(0.2)
        row = app.screen.table.get_row(FIRST_THREE[0])
        assert "hand-edited" in [str(cell) for cell in row]
        target.unlink()
        await wait_until(pilot, lambda: app.state.statuses[FIRST_THREE[0]] == "missing", "the removal", 10)


async def test_ctrl_r_reloads_with_reviews_pending_and_keeps_them(demo, make_app):
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("g")
        await generated(pilot, 1)
        kept = app.state.review.entries[FIRST_THREE[0]]
        before = app.state.facts
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.state.facts is not None and app.state.facts is not before, "the reload")
        assert app.state.review.entries[FIRST_THREE[0]] is kept and kept.decision is None
        assert not kept.migration_changed and "1 review(s) kept" in app.state.work.status.text
        await pilot.press("r")  # still there to review and accept
        assert isinstance(app.screen, ReviewScreen) and app.screen.revision == FIRST_THREE[0]
        await pilot.pause(0.5)
        await pilot.press("a")
        await wait_until(pilot, lambda: kept.decision == "accepted", "the write")
