"""Keys that cannot damage a file (issue 12, points 1 and 2): the module is read-only until e, Tab
only moves the focus, an edited module is written with a valid header, and an accept acts once,
on the revision on screen, after it has been shown."""

from __future__ import annotations

import asyncio

import pytest

from localmig.checks import run_check
from localmig.pipeline import Session, SessionOptions
from localmig.render import file_status, read_header
from localmig.tui.screens.review import SETTLE, ReviewScreen
from localmig.tui.screens.select import SelectScreen

from .conftest import FIRST_THREE, SIZE, generated, loaded, select, type_text, wait_until

pytestmark = pytest.mark.asyncio


async def open_review(pilot, revisions: list[str]) -> ReviewScreen:
    await loaded(pilot)
    await select(pilot, revisions)
    await pilot.press("g")
    await generated(pilot, len(revisions))
    await pilot.press("r")
    assert isinstance(pilot.app.screen, ReviewScreen)
    return pilot.app.screen


async def test_tab_moves_the_focus_and_never_changes_the_module(demo, make_app):
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot, FIRST_THREE[:1])
        entry = app.state.review.entries[FIRST_THREE[0]]
        original = entry.item.module
        focused = []
        for key in ["tab"] * 7 + ["shift+tab"] * 7:
            await pilot.press(key)
            focused.append(app.focused.id if app.focused else None)
        assert "module" in focused and "source" in focused and "results-table" in focused
        assert screen.module.text == entry.text == original and screen.module.read_only
        await pilot.press("e")  # editing: Tab still leaves, and the module is read-only again
        assert screen.module.has_focus and not screen.module.read_only
        await pilot.press("tab")
        assert not screen.module.has_focus and screen.module.read_only
        assert screen.module.text == entry.text == original and not entry.edited
        while not screen.module.has_focus:  # back on the module, read-only: letters are keys, not text
            await pilot.press("tab")
        await pilot.press("n", "p", "1")
        assert screen.module.text == original
        assert entry.item.module.startswith("# localmig: ")


async def test_an_edited_module_is_written_with_its_header_and_check_counts_it_current(demo, make_app):
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot, FIRST_THREE[:1])
        entry = app.state.review.entries[FIRST_THREE[0]]
        await pilot.press("e", "tab")  # a Tab on the header line (the cursor starts there): focus leaves, no indent
        assert not entry.edited
        await pilot.press("e", *["pagedown"] * 10, "end", "enter")
        await type_text(pilot, "# reviewed by a person")
        await pilot.press("escape")
        assert entry.edited and entry.text.rstrip().endswith("# reviewed by a person")
        assert entry.text.startswith("# localmig: ") and screen.module.read_only
        await pilot.press("a")
        await wait_until(pilot, lambda: entry.decision == "accepted", "the write")
        target = app.state.facts.target(entry.item.revision)
        written = target.read_text(encoding="utf-8")
        header, body = read_header(written)
        assert header is not None and header.edited_in_review and body.rstrip().endswith("# reviewed by a person")
        assert header.revision == FIRST_THREE[0] and header.source_sha256 == entry.item.revision.source_sha256
        assert file_status(target, entry.item.revision) == "current" == app.state.statuses[FIRST_THREE[0]]
    with Session.open(SessionOptions(path=demo)) as session:
        report = run_check(session)
    mine = [p for p in report.problems if p.revision == FIRST_THREE[0]]
    assert mine == []  # not "not_generated", not stale, not hand-edited: the suite passes for it
    assert {o.verdict for o in report.outcomes if o.revision == FIRST_THREE[0]} == {"passed"}


async def test_a_damaged_header_line_is_put_back_on_accept(demo, make_app):
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot, FIRST_THREE[:1])
        entry = app.state.review.entries[FIRST_THREE[0]]
        await pilot.press("e")  # the cursor is on the header line
        await type_text(pilot, "    ")  # what the old Tab did to the header line
        await pilot.press("escape")
        assert entry.text.startswith("    # localmig: ")
        await pilot.press("a")
        await wait_until(pilot, lambda: entry.decision == "accepted", "the write")
        written = app.state.facts.target(entry.item.revision).read_text(encoding="utf-8")
        assert written.startswith("# localmig: ") and "    # localmig:" not in written
        assert read_header(written)[0].edited_in_review is True
        assert app.state.statuses[FIRST_THREE[0]] == "current"


class Clock:
    """The review screen's clock, moved by the test: key timing without sleeping."""

    def __init__(self) -> None:
        self.time = 1000.0

    def __call__(self) -> float:
        return self.time


@pytest.fixture
def clock(monkeypatch):
    from localmig.tui.screens import review

    ticking = Clock()
    monkeypatch.setattr(review, "now", ticking)
    return ticking


async def test_a_doubled_accept_decides_one_revision_only(demo, make_app, clock):
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot, FIRST_THREE[:2])
        first, second = (app.state.review.entries[r] for r in FIRST_THREE[:2])
        clock.time += 5  # the first revision has been read
        await pilot.press("a", "a", "a")  # typed fast: one accept, of the revision on screen
        await wait_until(pilot, lambda: first.decision == "accepted", "the first write")
        assert screen.revision == FIRST_THREE[1] and screen.shown_at == clock.time
        clock.time += 0.1
        await pilot.press("a")  # the second revision has just come on screen: too soon to decide it
        await pilot.pause(0.2)
        assert second.decision is None and not second.writing
        assert not app.state.facts.target(second.item.revision).exists()
        clock.time += 5
        await pilot.press("a")  # a fresh press once it has been seen
        await wait_until(pilot, lambda: second.decision == "accepted", "the second write")


async def test_a_held_key_never_decides_the_next_revision(demo, make_app, clock):
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot, FIRST_THREE[:2])
        first, second = (app.state.review.entries[r] for r in FIRST_THREE[:2])
        clock.time += 5
        await pilot.press("x")  # reject, then the key stays down: it repeats every 30 ms
        await wait_until(pilot, lambda: screen.revision == FIRST_THREE[1], "the next revision")
        assert first.decision == "rejected"
        for _ in range(40):  # 1.2 s of repeats, well past the moment the next one settles
            clock.time += 0.03
            await pilot.press("x")
        assert second.decision is None
        clock.time += 1  # released, then pressed again
        await pilot.press("x")
        await wait_until(pilot, lambda: second.decision == "rejected", "the second reject")


async def test_ctrl_s_twice_does_not_accept_the_next_revision(demo, make_app):
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot, FIRST_THREE[:2])
        first, second = (app.state.review.entries[r] for r in FIRST_THREE[:2])
        await pilot.press("e")
        assert screen.module.has_focus and not screen.module.read_only
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: first.decision == "accepted", "the first write")
        assert screen.revision == FIRST_THREE[1]
        assert screen.module.read_only and not screen.module.has_focus  # the next one opens read-only
        assert app.focused is not None and app.focused.id == "results-table"
        await pilot.press("ctrl+s")  # only bound while editing
        await asyncio.sleep(0.3)
        await pilot.pause()
        assert second.decision is None and not second.writing
        assert "ctrl+s" not in screen.active_bindings and "a" in screen.active_bindings


async def test_after_the_last_accept_the_list_cursor_is_on_the_revision_seen_last(demo, make_app):
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot, [FIRST_THREE[1]])
        await pilot.pause(SETTLE)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, SelectScreen), "the list")
        assert app.screen.table.current_revision == FIRST_THREE[1] and app.screen.table.has_focus
