"""Literals: the migration's values behind the placeholders its redacted source shows, and back."""

from __future__ import annotations

from pathlib import Path

from localmig.context import redact_source
from localmig.engines.scenarios.placeholders import Literals, placeholders_in

DEMO_DATA_MIGRATION = (Path(__file__).resolve().parents[2] / "examples" / "demo" / "migrations" / "versions"
                       / "d1a0055ad3f0_order_statuses_lookup_and_backfill.py")


def test_the_demos_data_migration_maps_every_placeholder_it_shows():
    source = DEMO_DATA_MIGRATION.read_text(encoding="utf-8")
    literals = Literals.of_source(source)

    assert set(literals.values) == placeholders_in([redact_source(source)])  # every one shown, and only those
    assert literals.values["<str_16>"] == "legacy-unknown"  # UPDATE orders SET status = :str_16 WHERE status IS NULL
    # UPDATE customers SET is_active = :num_17 WHERE email LIKE :str_18 AND id < :num_19 (in the order they appear)
    assert literals.values["<str_18>"] == "%@legacy-shop.invalid"
    assert (literals.values["<num_17>"], literals.values["<num_19>"]) == (0, 4242)
    assert literals.values["<str_20>"] == "legacy-unknown"  # the downgrade's UPDATE orders ... WHERE status = :str_20
    assert (literals.values["<str_13>"], literals.values["<num_15>"]) == ("legacy-unknown", 4242)  # bulk_insert row


def test_sql_literals_with_quotes_decimals_and_negatives():
    source = ('from alembic import op\n\ndef upgrade():\n'
              '    op.execute("UPDATE t SET note = \'it\'\'s\', ratio = 0.25 WHERE n > -3")\n')
    literals = Literals.of_source(source)

    assert sorted(literals.values.values(), key=str) == [-3, 0.25, "it's"]


def test_substitute_and_hide():
    literals = Literals({"<str_1>": "legacy", "<num_2>": 4242})

    assert literals.substitute("<str_1>") == "legacy"
    assert literals.substitute(":str_1") == "legacy"  # the SQL spelling
    assert literals.substitute("<num_2>") == 4242  # a number stays a number
    assert literals.substitute("x-<str_1>-<num_2>") == "x-legacy-4242"
    assert literals.substitute("<str_9>") == "<str_9>" and literals.substitute(5) == 5
    assert literals.hide("legacy") == "<str_1>" and literals.hide(4242) == "<num_2>"
    assert literals.hide("4242") == "4242" and literals.hide(True) is True and literals.hide(None) is None


def test_a_source_that_does_not_parse_maps_nothing():
    assert Literals.of_source("def upgrade(:\n").values == {}


def test_names_are_in_number_order():
    assert Literals({"<num_10>": 1, "<str_2>": "a", "<num_3>": 2}).names() == ["<str_2>", "<num_3>", "<num_10>"]
