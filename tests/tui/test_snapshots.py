"""Snapshots of the migration list and the review screen at a fixed terminal size (140 x 45).

Update them after an intended change of the screens with ``pytest tests/tui --snapshot-update``
and look at the SVGs under tests/tui/__snapshots__/ before committing them.
"""

from __future__ import annotations

from .conftest import SIZE, generated, loaded

BROKEN_DOWNGRADE = 8  # d1a0094d7b13, the demo's revision with a broken downgrade, in the list


async def generate_the_broken_revision(pilot) -> None:
    await loaded(pilot)
    await pilot.press(*["down"] * BROKEN_DOWNGRADE, "g")
    await generated(pilot, 1)


def test_migration_list(demo, make_app, snap_compare):
    async def run_before(pilot) -> None:
        await generate_the_broken_revision(pilot)
        await pilot.press("up", "up", "space", "space")  # two more selected, the cursor back on the broken one
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(demo, no_model=True), terminal_size=SIZE, run_before=run_before)


def test_review_screen(demo, make_app, snap_compare):
    async def run_before(pilot) -> None:
        await generate_the_broken_revision(pilot)
        await pilot.press("r")
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(demo, no_model=True), terminal_size=SIZE, run_before=run_before)
