"""Snapshots of the migration list and the review screen at three terminal sizes: 80x24 (the
smallest a person uses), 120x36 and 160x45.

Update them after an intended change of the screens with ``pytest tests/tui --snapshot-update``
and look at the SVGs under tests/tui/__snapshots__/ before committing them.
"""

from __future__ import annotations

import pytest

from .conftest import generated, loaded

SIZES = [(80, 24), (120, 36), (160, 45)]
BROKEN_DOWNGRADE = 8  # d1a0094d7b13, the demo's revision with a broken downgrade, in the list


async def generate_the_broken_revision(pilot) -> None:
    await loaded(pilot)
    await pilot.press(*["down"] * BROKEN_DOWNGRADE, "g")
    await generated(pilot, 1)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_migration_list(demo, make_app, snap_compare, size):
    async def run_before(pilot) -> None:
        await generate_the_broken_revision(pilot)
        await pilot.press("up", "up", "space", "space")  # two more selected, the cursor back on the broken one
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(demo, no_model=True), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_review_screen(demo, make_app, snap_compare, size):
    async def run_before(pilot) -> None:
        await generate_the_broken_revision(pilot)
        await pilot.press("r")
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(demo, no_model=True), terminal_size=size, run_before=run_before)
