"""Data scenarios from a (scripted) model on the demo: the per-revision format sent to Ollama, the
tests made from the answers, what goes back when an expectation fails, characterizations and
findings, inputs-only answers, privacy of the placeholders.

Nothing is mocked: the official ``ollama`` client talks HTTP to ``ScriptedOllama``; the demo's
history runs on scratch SQLite databases; the rendered tests run in a pytest subprocess.
"""

from __future__ import annotations

import json
import re

import jsonschema
from click.testing import CliRunner

from localmig.cli import cli
from localmig.engines.scenarios.types import MAX_ROWS, MAX_SCENARIOS
from localmig.errors import ExitCode
from localmig.render import read_header
from tests.e2e.test_model_scripted import (
    DATA_REV,
    MODEL,
    answer,
    clean_environment,
    cli_generate,
    copy_demo,
    generate,
    logged,
    model_test,
    write_config,
)
from tests.ollama_servers import ScriptedOllama

__all__ = ["clean_environment"]  # the autouse fixture, shared

STATUS_REV = "d1a008e2a5c9"  # orders.status becomes NOT NULL: an order without a status makes the upgrade fail
CUSTOMERS_REV = "d1a001e4c7b2"  # creates customers: no table can hold rows before it
# The literals of DATA_REV that must never reach the model (they stay behind placeholders)
LITERALS = ["legacy-unknown", "legacy-shop.invalid", "4242", "Imported from the 2019 shop", "Cancelled", "Shipped"]

CUSTOMER = {"id": 1, "email": "a@example.test", "full_name": "A"}


def scenario(name: str, seed: list[dict], expect: list[dict] | None = None, *, action: str = "upgrade",
             purpose: str = "What the rows reach.", raises: bool | None = None) -> dict:
    found = {"name": name, "purpose": purpose, "seed": seed, "action": action, "expect": expect or []}
    if raises is not None:
        found["raises"] = raises
    return found


def seed(table: str, *rows: dict) -> dict:
    return {"table": table, "rows": list(rows)}


def scenarios(*items: dict) -> dict:
    return {"scenarios": list(items)}


# An order without a status gets <str_16> ('legacy-unknown'); an order with one keeps it.
BACKFILL = scenario(
    "only_orders_without_status_get_the_legacy_one",
    [seed("customers", CUSTOMER),
     seed("orders", {"id": 1, "customer_id": 1, "status": None}, {"id": 2, "customer_id": 1, "status": "paid"})],
    [{"table": "orders", "after": "upgrade", "where": {"id": 1}, "count": 1, "values": {"status": "<str_16>"}},
     {"table": "orders", "after": "upgrade", "where": {"id": 2}, "values": {"status": "paid"}},
     {"table": "orders", "after": "downgrade", "rows": [{"id": 1, "status": None}, {"id": 2, "status": "paid"}]}],
    action="upgrade_then_downgrade", purpose="An order without a status gets <str_16>; one with a status keeps it.",
)
# Wrong: a customer whose email matches the LIKE (<str_18>) and whose id is low is switched off.
STILL_ACTIVE = scenario(
    "legacy_customers_stay_active",
    [seed("customers", {"id": 1, "email": "a<str_18>", "full_name": "A"}, {"id": 2, "email": "b@example.test", "full_name": "B"})],
    [{"table": "customers", "after": "upgrade", "where": {"is_active": True}, "count": 2}],
)
SWITCHED_OFF = scenario(
    "legacy_customers_stay_active",
    [seed("customers", {"id": 1, "email": "a<str_18>", "full_name": "A"}, {"id": 2, "email": "b@example.test", "full_name": "B"})],
    [{"table": "customers", "after": "upgrade", "where": {"is_active": False}, "count": 1, "values": {"id": 1}}],
)


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def branches(schema: dict, field: str) -> dict[str, dict]:
    """Table -> its branch of ``seed`` / ``expect`` items in the answer schema."""
    items = resolve(schema, schema["properties"]["scenarios"]["items"])["properties"][field]["items"]
    found = {}
    for branch in items.get("oneOf", [items]):
        branch = resolve(schema, branch)
        found[branch["properties"]["table"]["const"]] = branch
    return found


def run_generate(tmp_path, answers: list[dict | str], revision: str = DATA_REV, *, output: str | None = "scenarios",
                 model: str = MODEL, repair_rounds: int = 1, events: list | None = None):
    root = copy_demo(tmp_path)
    with ScriptedOllama(models=[model]) as server:
        for reply in answers:
            server.answer(reply if isinstance(reply, str) else json.dumps(reply))
        config = write_config(tmp_path / "models.yaml", server.host, model=model, output=output,
                              repair_rounds=repair_rounds)
        item = generate(root, config, revision, events=events)
        requests = server.chat_requests()
    return root, item, requests


# ---------------------------------------------------------------------------------- the format


def test_the_format_sent_holds_the_demos_tables_and_columns(tmp_path):
    root, item, [request] = run_generate(tmp_path, [scenarios(BACKFILL)])
    schema = request.json["format"]

    seeded = branches(schema, "seed")
    assert set(seeded) == {"addresses", "customers", "order_items", "orders", "products", "order_statuses"}
    # parents first, so a model that takes the branches in order seeds parents before children
    assert list(seeded).index("customers") < list(seeded).index("orders") < list(seeded).index("order_items")
    orders = resolve(schema, seeded["orders"]["properties"]["rows"]["items"])
    assert orders["additionalProperties"] is False
    number = {"anyOf": [{"type": "integer"}, {"$ref": "#/$defs/NumberPlaceholder"}]}  # WHERE id < :num_19 exists
    assert orders["properties"] == {
        "id": number,
        "customer_id": number,
        "status": {"anyOf": [{"maxLength": 20, "type": "string"}, {"type": "null"}]},
        "placed_at": {"format": "date-time", "type": "string"},
    }
    assert orders["required"] == ["id", "customer_id"]  # placed_at has a server default, status is nullable
    assert seeded["orders"]["properties"]["rows"]["maxItems"] == MAX_ROWS
    customers = resolve(schema, seeded["customers"]["properties"]["rows"]["items"])
    assert customers["properties"]["email"] == {"maxLength": 64, "type": "string"}  # String(255), bounded
    assert customers["properties"]["is_active"] == {"type": "boolean"}
    assert set(branches(schema, "expect")) == set(seeded)
    assert schema["properties"]["scenarios"]["maxItems"] == MAX_SCENARIOS
    # the migration's numbers are offered as placeholders, never as values
    assert schema["$defs"]["NumberPlaceholder"]["enum"][:7] == ["<num_3>", "<num_6>", "<num_9>", "<num_12>", "<num_15>",
                                                            "<num_17>", "<num_19>"]
    assert "4242" not in json.dumps(schema) and "legacy" not in json.dumps(schema)
    # the answer the model gave obeys the format, and so what it was asked is what it was logged with
    jsonschema.Draft202012Validator(schema).validate(scenarios(BACKFILL))
    [exchange] = logged(root)
    assert exchange.messages == request.json["messages"]
    assert request.json["messages"][0]["content"].startswith("You test one Alembic migration revision with data scenarios")


def test_every_array_and_string_of_the_format_is_bounded(tmp_path):
    root, item, [request] = run_generate(tmp_path, [scenarios(BACKFILL)])

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "array":
                assert "maxItems" in node, node
            if node.get("type") == "string" and not {"enum", "const", "format"} & set(node):
                assert "maxLength" in node or "pattern" in node, node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(request.json["format"])


# ---------------------------------------------------------------------------------- scenarios


def test_a_valid_scenario_becomes_a_readable_test_that_passes_and_is_written(tmp_path):
    root, item, requests = run_generate(tmp_path, [scenarios(BACKFILL)])

    assert len(requests) == 1 and item.model_error is None and item.dropped == []
    outcome = next(o for o in item.outcomes if o.engine == "model")
    assert (outcome.name, outcome.aspect, outcome.verdict) == ("test_only_orders_without_status_get_the_legacy_one", "data", "passed")
    written = (root / "tests" / "migrations" / item.filename).read_text(encoding="utf-8")
    header, body = read_header(written)
    assert header is not None and header.engines == ["deterministic", "model"] and header.model == MODEL
    function = body[body.index("def test_only_orders_without_status_get_the_legacy_one"):]
    assert function.startswith(
        "def test_only_orders_without_status_get_the_legacy_one(migrations):\n"
        '    """An order without a status gets legacy-unknown; one with a status keeps it."""\n'
        "    database = migrations.database_before(REVISION)\n"
        "    database.insert('customers', [{'id': 1, 'email': 'a@example.test', 'full_name': 'A'}])\n"
        "    database.insert('orders', [\n"
        "        {'id': 1, 'customer_id': 1, 'status': None},\n"
        "        {'id': 2, 'customer_id': 1, 'status': 'paid'},\n"
        "    ])\n"
        "    database.upgrade(REVISION)\n"
        "    rows = [row for row in database.rows('orders') if row['id'] == 1]\n"
        "    assert len(rows) == 1\n"
        "    for row in rows:\n"
        "        assert row['status'] == 'legacy-unknown', row\n"
    )
    assert "    database.downgrade(REVISION)\n    assert [(row['id'], row['status']) for row in database.rows('orders')] == [(1, None), (2, 'paid')]\n" in function
    assert [(e.purpose, e.outcome) for e in logged(root)] == [("generate", "verified: 1 kept")]


def test_an_expectation_that_fails_goes_back_once_with_what_was_observed(tmp_path):
    root, item, requests = run_generate(tmp_path, [scenarios(STILL_ACTIVE), scenarios(SWITCHED_OFF)])

    assert len(requests) == 2
    feedback = requests[1].json["messages"][-1]["content"]
    assert feedback == (
        "localmig ran your scenarios on a scratch database, on the unchanged migration. These did not hold:\n"
        "- legacy_customers_stay_active: you expected 2 rows of customers where is_active = True after the upgrade; "
        "there is 1\n\n"
        "Where the migration is right, correct the expectation (or the rows); keep the scenarios that held. "
        "Answer again with the complete JSON (all scenarios).\n"
    )
    outcome = next(o for o in item.outcomes if o.engine == "model")
    assert (outcome.name, outcome.verdict) == ("test_legacy_customers_stay_active", "passed")
    model_tests = [t for t in item.plan.tests if t.engine == "model"]
    assert [t.review for t in model_tests] == [None]  # the model's corrected expectation, not a characterization
    assert [(e.purpose, e.outcome) for e in logged(root)] == [("generate", "valid"), ("repair_scenarios", "verified: 1 kept")]


def test_an_expectation_still_failing_becomes_a_characterization_marked_for_review(tmp_path):
    root, item, requests = run_generate(tmp_path, [scenarios(STILL_ACTIVE), scenarios(STILL_ACTIVE)])

    assert len(requests) == 2  # once back to the model, then recorded as observed without asking again
    [test] = [t for t in item.plan.tests if t.engine == "model"]
    assert test.name == "test_legacy_customers_stay_active"
    assert test.review and "the model's expectation did not hold" in test.review
    assert "you expected 2 rows of customers where is_active = True after the upgrade; there is 1" in test.review
    assert test.docstring.startswith("Characterization (to review): ")
    assert "assert database.rows('customers', without=['created_at']) == [\n" \
           "    {'id': 1, 'email': 'a%@legacy-shop.invalid', 'full_name': 'A', 'is_active': False},\n" in test.body
    assert {o.name: o.verdict for o in item.outcomes}["test_legacy_customers_stay_active"] == "passed"
    assert logged(root)[-1].outcome == "verified: 1 kept (1 to review)"


def test_rows_that_make_the_upgrade_raise_become_a_finding_and_a_test_that_exposes_it(tmp_path):
    no_status = scenario("an_order_without_status_keeps_working", [
        seed("customers", CUSTOMER), seed("orders", {"id": 1, "customer_id": 1, "status": None})],
        [{"table": "orders", "after": "upgrade", "count": 1}])
    root, item, requests = run_generate(tmp_path, [scenarios(no_status), scenarios(no_status)], STATUS_REV)

    assert len(requests) == 2
    assert ("an_order_without_status_keeps_working: the upgrade raised: IntegrityError: (sqlite3.IntegrityError) "
            "NOT NULL constraint failed: _alembic_tmp_orders.status") in requests[1].json["messages"][-1]["content"]
    [finding] = [f for f in item.findings if f.kind == "upgrade_fails_with_rows"]
    assert finding.message.startswith("upgrade with the rows of scenario an_order_without_status_keeps_working: ")
    outcome = next(o for o in item.outcomes if o.engine == "model")
    assert (outcome.verdict, outcome.finding) == ("migration_defect", finding.message)
    written = (root / "tests" / "migrations" / item.filename).read_text(encoding="utf-8")
    assert "def test_an_order_without_status_keeps_working(migrations):" in written
    assert "upgrade with the rows of scenario an_order_without_status_keeps_working" in written  # listed in the docstring


def test_an_answer_that_breaks_the_rules_goes_back_with_a_clear_repair_message(tmp_path):
    children_first = scenario("orders_first", [
        seed("orders", {"id": 1, "customer_id": 1, "status": None}), seed("customers", CUSTOMER)],
        [{"table": "orders", "after": "upgrade", "count": 1}])
    missing = scenario("a_customer_without_name", [seed("customers", {"id": 1, "email": "a@example.test"})],
                       [{"table": "customers", "after": "upgrade", "count": 1}])
    root, item, requests = run_generate(tmp_path, [scenarios(children_first), scenarios(missing), scenarios(BACKFILL)],
                                        repair_rounds=2)

    first, second = (r.json["messages"][-1]["content"] for r in requests[1:])
    assert first == (
        "Your answer could not be used:\n"
        "- scenarios[0] (orders_first): seed[0] (orders).rows[0]: customer_id = 1 references customers, but no "
        "customers row with id = 1 is seeded before it: seed the parent rows first\n\n"
        "Answer again with the complete JSON, fixing every problem above.\n")
    assert "- scenarios[0].seed[0].customers.rows[0].full_name: Field required\n" in second
    assert [(e.purpose, e.outcome) for e in logged(root)] == [
        ("generate", "invalid"), ("repair_answer", "invalid"), ("repair_answer", "verified: 1 kept")]
    assert item.conversation.valid == [False, False, True]


def test_a_revision_whose_tables_cannot_hold_rows_before_it_sends_nothing(tmp_path):
    root, item, requests = run_generate(tmp_path, [], CUSTOMERS_REV)

    assert requests == [] and item.model_error is None and item.conversation is None
    assert {t.engine for t in item.plan.tests} == {"deterministic"}


# ---------------------------------------------------------------------------------- inputs only


def test_a_small_model_answers_inputs_only_and_localmig_records_what_happens(tmp_path):
    inputs = {"scenarios": [{"name": "orders_with_and_without_status", "purpose": "One order without a status, one with.",
                             "seed": [seed("customers", CUSTOMER),
                                      seed("orders", {"id": 1, "customer_id": 1, "status": None},
                                           {"id": 2, "customer_id": 1, "status": "paid"})]}]}
    root, item, [request] = run_generate(tmp_path, [inputs], output=None, model="smollm2:135m")

    system = request.json["messages"][0]["content"]
    assert system.startswith("You choose rows to insert into the tables before one Alembic migration revision runs")
    scenario_schema = resolve(request.json["format"], request.json["format"]["properties"]["scenarios"]["items"])
    assert list(scenario_schema["properties"]) == ["name", "purpose", "seed"]  # no expectations to write
    assert "order_statuses" not in branches(request.json["format"], "seed")  # only tables that exist before the upgrade
    [test] = [t for t in item.plan.tests if t.engine == "model"]
    assert test.review == "the rows are the model's, the expected rows what localmig observed"
    assert "database.upgrade(REVISION)\n" in test.body
    assert ("assert database.rows('orders', without=['placed_at']) == [\n"
            "    {'id': 1, 'customer_id': 1, 'status': 'legacy-unknown'},\n"
            "    {'id': 2, 'customer_id': 1, 'status': 'paid'},\n]") in test.body
    assert {o.name: o.verdict for o in item.outcomes}[test.name] == "passed"


def test_inputs_that_make_the_upgrade_raise_are_a_finding_at_once(tmp_path):
    inputs = {"scenarios": [{"name": "an_order_without_status", "purpose": "An order whose status is NULL.",
                             "seed": [seed("customers", CUSTOMER), seed("orders", {"id": 1, "customer_id": 1, "status": None})]}]}
    root, item, requests = run_generate(tmp_path, [inputs], STATUS_REV, output="inputs")

    assert len(requests) == 1
    assert [f.kind for f in item.findings] == ["upgrade_fails_with_rows"]
    assert {o.name: o.verdict for o in item.outcomes}["test_an_order_without_status"] == "migration_defect"


# ---------------------------------------------------------------------------------- privacy


def test_placeholders_are_substituted_locally_and_never_sent_back(tmp_path):
    """The model names the migration's literals by their placeholders; localmig puts the literals into
    the tests it runs and writes, and what goes back to the model shows placeholders again."""
    wrong = scenario("legacy_orders_are_cancelled", [
        seed("customers", {"id": 1, "email": "a<str_18>", "full_name": "A"}),
        seed("orders", {"id": 1, "customer_id": 1, "status": None}, {"id": 2, "customer_id": 1, "status": "<str_16>"})],
        [{"table": "orders", "after": "upgrade", "where": {"id": 1}, "values": {"status": "cancelled"}},
         {"table": "customers", "after": "upgrade", "values": {"is_active": True, "email": "a<str_18>"}}])
    root, item, requests = run_generate(tmp_path, [scenarios(wrong), scenarios(wrong)])

    text = "\n".join(m["content"] for r in requests for m in r.json["messages"]) + json.dumps([r.json["format"] for r in requests])
    for literal in LITERALS:
        assert literal not in text, literal
    feedback = requests[1].json["messages"][-1]["content"]
    assert ("legacy_orders_are_cancelled: you expected status = 'cancelled' in the rows of orders where id = 1; "
            "after the upgrade they hold status = <str_16>") in feedback
    assert "you expected is_active = True in the rows of customers; after the upgrade they hold is_active = False" in feedback
    assert re.search(r"<str_\d+>", feedback)
    # locally, the literals are in the tests that ran and were written
    written = (root / "tests" / "migrations" / item.filename).read_text(encoding="utf-8")
    assert "'email': 'a%@legacy-shop.invalid'" in written and "'status': 'legacy-unknown'" in written


# ---------------------------------------------------------------------------------- the command line


def test_model_output_code_keeps_code_answers(tmp_path):
    root = copy_demo(tmp_path)
    with ScriptedOllama() as server:
        server.answer_json(answer(model_test("test_model_backfills_missing_status")))
        config = write_config(tmp_path / "models.yaml", server.host, output=None)  # the profile would answer scenarios
        result = cli_generate(root, config, DATA_REV, "--model-output", "code")
        [request] = server.chat_requests()

    assert result.returncode == 0, result.stdout + result.stderr
    assert request.json["messages"][0]["content"].startswith("You write pytest tests for one Alembic migration revision")
    assert set(request.json["format"]["properties"]) == {"imports", "tests"}
    written = next((root / "tests" / "migrations").glob(f"test_{DATA_REV}_*.py")).read_text(encoding="utf-8")
    assert "def test_model_backfills_missing_status(migrations):" in written


def test_an_unknown_model_output_is_a_usage_error(tmp_path):
    result = cli_generate(copy_demo(tmp_path), tmp_path / "models.yaml", DATA_REV, "--model-output", "prose")

    assert result.returncode == ExitCode.USAGE
    assert "Invalid value for '--model-output': 'prose' is not one of 'scenarios', 'inputs', 'code'" in result.stderr
    assert "Traceback" not in result.stderr


def test_show_prompt_prints_the_scenario_request_the_server_receives(tmp_path, monkeypatch):
    root = copy_demo(tmp_path)
    with ScriptedOllama() as server:
        config = write_config(tmp_path / "models.yaml", server.host, output=None)  # codellama:7b: scenarios
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
        shown = CliRunner().invoke(cli, ["show-prompt", str(root), "--rev", DATA_REV, "--config", str(config), "--json"])
        assert shown.exit_code == 0, shown.output
        assert server.requests == []  # nothing is sent
        server.answer_json(scenarios(BACKFILL))
        generate(root, config, DATA_REV)
        [request] = server.chat_requests()

    body = json.loads(shown.stdout)
    assert body["messages"] == request.json["messages"]
    assert body["format"] == request.json["format"]
    nothing = CliRunner().invoke(cli, ["show-prompt", str(root), "--rev", CUSTOMERS_REV, "--config", str(config)])
    assert nothing.exit_code == 0, nothing.output
    assert nothing.stdout.startswith(f"nothing would be sent for {CUSTOMERS_REV}: no table it is about can hold rows")


def test_batch_and_show_prompt_take_model_output():
    for command in ("generate", "batch", "show-prompt"):
        shown = CliRunner().invoke(cli, [command, "--help"])
        assert "--model-output [scenarios|inputs|code]" in shown.stdout, command
