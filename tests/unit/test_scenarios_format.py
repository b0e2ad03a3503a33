"""The per-revision answer format: built from hand-made schemas, so every case is about the format alone.

The format's JSON schema is what goes to Ollama; the same pydantic models validate the answer
again. Both must accept and refuse the same answers.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
from pydantic import ValidationError

from localmig.engines.scenarios.schema import AnswerFormat, table_formats
from localmig.schema import ColumnInfo, ForeignKeyInfo, PrimaryKeyInfo, SchemaSnapshot, TableInfo


def column(type_: str, nullable: bool = True, default: str | None = None, **extra) -> ColumnInfo:
    return ColumnInfo(type=type_, nullable=nullable, default=default, **extra)


CUSTOMERS = TableInfo(columns={
    "id": column("Integer()", False),
    "email": column("String(length=255)", False),
    "tier": column("Enum('gold', 'standard', name='tier')"),
    "code": column("String(length=4)", False, "'xx'"),
    "joined": column("DateTime()", False, "CURRENT_TIMESTAMP"),
    "balance": column("Numeric(precision=10, scale=2)"),
    "payload": column("JSON()"),  # no scenario value for it: left out
    "upper_email": column("String(length=255)", computed="upper(email)"),
}, primary_key=PrimaryKeyInfo(columns=["id"]))
ORDERS = TableInfo(columns={
    "id": column("Integer()", False),
    "customer_id": column("Integer()", False),
    "status": column("String(length=20)"),
    "quantity": column("Integer()", False),
}, primary_key=PrimaryKeyInfo(columns=["id"]),
    foreign_keys=[ForeignKeyInfo(columns=["customer_id"], referred_table="customers", referred_columns=["id"])])
BLOBS = TableInfo(columns={"id": column("Integer()", False), "data": column("LargeBinary()", False)},
                  primary_key=PrimaryKeyInfo(columns=["id"]))
ARCHIVE = TableInfo(columns={"id": column("Integer()", False), "note": column("Text()")},
                    primary_key=PrimaryKeyInfo(columns=["id"]))

BEFORE = SchemaSnapshot(tables={"customers": CUSTOMERS, "orders": ORDERS, "blobs": BLOBS})
AFTER = SchemaSnapshot(tables={"customers": CUSTOMERS, "orders": ORDERS, "blobs": BLOBS, "archive": ARCHIVE})
PLACEHOLDERS = ["<str_1>", "<num_2>", "<num_3>"]


def answer_format(output: str = "scenarios", tables=("customers", "orders", "blobs", "archive")) -> AnswerFormat:
    return AnswerFormat(table_formats(BEFORE, AFTER, list(tables)), output, PLACEHOLDERS)  # type: ignore[arg-type]


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def seed_branches(schema: dict) -> dict[str, dict]:
    scenario = resolve(schema, schema["properties"]["scenarios"]["items"])
    items = scenario["properties"]["seed"]["items"]
    found = {}
    for branch in items.get("oneOf", [items]):
        branch = resolve(schema, branch)
        found[branch["properties"]["table"]["const"]] = resolve(schema, branch["properties"]["rows"]["items"])
    return found


def test_tables_whose_required_columns_cannot_be_given_are_left_out():
    formats = table_formats(BEFORE, AFTER, ["customers", "orders", "blobs", "archive", "unknown"])

    assert [t.name for t in formats] == ["customers", "orders", "archive"]  # blobs.data is binary and NOT NULL


def test_each_column_has_its_json_type_bounds_members_and_nullability():
    schema = answer_format().json_schema()
    customers = seed_branches(schema)["customers"]

    assert customers["additionalProperties"] is False
    assert customers["properties"] == {
        "id": {"anyOf": [{"type": "integer"}, {"$ref": "#/$defs/NumberPlaceholder"}]},  # keys too: WHERE id < :num_2
        "email": {"maxLength": 64, "type": "string"},
        "tier": {"anyOf": [{"enum": ["gold", "standard"], "type": "string"}, {"$ref": "#/$defs/StringPlaceholder"},
                           {"type": "null"}]},
        "code": {"anyOf": [{"maxLength": 4, "type": "string"}, {"$ref": "#/$defs/StringPlaceholder"}]},
        "joined": {"format": "date-time", "type": "string"},
        "balance": {"anyOf": [{"type": "number"}, {"$ref": "#/$defs/NumberPlaceholder"}, {"type": "null"}]},
    }
    assert customers["required"] == ["id", "email"]  # NOT NULL without default, and the key
    # both spellings the prompt shows: Python constants <num_2>, SQL :num_2
    assert schema["$defs"]["NumberPlaceholder"] == {"enum": ["<num_2>", "<num_3>", ":num_2", ":num_3"], "type": "string"}
    assert schema["$defs"]["StringPlaceholder"] == {"enum": ["<str_1>", ":str_1"], "type": "string"}
    orders = seed_branches(schema)["orders"]
    assert orders["properties"]["quantity"] == {"anyOf": [{"type": "integer"}, {"$ref": "#/$defs/NumberPlaceholder"}]}
    assert orders["properties"]["customer_id"] == {"anyOf": [{"type": "integer"}, {"$ref": "#/$defs/NumberPlaceholder"}]}


def test_scenarios_may_seed_a_table_created_by_the_revision_for_a_downgrade_inputs_may_not():
    assert list(seed_branches(answer_format("scenarios").json_schema())) == ["customers", "orders", "archive"]
    assert list(seed_branches(answer_format("inputs").json_schema())) == ["customers", "orders"]


def test_inputs_answers_have_no_expectations_and_fewer_scenarios():
    schema = answer_format("inputs").json_schema()
    scenario = resolve(schema, schema["properties"]["scenarios"]["items"])

    assert list(scenario["properties"]) == ["name", "purpose", "seed"]
    assert scenario["required"] == ["name", "purpose", "seed"]
    assert schema["properties"]["scenarios"]["maxItems"] == 2


def test_the_schema_has_no_titles_defaults_or_discriminators_but_keeps_a_column_named_title():
    table = TableInfo(columns={"id": column("Integer()", False), "title": column("String(length=10)"),
                               "default": column("Integer()")}, primary_key=PrimaryKeyInfo(columns=["id"]))
    snapshot = SchemaSnapshot(tables={"books": table})
    schema = AnswerFormat(table_formats(snapshot, snapshot, ["books"]), "scenarios", []).json_schema()
    text = json.dumps(schema)

    assert '"title": "' not in text and '"default":' not in text.replace('"default": {', "") and "discriminator" not in text
    assert set(seed_branches(schema)["books"]["properties"]) == {"id", "title", "default"}


VALID = {"scenarios": [{
    "name": "orders_of_gold_customers", "purpose": "Gold customers' orders.",
    "seed": [{"table": "customers", "rows": [{"id": 1, "email": "a@example.test", "tier": "gold", "balance": "<num_2>"}]},
             {"table": "orders", "rows": [{"id": 1, "customer_id": 1, "status": None, "quantity": 3}]}],
    "action": "upgrade",
    "expect": [{"table": "orders", "after": "upgrade", "where": {"status": None}, "count": 1,
                "values": {"quantity": [3, 4]}}],
}]}


@pytest.mark.parametrize("change, error", [
    (lambda a: a["scenarios"][0]["seed"][0].update(table="invoices"), "does not match any of the expected tags"),
    (lambda a: a["scenarios"][0]["seed"][0]["rows"][0].update(nickname="x"), "Extra inputs are not permitted"),
    (lambda a: a["scenarios"][0]["seed"][1]["rows"][0].update(quantity="three"), "quantity"),
    (lambda a: a["scenarios"][0]["seed"][0]["rows"][0].update(tier="platinum"), "Input should be 'gold' or 'standard'"),
    (lambda a: a["scenarios"][0]["seed"][0]["rows"][0].update(email="x" * 65), "at most 64 characters"),
    (lambda a: a["scenarios"][0]["seed"][0]["rows"][0].pop("email"), "Field required"),
    (lambda a: a["scenarios"][0]["seed"][0]["rows"][0].update(balance="<num_9>"), "balance"),
    (lambda a: a["scenarios"][0].update(name="Has Spaces"), "String should match pattern"),
    (lambda a: a["scenarios"].extend([a["scenarios"][0]] * 3), "at most 3 items"),
    (lambda a: a["scenarios"][0]["seed"][0].update(rows=[]), "at least 1 item"),
], ids=["unknown-table", "unknown-column", "string-for-integer", "not-an-enum-member", "too-long", "required-missing",
        "unknown-placeholder", "bad-name", "too-many-scenarios", "no-rows"])
def test_the_json_schema_and_pydantic_refuse_the_same_answers(change, error):
    chosen = answer_format()
    validator = jsonschema.Draft202012Validator(chosen.json_schema())
    validator.validate(VALID)
    chosen.answer.model_validate(VALID)
    bad = json.loads(json.dumps(VALID))
    change(bad)

    assert list(validator.iter_errors(bad))
    with pytest.raises(ValidationError) as raised:
        chosen.answer.model_validate(bad)
    assert error in str(raised.value)


def test_inputs_rows_name_only_the_columns_a_table_has_before_the_upgrade():
    """Inputs are seeded before the upgrade: a column the revision adds is not in the format (a small
    model put the demo's new products.discontinued_at into its rows, and no repair round helped)."""
    flagged = TableInfo(columns={**ORDERS.columns, "flagged": column("Boolean()")}, primary_key=ORDERS.primary_key,
                        foreign_keys=ORDERS.foreign_keys)
    after = SchemaSnapshot(tables={**AFTER.tables, "orders": flagged})
    formats = table_formats(BEFORE, after, ["customers", "orders"])
    inputs = seed_branches(AnswerFormat(formats, "inputs", PLACEHOLDERS).json_schema())
    scenarios = seed_branches(AnswerFormat(formats, "scenarios", PLACEHOLDERS).json_schema())
    assert "flagged" not in inputs["orders"]["properties"] and "status" in inputs["orders"]["properties"]
    assert "flagged" in scenarios["orders"]["properties"]  # a downgrade scenario's rows start after the upgrade
