"""Data observation (localmig.probe): synthetic rows, literals from SQL, observing real revisions."""

from __future__ import annotations

import datetime
import decimal
import logging
import shutil
import uuid

import pytest

from localmig.capture import Capture
from localmig.engines.literals import literal
from localmig.observe import mining, observe, seed_rows, source_literals, value_for
from localmig.observe import seeds as seeding
from localmig.project import load
from localmig.schema import ColumnInfo, SchemaSnapshot
from tests.conftest import DEMO, SCENARIOS


def col(type_="Integer()", nullable=False, default=None, computed=None, autoincrement=False):
    return {"type": type_, "nullable": nullable, "default": default, "autoincrement": autoincrement, "computed": computed}


def tbl(columns, pk=("id",), fks=(), uniques=()):
    return {
        "columns": columns,
        "primary_key": {"name": None, "columns": list(pk)},
        "foreign_keys": [
            {"name": None, "columns": [c], "referred_schema": None, "referred_table": t, "referred_columns": [r],
             "ondelete": None, "onupdate": None}
            for c, t, r in fks
        ],
        "indexes": [],
        "unique_constraints": [{"name": None, "columns": list(u)} for u in uniques],
        "check_constraints": [],
    }


SHOP = SchemaSnapshot.from_objects(
    {
        "table:order_items": tbl(
            {"id": col(), "order_id": col(), "product_id": col(), "quantity": col()},
            fks=[("order_id", "orders", "id"), ("product_id", "products", "id")],
        ),
        "table:orders": tbl(
            {"id": col(), "customer_id": col(), "status": col("String(length=20)", nullable=True),
             "note": col("Text()", nullable=True)},
            fks=[("customer_id", "customers", "id")],
        ),
        "table:customers": tbl(
            {"id": col(), "email": col("String(length=255)"), "country": col("String(length=2)"),
             "is_active": col("Boolean()", default="1")},
            uniques=[("email",)],
        ),
        "table:products": tbl({"id": col(), "sku": col("String(length=3)"), "price": col("Numeric(precision=10, scale=2)")}),
        "table:unrelated": tbl({"id": col()}),
    }
)


# --------------------------------------------------------------------------- literals from SQL


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("UPDATE orders SET x = 1 WHERE status = 'legacy-unknown'", {"status": ["legacy-unknown"]}),
        ("UPDATE orders SET x = 1, y = 'a'", {}),  # assignments are not conditions
        ('"UPDATE customers SET is_active = 0 " "WHERE email LIKE \'%@x.invalid\' AND id < 10"',
         {"email": ["x@x.invalid"], "id": [9]}),
        ("WHERE email LIKE '%@legacy-shop.invalid'", {"email": ["x@legacy-shop.invalid"]}),
        ("WHERE code like 'A_B%'", {"code": ["AyBx"]}),
        ("WHERE name ILIKE '%smith'", {"name": ["xsmith"]}),
        ("WHERE id < 4242", {"id": [4241]}),
        ("WHERE id <= 10", {"id": [10]}),
        ("WHERE id > 10", {"id": [11]}),
        ("WHERE id >= 777000", {"id": [777000]}),
        ("WHERE n <> 5", {"n": [4]}),
        ("WHERE n != 5", {"n": [4]}),
        ("WHERE price > 2.5", {"price": [3.5]}),
        ("WHERE delta = -3", {"delta": [-3]}),
        ("WHERE name = 'O''Brien'", {"name": ["O'Brien"]}),
        ("WHERE status <> 'closed'", {}),  # no value to aim for
        ("WHERE tier IS NULL", {}),
        ("WHERE Status = 'a' OR status = 'b' OR STATUS = 'a'", {"status": ["a", "b"]}),
    ],
)
def test_source_literals(sql, expected):
    assert source_literals(sql) == expected


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("UPDATE orders SET x = 1 WHERE status = 'a'", {"x": [1]}),
        ("update t set a = 'q', b = 2.5 where c = 1", {"a": ["q"], "b": [2.5]}),
        ('"UPDATE customers SET is_active = 0 " "WHERE email LIKE \'%@x\'"', {"is_active": [0]}),
        ("UPDATE t SET a = 1; UPDATE u SET a = 2 WHERE b = 3", {"a": [1, 2]}),
        ("SELECT * FROM t WHERE a = 1", {}),
    ],
)
def test_source_assignments(sql, expected):
    assert mining.source_assignments(sql) == expected


def test_literal_row_does_not_already_hold_the_assigned_values():
    """``UPDATE customers SET is_active = 0 WHERE email LIKE ...``: the row meeting the condition
    must start active, else the update changes nothing and no test can notice it."""
    literals = {"email": ["x@legacy.invalid"]}
    for assigned, wanted in (({"is_active": [0]}, True), ({"is_active": [1]}, False)):
        rows = seed_rows(SHOP, ["customers"], literals=literals, assigned=assigned, edge=True)["customers"]
        assert rows[-1]["email"] == "x@legacy.invalid"
        assert rows[-1]["is_active"] is wanted
    would = value_for("country", SHOP.tables["customers"].columns["country"], seeding.ROWS_PER_TABLE + 1)
    rows = seed_rows(SHOP, ["customers"], literals=literals)["customers"]
    assert rows[-1]["country"] == would
    rows = seed_rows(SHOP, ["customers"], literals=literals, assigned={"country": [would]})["customers"]
    assert rows[-1]["country"] != would and len(rows[-1]["country"]) <= 2


def test_source_literals_of_the_demo_backfill():
    text = (DEMO / "migrations" / "versions" / "d1a0055ad3f0_order_statuses_lookup_and_backfill.py").read_text()
    found = source_literals(text)
    assert "x@legacy-shop.invalid" in found["email"]
    assert 4241 in found["id"]


# --------------------------------------------------------------------------- synthetic rows


def test_seed_rows_puts_parents_first_and_references_them():
    seeds = seed_rows(SHOP, ["order_items"])
    assert list(seeds) == ["customers", "products", "orders", "order_items"]
    assert "unrelated" not in seeds
    customer_ids = {row["id"] for row in seeds["customers"]}
    order_ids = {row["id"] for row in seeds["orders"]}
    product_ids = {row["id"] for row in seeds["products"]}
    assert {row["customer_id"] for row in seeds["orders"]} <= customer_ids
    assert {row["order_id"] for row in seeds["order_items"]} <= order_ids
    assert {row["product_id"] for row in seeds["order_items"]} <= product_ids
    assert all(len(rows) == seeding.ROWS_PER_TABLE for rows in seeds.values())


def test_seed_rows_respect_lengths_and_are_distinct():
    seeds = seed_rows(SHOP, ["customers", "products"])
    for row in seeds["customers"]:
        assert len(row["country"]) <= 2 and len(row["email"]) <= 255
    for row in seeds["products"]:
        assert len(row["sku"]) <= 3
    for table, rows in seeds.items():
        for column in rows[0]:
            values = [row[column] for row in rows]
            if SHOP.tables[table].columns[column].type != "Boolean()":
                assert len(set(values)) == len(values), (table, column)
    assert all(isinstance(row["price"], decimal.Decimal) for row in seeds["products"])


def test_seed_rows_fill_not_null_columns():
    for table, rows in seed_rows(SHOP, ["order_items"]).items():
        for name, info in SHOP.tables[table].columns.items():
            if not info.nullable and info.default is None:
                assert all(row.get(name) is not None for row in rows), (table, name)


def test_edge_row_has_null_in_nullable_non_key_columns():
    seeds = seed_rows(SHOP, ["orders"], edge=True)
    orders = seeds["orders"]
    assert len(orders) == seeding.ROWS_PER_TABLE + 1
    edge = orders[-1]
    assert edge["status"] is None and edge["note"] is None
    assert edge["id"] is not None and edge["customer_id"] is not None
    # only the asked table gets the edge row, not its parents
    assert len(seeds["customers"]) == seeding.ROWS_PER_TABLE


def test_literal_row_carries_the_values_from_sql():
    literals = {"status": ["legacy-unknown-and-much-too-long"], "is_active": [0], "id": [4241]}
    seeds = seed_rows(SHOP, ["orders", "customers"], literals=literals)
    orders, customers = seeds["orders"], seeds["customers"]
    assert len(orders) == seeding.ROWS_PER_TABLE + 1
    assert orders[-1]["status"] == "legacy-unknown-and-m"  # cut to String(length=20)
    assert customers[-1]["is_active"] is False  # 0 fitted to Boolean
    assert orders[-1]["id"] != 4241  # a primary key keeps its distinct value
    assert [row["status"] for row in orders[:-1]] != ["legacy-unknown-and-m"] * (len(orders) - 1)


def test_unseedable_tables_are_left_out():
    snapshot = SchemaSnapshot.from_objects(
        {
            "table:parent": tbl({"id": col(), "tags": col("ARRAY(Integer())")}),  # NOT NULL, no value
            "table:child": tbl({"id": col(), "parent_id": col()}, fks=[("parent_id", "parent", "id")]),
            "table:loose": tbl({"id": col(), "parent_id": col(nullable=True), "blob": col("ARRAY(Integer())", nullable=True),
                                "made": col("ARRAY(Integer())", default="'{}'"), "total": col(computed="id * 2")},
                               fks=[("parent_id", "parent", "id")]),
        }
    )
    seeds = seed_rows(snapshot, ["child", "loose"])
    assert "parent" not in seeds and "child" not in seeds  # a required reference cannot be met
    assert seeds["loose"] == [{"id": 1}, {"id": 2}]  # nullable, defaulted and computed columns left out


@pytest.mark.parametrize(
    "type_, index, value",
    [
        ("Integer()", 3, 3),
        ("BigInteger()", 2, 2),
        ("String(length=10)", 1, "name-1"),
        ("String(length=4)", 12, "n-12"),
        ("Text()", 2, "name-2"),
        ("Boolean()", 1, True),
        ("Boolean()", 2, False),
        ("Numeric(precision=10, scale=2)", 2, decimal.Decimal("0.21")),
        ("Numeric()", 1, decimal.Decimal(11)),
        ("Float()", 1, 1.5),
        ("DateTime()", 2, datetime.datetime(2024, 1, 2, 12, 30)),
        ("Date()", 3, datetime.date(2024, 1, 3)),
        ("Time()", 4, datetime.time(12, 4)),
        ("Interval()", 5, datetime.timedelta(days=5)),
        ("JSON()", 1, {"key": "name-1"}),
        ("Uuid()", 7, uuid.UUID(int=7)),
        ("LargeBinary()", 1, b"name-1"),
        ("Enum('low', 'normal', 'urgent')", 2, "normal"),
        ("Enum('low', 'normal', 'urgent')", 4, "low"),
    ],
)
def test_value_for(type_, index, value):
    assert value_for("name", ColumnInfo(type=type_, nullable=False), index) == value


def test_value_for_unknown_type_has_no_value():
    assert value_for("x", ColumnInfo(type="ARRAY(Integer())", nullable=True), 1) is seeding._NO_VALUE
    assert value_for("x", ColumnInfo(type="Enum()", nullable=True), 1) is seeding._NO_VALUE


@pytest.mark.parametrize(
    "value, imports",
    [
        (datetime.datetime(2024, 1, 2, 12, 30), {"import datetime"}),
        (datetime.date(2024, 1, 2), {"import datetime"}),
        (decimal.Decimal("0.21"), {"import decimal"}),
        (uuid.UUID(int=7), {"import uuid"}),
        ({"key": [1, decimal.Decimal("2")]}, {"import decimal"}),
        ((1, "a"), set()),
        ([], set()),
        ("it's", set()),
        (None, set()),
        (b"x", set()),
    ],
)
def test_literal_renders_evaluable_code(value, imports):
    code, needs = literal(value)
    assert needs == imports
    namespace = {"datetime": datetime, "decimal": decimal, "uuid": uuid}
    assert eval(code, namespace) == value


# --------------------------------------------------------------------------- observing real revisions


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    """Captures of data_migration and the demo, kept open for observe()."""
    logging.disable(logging.INFO)
    folder = tmp_path_factory.mktemp("probe")
    opened = {}
    for name, source in (("data_migration", SCENARIOS / "data_migration"), ("demo", DEMO)):
        shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
        capture = Capture(load(folder / name))
        capture.run()
        opened[name] = capture
    yield opened
    for capture in opened.values():
        capture.close()
    logging.disable(logging.NOTSET)


def observe_revision(capture: Capture, revision: str):
    info = capture.project.by_id[revision]
    diff = capture.result.captures[revision].diff
    return observe(capture.history, info, capture.snapshot_before(revision), capture.snapshot_after(revision),
                   diff.touched_tables)


def test_observe_update_with_literals(captured):
    observation = observe_revision(captured["data_migration"], "da7a02e4f5a6")
    assert observation.changes_data is True
    seeded = observation.seeds["accounts"]
    assert any(row["lifetime_cents"] == 777000 for row in seeded)  # reaches the `>= 777000` branch
    tiers = {row["lifetime_cents"]: row["tier"] for row in observation.after_upgrade["accounts"]}
    assert tiers.pop(777000) == "gold-legacy"
    assert set(tiers.values()) == {"standard"}
    assert observation.after_downgrade == {"accounts": seeded}
    assert observation.upgrade_error is None and observation.downgrade_error is None
    assert observation.downgrade_lost == [] and observation.unstable_columns == {}


def test_observe_python_loop_data_step(captured):
    observation = observe_revision(captured["data_migration"], "da7a04f0a1b2")
    assert observation.changes_data is True
    rows = observation.after_upgrade["accounts"]
    assert [row["email_domain"] for row in rows] == [
        row["email"].rsplit("@", 1)[-1].strip().lower() for row in observation.seeds["accounts"]
    ]


def test_observe_nothing_for_a_new_table_without_data(captured):
    assert observe_revision(captured["data_migration"], "da7a01b1c2d3") is None


def test_observe_bulk_insert_into_a_new_table(captured):
    """da7a03c7d8e9 creates `tiers` and bulk-inserts 3 rows: those rows are what it does to data."""
    observation = observe_revision(captured["data_migration"], "da7a03c7d8e9")
    assert observation is not None and observation.changes_data
    assert [row["code"] for row in observation.after_upgrade["tiers"]] == ["gold-legacy", "silver", "standard"]


def test_observe_demo_backfill_reaches_the_null_status(captured):
    observation = observe_revision(captured["demo"], "d1a0055ad3f0")
    seeded = observation.seeds["orders"]
    assert any(row["status"] is None for row in seeded)
    assert any(row["email"].endswith("@legacy-shop.invalid") and row["id"] < 4242 for row in observation.seeds["customers"])
    assert list(observation.seeds).index("customers") < list(observation.seeds).index("orders")
    after = observation.after_upgrade["orders"]
    assert [row["status"] for row in after if row["id"] in {r["id"] for r in seeded if r["status"] is None}] == [
        "legacy-unknown"
    ]
    assert all(row["status"] is not None for row in after)
    assert len(observation.after_upgrade["order_statuses"]) == 5
    # the downgrade sets the backfilled statuses back to NULL
    assert all(row["status"] != "legacy-unknown" for row in observation.after_downgrade["orders"])


def test_observe_schema_change_keeps_rows_and_fills_defaults(captured):
    observation = observe_revision(captured["demo"], "d1a004c81e95")
    assert observation.changes_data is False
    assert {row["stock"] for row in observation.after_upgrade["products"]} == {0}
    assert {row["is_active"] for row in observation.after_upgrade["customers"]} == {True}
    # the downgrade test expects exactly the seeded rows back (no stock / is_active any more)
    assert observation.after_downgrade == observation.seeds
    assert observation.downgrade_lost == []


def test_observe_broken_downgrade_with_rows(captured):
    observation = observe_revision(captured["demo"], "d1a0094d7b13")
    assert observation.downgrade_error.startswith("OperationalError: (sqlite3.OperationalError) no such index")
    assert observation.after_downgrade is None
