"""Bodies for the `migrations` fixture rewritten for pytest-alembic's alembic_runner."""

from __future__ import annotations

import pytest

from localmig.render.translate import Untranslatable, translate

DOWNGRADE = """\
schema = migrations.schema_after_downgrade(REVISION)
before = migrations.schema_before(REVISION)
assert 'orders' not in schema.tables  # the downgrade drops it
assert schema.tables == before.tables
"""


def test_schema_states_are_taken_in_history_order_before_the_assertions():
    """The pristine state before the upgrade is read before the upgrade runs, not after the downgrade
    (which would compare the downgrade with itself: a test that cannot fail)."""
    body = translate(DOWNGRADE).body.splitlines()
    assert body[:5] == [
        "alembic_runner.migrate_up_before(REVISION)",
        "before = schema_of(alembic_engine)",
        "alembic_runner.migrate_up_to(REVISION)",
        "alembic_runner.migrate_down_one()",
        "schema = schema_of(alembic_engine)",
    ]
    assert body[5] == "assert 'orders' not in schema.tables  # the downgrade drops it"  # comments stay


def test_a_round_trip_walks_up_down_and_up_again():
    body = translate("again = migrations.schema_after_round_trip(REVISION)\n"
                     "after = migrations.schema_after(REVISION)\nassert again == after\n").body
    assert body.splitlines() == [
        "alembic_runner.migrate_up_to(REVISION)", "after = schema_of(alembic_engine)",
        "alembic_runner.migrate_down_one()", "alembic_runner.migrate_up_to(REVISION)",
        "again = schema_of(alembic_engine)", "assert again == after",
    ]


def test_a_data_test_seeds_with_insert_into_and_reads_rows_from_the_engine():
    translation = translate(
        "database = migrations.database_before(REVISION)\n"
        "database.insert('orders', [\n    {'id': 1, 'status': None},\n])\n"
        "database.upgrade(REVISION)\n"
        "assert database.rows('orders', without=['placed_at']) == [{'id': 1, 'status': 'new'}]\n"
        "database.downgrade(REVISION)\n"
        "assert len(database.execute('SELECT id FROM orders')) == 1\n")
    assert translation.body.splitlines() == [
        "alembic_runner.migrate_up_before(REVISION)",
        "alembic_runner.insert_into('orders', [", "    {'id': 1, 'status': None},", "])",
        "alembic_runner.migrate_up_to(REVISION)",
        "assert rows(alembic_engine, 'orders', without=['placed_at']) == [{'id': 1, 'status': 'new'}]",
        "alembic_runner.migrate_down_one()",
        "assert len(execute(alembic_engine, 'SELECT id FROM orders')) == 1",
    ]
    assert translation.helpers == {"rows", "execute"} and translation.uses_engine


def test_an_action_that_must_raise_keeps_its_block():
    body = translate("database = migrations.database_before(REVISION)\n"
                     "with pytest.raises(Exception):\n    database.upgrade(REVISION)\n").body
    assert body.splitlines() == ["alembic_runner.migrate_up_before(REVISION)", "with pytest.raises(Exception):",
                                 "    alembic_runner.migrate_up_to(REVISION)"]


@pytest.mark.parametrize(("body", "why"), [
    ("helper(migrations)\n", "uses the migrations fixture"),
    ("database = migrations.database_before(REVISION)\nkeep = database\n", "as a value"),
    ("database = migrations.database_before(REVISION)\ndatabase.dispose()\n", "calls dispose"),
    ("schema = migrations.schema_after(REVISION)\ndatabase = migrations.database_before(REVISION)\n", "in one test"),
    ("a = migrations.schema_after(REVISION)\nb = migrations.schema_after(REVISION)\n", "twice"),
    ("a = migrations.schema_after(REVISION)\nb = migrations.schema_before(OTHER)\n", "several revisions"),
])
def test_what_pytest_alembic_cannot_express_is_refused_with_the_reason(body, why):
    with pytest.raises(Untranslatable, match=why):
        translate(body)
