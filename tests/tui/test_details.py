"""Labels are true (issue 12 point 5) and the details of point 9: the merge revision's docstring,
file names cut at a word boundary."""

from __future__ import annotations

import pytest

from localmig.pipeline import Session, SessionOptions
from localmig.project import RevisionInfo
from localmig.render import read_header
from localmig.tui.screens.review import ReviewScreen

from .conftest import FIRST_THREE, SIZE, generated, loaded, model_answer, rendered, select, wait_until

MERGE = "d1a0071f6e8d"


def revision(message: str) -> RevisionInfo:
    return RevisionInfo(id="abc", down_revisions=[], message=message, path="x.py", source_sha256="0")


def test_slugs_are_cut_between_words():
    assert revision("merge order_statuses and addresses branches").slug == "merge_order_statuses_and_addresses"
    assert revision("orders.status: longer, required, must be a known status").slug == "orders_status_longer_required_must_be_a"
    assert revision("").slug == "revision" and revision("create customers table").slug == "create_customers_table"


def test_the_merge_revisions_downgrade_docstring_is_a_sentence(demo):
    with Session.open(SessionOptions(path=demo)) as session:
        plan = session.plan(session.project.by_id[MERGE]).plan
    docstrings = {t.name: t.docstring for t in plan.tests}
    assert docstrings["test_downgrade_restores_previous_schema"] == (
        "After the downgrade the database has the same tables and enum types as before the upgrade.")


FAILING = model_answer("test_upgrade_fails_on_purpose").replace(
    "assert migrations.schema_after(REVISION).tables", "assert not migrations.schema_after(REVISION).tables")


@pytest.mark.asyncio
async def test_the_engines_shown_are_those_of_the_tests_kept(demo, make_app, server):
    server.answer(model_answer("test_upgrade_keeps_a_schema"))  # kept
    server.answer(FAILING)  # fails when run, no repair round: left out
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await select(pilot, FIRST_THREE[:2])
        await pilot.press("g")
        await generated(pilot, 2)
        kept, dropped = (app.state.review.entries[r] for r in FIRST_THREE[:2])
        assert kept.engines() == "1 by the model + 4 deterministic"
        assert [t.name for t in dropped.item.dropped] == ["test_upgrade_fails_on_purpose"]
        assert dropped.engines() == "deterministic only (the model's tests were left out)"
        header, _ = read_header(dropped.item.module)
        assert header is not None and header.engines == ["deterministic"]  # the file says the same
        await pilot.press("r")
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen.revision == FIRST_THREE[1], "the second revision")
        await pilot.pause(0.2)
        assert "deterministic only (the model's tests were left out)" in rendered(app)
        assert "model + deterministic" not in rendered(app)
