"""parse_answer: an answer in the per-revision format as scenarios, or every problem in words the
model can act on (each message goes back in the repair prompt)."""

from __future__ import annotations

import datetime
import decimal
import json

from localmig.engines.scenarios.placeholders import Literals
from localmig.engines.scenarios.validate import parse_answer
from tests.unit.test_scenarios_format import answer_format

LITERALS = Literals({"<str_1>": "legacy", "<num_2>": 4242, "<num_3>": 7})
CUSTOMER = {"id": 1, "email": "a@example.test"}


def parse(*scenarios: dict, output: str = "scenarios", taken: set[str] | None = None):
    return parse_answer(json.dumps({"scenarios": list(scenarios)}), answer_format(output), LITERALS,
                        taken if taken is not None else {"test_upgrade_adds_orders_note"})


def scenario(name="a_scenario", seed=None, expect=None, action="upgrade", **extra) -> dict:
    found = {"name": name, "purpose": "What it reaches.", "action": action,
             "seed": seed if seed is not None else [{"table": "customers", "rows": [CUSTOMER]}],
             "expect": expect if expect is not None else [{"table": "customers", "after": "upgrade", "count": 1}]}
    found.update(extra)
    return found


def errors(*scenarios: dict, **options) -> list[str]:
    found, problems = parse(*scenarios, **options)
    assert found is None
    return problems


def test_a_valid_answer_becomes_scenarios_with_python_values_and_literals_substituted():
    [found], problems = parse(scenario(
        seed=[{"table": "customers", "rows": [{"id": 1, "email": "x<str_1>@example.test", "tier": "<str_1>",
                                               "joined": "2024-05-01T10:00:00Z", "balance": "<num_2>"}]},
              {"table": "orders", "rows": [{"id": 1, "customer_id": 1, "quantity": "<num_3>"}]}],
        expect=[{"table": "orders", "after": "upgrade", "where": {"quantity": "<num_3>"}, "values": {"status": None}}],
        purpose="Rows at <str_1>."))

    assert problems == []
    customers, orders = found.seed
    assert customers.rows == [{"id": 1, "email": "xlegacy@example.test", "tier": "legacy",
                               "joined": datetime.datetime(2024, 5, 1, 10, 0), "balance": decimal.Decimal("4242")}]
    assert orders.rows == [{"id": 1, "customer_id": 1, "quantity": 7}]
    assert found.expect[0].where == {"quantity": 7} and found.expect[0].values == {"status": None}
    assert found.purpose == "Rows at legacy."  # the test's docstring, written on this machine


def test_columns_left_out_stay_out_and_null_stays_null():
    [found], _ = parse(scenario(seed=[{"table": "customers", "rows": [{"id": 1, "email": "a@x", "tier": None}]}]))

    assert found.seed[0].rows == [{"id": 1, "email": "a@x", "tier": None}]


def test_names_lose_a_test_prefix_and_are_made_unique():
    found, _ = parse(scenario("test_orders_kept"), scenario("orders_kept", action="upgrade_then_downgrade"),
                     scenario("upgrade_adds_orders_note", expect=[{"table": "customers", "after": "upgrade", "count": 2}]))

    assert [s.name for s in found] == ["orders_kept", "orders_kept_2", "upgrade_adds_orders_note_2"]


def test_the_same_scenario_twice_is_kept_once():
    found, problems = parse(scenario("first"), scenario("second"), scenario("third", action="upgrade_then_downgrade"))

    assert problems == [] and [s.name for s in found] == ["first", "third"]


def test_the_same_row_twice_is_kept_once():
    [found], problems = parse(scenario(seed=[{"table": "customers", "rows": [CUSTOMER, CUSTOMER]},
                                             {"table": "customers", "rows": [CUSTOMER]}]))

    assert problems == [] and [item.rows for item in found.seed] == [[CUSTOMER]]


def test_children_before_their_parents_are_sent_back():
    assert errors(scenario(seed=[{"table": "orders", "rows": [{"id": 1, "customer_id": 1, "quantity": 1}]},
                                 {"table": "customers", "rows": [CUSTOMER]}])) == [
        "scenarios[0] (a_scenario): seed[0] (orders).rows[0]: customer_id = 1 references customers, but no customers "
        "row with id = 1 is seeded before it: seed the parent rows first"]


def test_a_key_seeded_twice_is_sent_back_with_placeholders_for_literals():
    problems = errors(scenario(seed=[{"table": "customers", "rows": [
        {"id": 4242, "email": "a@x"}, {"id": 4242, "email": "b@x"}]}]))

    assert problems == ["scenarios[0] (a_scenario): seed[0] (customers).rows[1]: id = '<num_2>' is seeded twice in "
                        "customers (the primary key): give each row its own value"]


def test_a_not_null_column_without_default_is_required_where_the_rows_are_inserted():
    # archive exists only after the upgrade: a downgrade scenario seeds it; archive.id is its key
    assert errors(scenario(seed=[{"table": "archive", "rows": [{"id": 1}]}], action="upgrade",
                           expect=[{"table": "archive", "after": "upgrade", "count": 1}])) == [
        "scenarios[0] (a_scenario): seed[0] (archive): table archive does not exist before the upgrade "
        "(seed it in a downgrade scenario)"]
    [found], problems = parse(scenario(seed=[{"table": "archive", "rows": [{"id": 1}]}], action="downgrade",
                                       expect=[{"table": "customers", "after": "downgrade", "count": 0}]))
    assert problems == [] and found.start == "downgrade"


def test_expectations_must_fit_the_action_and_the_schema_after_their_step():
    problems = errors(
        scenario("wrong_step", expect=[{"table": "customers", "after": "downgrade", "count": 1}]),
        scenario("gone_after_downgrade", action="upgrade_then_downgrade",
                 expect=[{"table": "archive", "after": "downgrade", "count": 0}]),
        scenario("says_nothing", expect=[{"table": "customers", "after": "upgrade", "where": {"id": 1}}]),
    ) + errors(
        scenario("expects_nothing", expect=[]),
        scenario("raises_and_reads", raises=True),
        scenario("ragged_rows", expect=[{"table": "customers", "after": "upgrade",
                                         "rows": [{"id": 1}, {"id": 2, "email": "b@x"}]}]),
    )

    assert problems == [
        "scenarios[0] (wrong_step): expect[0] (customers): after is 'downgrade', but the action 'upgrade' runs upgrade only",
        "scenarios[1] (gone_after_downgrade): expect[0] (archive): table archive does not exist after the downgrade",
        "scenarios[2] (says_nothing): expect[0] (customers): it checks nothing: give count, values or rows",
        "scenarios[0] (expects_nothing): it expects nothing: add an expectation, or set raises to true",
        "scenarios[1] (raises_and_reads): raises is true, so nothing is read after the step: leave expect empty",
        "scenarios[2] (ragged_rows): expect[0] (customers): every item of rows must give the same columns",
    ]


def test_inputs_answers_need_no_expectations():
    [found], problems = parse({"name": "rows_only", "purpose": "Rows.", "seed": [{"table": "customers", "rows": [CUSTOMER]}]},
                              output="inputs")

    assert problems == [] and found.expect == [] and found.action == "upgrade_then_downgrade"


def test_the_alternatives_of_a_value_are_said_in_one_line():
    problems = errors(scenario(seed=[{"table": "orders", "rows": [{"id": 1, "customer_id": 1, "quantity": "many"}]}]))

    assert problems == ["scenarios[0].seed[0].orders.rows[0].quantity: Input should be a valid integer, unable to parse "
                        "string as an integer or Input should be '<num_2>', '<num_3>', ':num_2' or ':num_3'"]


def test_invalid_json_and_schema_errors_name_where_they_are():
    assert parse_answer('{"scenarios": [', answer_format(), LITERALS, set())[1][0].startswith(
        "the answer is not valid JSON: Expecting value at line 1 column 16")
    problems = errors(scenario(seed=[{"table": "customers", "rows": [{"id": 1}]}]))
    assert problems == ["scenarios[0].seed[0].customers.rows[0].email: Field required"]


def test_inputs_leave_out_rows_that_break_a_key_once_the_repairs_are_spent():
    answer = json.dumps({"scenarios": [{"name": "rows", "purpose": "Rows.", "seed": [
        {"table": "customers", "rows": [CUSTOMER, {"id": 1, "email": "b@x"}, {"id": 2, "email": "c@x"}]},
        {"table": "orders", "rows": [{"id": 1, "customer_id": 9, "quantity": 1}, {"id": 2, "customer_id": 2, "quantity": 1}]}]}]})

    strict = parse_answer(answer, answer_format("inputs"), LITERALS, set())
    [found], problems = parse_answer(answer, answer_format("inputs"), LITERALS, set(), lenient=True)

    assert strict[0] is None and len(strict[1]) == 2
    assert problems == [] and [len(item.rows) for item in found.seed] == [2, 1]
    assert found.left_out == [
        "seed[0] (customers).rows[1]: id = 1 is seeded twice in customers (the primary key): give each row its own value",
        "seed[1] (orders).rows[0]: customer_id = 9 references customers, but no customers row with id = 9 is seeded "
        "before it: seed the parent rows first"]
    orphans = json.dumps({"scenarios": [{"name": "rows", "purpose": "Rows.", "seed": [
        {"table": "orders", "rows": [{"id": 1, "customer_id": 9, "quantity": 1}]}]}]})
    assert parse_answer(orphans, answer_format("inputs"), LITERALS, set(), lenient=True)[1] == [
        "no row is left once the rows that break a key or refer to no row seeded before them are left out: "
        "give every row its own key and seed parents first"]
