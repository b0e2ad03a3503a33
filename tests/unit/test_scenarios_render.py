"""Scenarios as test bodies, and expectations checked against rows with what went otherwise in words."""

from __future__ import annotations

import ast
import datetime
import decimal

from localmig.engines.scenarios.expect import Shown, answer_values, failures, problems
from localmig.engines.scenarios.placeholders import Literals
from localmig.engines.scenarios.render import characterization, scenario_test
from localmig.engines.scenarios.run import ScenarioRun, StepResult
from localmig.engines.scenarios.types import Expectation, Scenario, SeedRows

SEED = [SeedRows(table="customers", rows=[{"id": 1, "joined": datetime.datetime(2024, 5, 1, 10, 0)}]),
        SeedRows(table="orders", rows=[{"id": 1, "customer_id": 1, "status": None}, {"id": 2, "customer_id": 1, "status": "paid"}])]


def compiles(body: str) -> None:
    ast.parse("def test_x(migrations):\n" + "\n".join("    " + line for line in body.splitlines()))


def test_a_scenario_renders_its_expectations_as_plain_asserts():
    scenario = Scenario(name="orders_kept", purpose="Orders are kept", seed=SEED, action="upgrade_then_downgrade", expect=[
        Expectation(table="orders", after="upgrade", where={"status": None}, count=0),
        Expectation(table="orders", after="upgrade", where={"id": 2}, values={"status": ["paid", "shipped"],
                                                                             "total": decimal.Decimal("9.50")}),
        Expectation(table="customers", after="upgrade", values={"active": True}),
        Expectation(table="orders", after="downgrade", rows=[{"id": 1}, {"id": 2}]),
    ])
    case, imports = scenario_test(scenario)

    compiles(case.body)
    assert (case.name, case.aspect, case.engine, case.docstring) == ("test_orders_kept", "data", "model", "Orders are kept.")
    assert imports == {"import datetime", "import decimal"}
    assert case.body.splitlines() == [
        "database = migrations.database_before(REVISION)",
        "database.insert('customers', [{'id': 1, 'joined': datetime.datetime(2024, 5, 1, 10, 0)}])",
        "database.insert('orders', [",
        "    {'id': 1, 'customer_id': 1, 'status': None},",
        "    {'id': 2, 'customer_id': 1, 'status': 'paid'},",
        "])",
        "database.upgrade(REVISION)",
        "rows = [row for row in database.rows('orders') if row['status'] is None]",
        "assert len(rows) == 0",
        "rows = [row for row in database.rows('orders') if row['id'] == 2]",
        "assert rows",
        "for row in rows:",
        "    assert row['status'] in ('paid', 'shipped'), row",
        "    assert row['total'] == decimal.Decimal('9.50'), row",
        "rows = database.rows('customers')",
        "assert rows",
        "for row in rows:",
        "    assert row['active'] is True, row",
        "database.downgrade(REVISION)",
        "assert [row['id'] for row in database.rows('orders')] == [1, 2]",
    ]


def test_a_scenario_that_must_raise_and_one_that_starts_after_the_upgrade():
    raising, imports = scenario_test(Scenario(name="duplicates_fail", purpose="p", seed=SEED, action="upgrade", raises=True))
    compiles(raising.body)
    assert raising.body.endswith("with pytest.raises(Exception):\n    database.upgrade(REVISION)")
    assert "import pytest" in imports
    downgrade, _ = scenario_test(Scenario(name="down", purpose="p", seed=SEED, action="downgrade",
                                          expect=[Expectation(table="orders", after="downgrade", count=2)]))
    assert downgrade.body.startswith("database = migrations.database_after(REVISION)\n")
    assert "database.downgrade(REVISION)\nrows = database.rows('orders')\nassert len(rows) == 2" in downgrade.body
    assert "upgrade(REVISION)" not in downgrade.body


def test_a_characterization_records_the_rows_the_database_took_and_leaves_out_unstable_columns():
    scenario = Scenario(name="orders_kept", purpose="Orders are kept", seed=SEED)
    run = ScenarioRun(accepted=SEED[1:], steps={
        "upgrade": StepResult(rows={"orders": [{"id": 1, "status": "new", "placed_at": 1}]}),
        "downgrade": StepResult(rows={"orders": [{"id": 1, "status": None, "placed_at": 1}]})},
        unstable={"orders": ["placed_at"]})
    case, imports, review = characterization(scenario, run, "the expected rows are what localmig observed")

    compiles(case.body)
    assert review == "the expected rows are what localmig observed"
    assert case.docstring == ("Characterization (to review): Orders are kept. localmig ran these rows through the "
                              "migration and recorded what it found: the expected rows are what localmig observed.")
    assert "database.insert('customers'" not in case.body  # the rows the database refused are not in the test
    assert "database.upgrade(REVISION)\nassert database.rows('orders', without=['placed_at']) == [{'id': 1, 'status': 'new'}]" in case.body


def test_a_step_that_raised_becomes_a_test_that_runs_it():
    run = ScenarioRun(accepted=SEED, steps={"upgrade": StepResult(
        error="IntegrityError: NOT NULL constraint failed: orders.status [SQL: INSERT INTO x] (at f.py:3)")})
    case, _, review = characterization(Scenario(name="nulls", purpose="Orders without status", seed=SEED), run, "x")

    assert case.body.endswith("database.upgrade(REVISION)")
    assert review == "the upgrade raised on the model's rows"
    assert case.docstring == ("Orders without status. The upgrade must run on these rows (it raised IntegrityError: "
                              "NOT NULL constraint failed: orders.status).")


ROWS = [{"id": 1, "status": "legacy", "n": 4242}, {"id": 2, "status": "paid", "n": 3}]
SHOWN = Shown(Literals({"<str_1>": "legacy", "<num_2>": 4242}), answer_values(['{"a": "paid", "b": 2}']))


def test_what_went_otherwise_is_said_with_placeholders_and_the_models_own_values_only():
    assert problems(Expectation(table="orders", after="upgrade", count=3), ROWS, SHOWN) == [
        "you expected 3 rows of orders after the upgrade; there are 2"]
    assert problems(Expectation(table="orders", after="upgrade", where={"id": 2}, values={"status": "new"}), ROWS, SHOWN) == [
        "you expected status = <str> in the rows of orders where id = 2; after the upgrade they hold status = 'paid'"]
    assert problems(Expectation(table="orders", after="upgrade", values={"n": [3]}), ROWS, SHOWN) == [
        "you expected n in (<num>) in the rows of orders; after the upgrade they hold n = <num_2>, <num>"]
    assert problems(Expectation(table="orders", after="downgrade", rows=[{"status": "paid"}]), ROWS, SHOWN) == [
        "you expected the rows of orders to be (status) = [('paid')]; after the downgrade they are [(<str_1>), ('paid')]"]
    assert problems(Expectation(table="orders", after="upgrade", where={"id": 9}, values={"n": 1}), ROWS, SHOWN) == [
        "you expected the rows of orders where id = <num> to hold n = <num>; after the upgrade no row matches"]
    assert problems(Expectation(table="orders", after="upgrade", where={"status": None}, count=0), ROWS, SHOWN) == []


def test_failures_of_a_run_name_the_step_that_raised_or_the_rows_refused():
    scenario = Scenario(name="s", purpose="p", seed=SEED, expect=[Expectation(table="orders", after="upgrade", count=2)])
    raised = ScenarioRun(rejected=["seed[1] (orders).rows[0]: CHECK constraint failed: 'secret'"],
                         steps={"upgrade": StepResult(error="IntegrityError: UNIQUE constraint failed: orders.code")})

    assert failures(scenario, raised, SHOWN, {"orders"}) == [
        "the database refused seed[1] (orders).rows[0]: CHECK constraint failed: '<str>'",
        "the upgrade raised: IntegrityError: UNIQUE constraint failed: orders.code"]
    expected_to_raise = scenario.model_copy(update={"raises": True, "expect": []})
    assert failures(expected_to_raise, ScenarioRun(steps={"upgrade": StepResult()}), SHOWN, set()) == [
        "you expected the upgrade to raise; it ran without an error"]
