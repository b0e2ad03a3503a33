"""Typed snapshots (localmig.schema) and the diff between two of them, one change kind at a time."""

from __future__ import annotations

import copy

import pytest

from localmig.schema import SchemaDiff, SchemaSnapshot


def column(type_="Integer()", nullable=False, default=None, **extra):
    return {"type": type_, "nullable": nullable, "default": default, "autoincrement": False, "computed": None, **extra}


def table(columns, *, pk=("id",), fks=(), indexes=(), uniques=(), checks=()):
    return {
        "columns": columns,
        "primary_key": {"name": None, "columns": list(pk)},
        "foreign_keys": list(fks),
        "indexes": list(indexes),
        "unique_constraints": list(uniques),
        "check_constraints": list(checks),
    }


def fk(columns, referred, ondelete=None, name=None):
    return {
        "name": name,
        "columns": columns,
        "referred_schema": None,
        "referred_table": referred,
        "referred_columns": ["id"],
        "ondelete": ondelete,
        "onupdate": None,
    }


def index(name, columns, unique=False, where=None):
    return {"name": name, "columns": columns, "expressions": [], "unique": unique, "where": where}


BASE = {
    "table:customers": table({"id": column(), "email": column("String(length=255)")}),
    "table:orders": table(
        {
            "id": column(),
            "customer_id": column(),
            "status": column("String(length=20)", nullable=True, default="'new'"),
        },
        fks=[fk(["customer_id"], "customers", "CASCADE", "fk_orders_customer")],
        indexes=[index("ix_orders_status", ["status"])],
        uniques=[{"name": "uq_orders_ref", "columns": ["customer_id", "status"]}],
        checks=[{"name": "ck_status", "sqltext": "status <> ''"}],
    ),
    "view:open_orders": {"definition": "SELECT id FROM orders"},
    "enum:level": {"labels": ["low", "high"]},
    "sequence:orders_id_seq": {},
}


def snapshot(objects) -> SchemaSnapshot:
    return SchemaSnapshot.from_objects(objects)


def changed(mutate) -> SchemaDiff:
    """The diff from BASE to a copy of BASE changed by ``mutate(objects)``."""
    after = copy.deepcopy(BASE)
    mutate(after)
    return SchemaDiff.between(snapshot(BASE), snapshot(after))


def kinds(diff: SchemaDiff) -> list[tuple[str, str, str | None]]:
    return [(c.kind, c.table, c.name) for c in diff.changes]


# --------------------------------------------------------------------------- snapshots


def test_from_objects_sorts_objects_by_kind():
    snap = snapshot(BASE)
    assert sorted(snap.tables) == ["customers", "orders"]
    assert snap.views == {"open_orders": "SELECT id FROM orders"}
    assert snap.enums == {"level": ["low", "high"]}
    assert snap.sequences == ["orders_id_seq"]
    orders = snap.tables["orders"]
    assert list(orders.columns) == ["id", "customer_id", "status"]
    assert orders.foreign_keys[0].ondelete == "CASCADE"
    assert orders.indexes[0].key == "ix_orders_status"


def test_no_change_is_an_empty_falsy_diff():
    diff = SchemaDiff.between(snapshot(BASE), snapshot(copy.deepcopy(BASE)))
    assert diff.changes == [] and not diff
    assert diff.describe() == [] and diff.touched_tables == []


def test_neighbours_follow_foreign_keys_both_ways():
    snap = snapshot(BASE)
    assert snap.neighbours({"orders"}) == {"customers"}
    assert snap.neighbours({"customers"}) == {"orders"}
    assert snap.neighbours({"customers", "orders"}) == set()


# --------------------------------------------------------------------------- tables and columns


def test_add_table():
    diff = changed(lambda o: o.update({"table:tags": table({"id": column()})}))
    assert kinds(diff) == [("add_table", "tags", None)]
    assert diff.changes[0].after.columns["id"].type == "Integer()"
    assert diff.describe() == ["add table tags"]
    assert diff.touched_tables == ["tags"] and bool(diff)


def test_drop_table():
    diff = changed(lambda o: o.pop("table:customers"))
    assert kinds(diff) == [("drop_table", "customers", None)]
    assert diff.changes[0].before.columns["email"].type == "String(length=255)"
    assert diff.describe() == ["drop table customers"]


def test_add_and_drop_column():
    def mutate(o):
        o["table:customers"]["columns"]["phone"] = column("String(length=20)", nullable=True)
        del o["table:orders"]["columns"]["status"]

    diff = changed(mutate)
    assert kinds(diff) == [("add_column", "customers", "phone"), ("drop_column", "orders", "status")]
    assert diff.describe() == [
        "add column customers.phone String(length=20) NULL",
        "drop column orders.status String(length=20) NULL DEFAULT 'new'",
    ]
    assert diff.touched_tables == ["customers", "orders"]


@pytest.mark.parametrize(
    "attribute, value, kind, text",
    [
        ("type", "String(length=32)", "alter_column_type", "alter column orders.status: type String(length=20) -> String(length=32)"),
        ("nullable", False, "alter_column_nullable", "alter column orders.status: nullable NULL -> NOT NULL"),
        ("default", "'open'", "alter_column_default", "alter column orders.status: default 'new' -> 'open'"),
        ("default", None, "alter_column_default", "alter column orders.status: default 'new' -> none"),
    ],
)
def test_alter_column(attribute, value, kind, text):
    diff = changed(lambda o: o["table:orders"]["columns"]["status"].update({attribute: value}))
    assert kinds(diff) == [(kind, "orders", "status")]
    change = diff.changes[0]
    assert change.after == value
    assert diff.describe() == [text]


def test_several_attributes_of_one_column_change_separately():
    diff = changed(lambda o: o["table:orders"]["columns"]["status"].update(type="String(length=32)", nullable=False))
    assert kinds(diff) == [("alter_column_type", "orders", "status"), ("alter_column_nullable", "orders", "status")]


def test_autoincrement_alone_is_not_a_change():
    diff = changed(lambda o: o["table:orders"]["columns"]["id"].update(autoincrement=True))
    assert diff.changes == []


def test_alter_primary_key():
    diff = changed(lambda o: o["table:orders"]["primary_key"].update(columns=["id", "customer_id"]))
    assert kinds(diff) == [("alter_primary_key", "orders", None)]
    assert diff.changes[0].after.columns == ["id", "customer_id"]
    assert diff.describe() == ["alter primary key of orders: (id) -> (id, customer_id)"]


def test_primary_key_name_alone_is_not_a_change():
    diff = changed(lambda o: o["table:orders"]["primary_key"].update(name="pk_orders"))
    assert diff.changes == []


# --------------------------------------------------------------------------- indexes and constraints


def test_add_and_drop_index():
    def mutate(o):
        o["table:orders"]["indexes"] = [index("ix_orders_customer", ["customer_id"], unique=True, where="status IS NULL")]

    diff = changed(mutate)
    assert kinds(diff) == [("add_index", "orders", "ix_orders_customer"), ("drop_index", "orders", "ix_orders_status")]
    assert diff.describe() == [
        "add index on orders: UNIQUE INDEX ix_orders_customer (customer_id) WHERE status IS NULL",
        "drop index on orders: INDEX ix_orders_status (status)",
    ]


def test_changed_index_is_dropped_and_added_under_its_name():
    diff = changed(lambda o: o["table:orders"]["indexes"][0].update(unique=True))
    assert kinds(diff) == [("drop_index", "orders", "ix_orders_status"), ("add_index", "orders", "ix_orders_status")]
    assert diff.changes[0].before.unique is False and diff.changes[1].after.unique is True


def test_add_and_drop_unique():
    def mutate(o):
        o["table:orders"]["unique_constraints"] = []
        o["table:customers"]["unique_constraints"] = [{"name": None, "columns": ["email"]}]

    diff = changed(mutate)
    assert kinds(diff) == [("add_unique", "customers", "(email)"), ("drop_unique", "orders", "uq_orders_ref")]
    assert diff.describe() == [
        "add unique on customers: UNIQUE (email)",
        "drop unique on orders: UNIQUE (customer_id, status) named uq_orders_ref",
    ]


def test_add_and_drop_foreign_key():
    def mutate(o):
        o["table:orders"]["foreign_keys"] = []
        o["table:customers"]["foreign_keys"] = [fk(["id"], "orders")]

    diff = changed(mutate)
    assert kinds(diff) == [
        ("add_foreign_key", "customers", "(id) -> orders"),
        ("drop_foreign_key", "orders", "fk_orders_customer"),
    ]
    assert diff.describe() == [
        "add foreign key on customers: (id) REFERENCES orders (id)",
        "drop foreign key on orders: (customer_id) REFERENCES customers (id) ON DELETE CASCADE",
    ]


def test_foreign_key_losing_on_delete_is_a_change():
    diff = changed(lambda o: o["table:orders"]["foreign_keys"][0].update(ondelete=None))
    assert kinds(diff) == [
        ("drop_foreign_key", "orders", "fk_orders_customer"),
        ("add_foreign_key", "orders", "fk_orders_customer"),
    ]
    assert diff.changes[1].after.ondelete is None


def test_add_and_drop_check():
    def mutate(o):
        o["table:orders"]["check_constraints"] = []
        o["table:customers"]["check_constraints"] = [{"name": None, "sqltext": "length(email) > 3"}]

    diff = changed(mutate)
    assert kinds(diff) == [("add_check", "customers", "length(email) > 3"), ("drop_check", "orders", "ck_status")]
    assert diff.describe() == [
        "add check on customers: CHECK (length(email) > 3)",
        "drop check on orders: CHECK (status <> '') named ck_status",
    ]


# --------------------------------------------------------------------------- views, enums, sequences


def test_views():
    diff = changed(lambda o: o.update({"view:open_orders": {"definition": "SELECT id, status FROM orders"},
                                       "view:all_orders": {"definition": "SELECT * FROM orders"}}))
    assert kinds(diff) == [("add_view", "all_orders", None), ("alter_view", "open_orders", None)]
    assert diff.changes[1].before == "SELECT id FROM orders"
    assert diff.changes[1].after == "SELECT id, status FROM orders"
    assert diff.touched_tables == []
    assert kinds(changed(lambda o: o.pop("view:open_orders"))) == [("drop_view", "open_orders", None)]


def test_enums():
    diff = changed(lambda o: o.update({"enum:level": {"labels": ["low", "mid", "high"]}, "enum:colour": {"labels": ["red"]}}))
    assert kinds(diff) == [("add_enum", "colour", None), ("alter_enum", "level", None)]
    assert diff.describe()[1] == "alter enum level: ['low', 'high'] -> ['low', 'mid', 'high']"
    assert diff.touched_tables == []
    assert kinds(changed(lambda o: o.pop("enum:level"))) == [("drop_enum", "level", None)]


def test_sequences():
    diff = changed(lambda o: (o.pop("sequence:orders_id_seq"), o.update({"sequence:reporting.ids": {}})))
    assert kinds(diff) == [("drop_sequence", "orders_id_seq", None), ("add_sequence", "reporting.ids", None)]
    assert diff.describe() == ["drop sequence orders_id_seq", "add sequence reporting.ids"]
    assert diff.touched_tables == []


# --------------------------------------------------------------------------- order and serialisation


def test_diff_order_is_stable_tables_by_name_then_views_enums_sequences():
    def mutate(o):
        o["table:aaa"] = table({"id": column()})
        o["table:customers"]["columns"]["zzz"] = column(nullable=True)
        o["table:customers"]["columns"]["aaa"] = column(nullable=True)
        o.pop("view:open_orders")
        o.pop("enum:level")
        o.pop("sequence:orders_id_seq")

    diff = changed(mutate)
    assert [c.kind for c in diff.changes] == [
        "add_table", "add_column", "add_column", "drop_view", "drop_enum", "drop_sequence",
    ]
    assert [c.name for c in diff.changes[1:3]] == ["aaa", "zzz"]


def test_diff_round_trips_through_json():
    diff = changed(lambda o: o["table:orders"]["columns"]["status"].update(nullable=False))
    again = SchemaDiff.model_validate_json(diff.model_dump_json())
    assert again.describe() == diff.describe()
    assert again.changes[0].kind == "alter_column_nullable"


def test_table_describe_is_ddl_like():
    lines = snapshot(BASE).tables["orders"].describe()
    assert lines == [
        "id Integer() NOT NULL",
        "customer_id Integer() NOT NULL",
        "status String(length=20) NULL DEFAULT 'new'",
        "PRIMARY KEY (id)",
        "FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE",
        "UNIQUE (customer_id, status) named uq_orders_ref",
        "CHECK (status <> '') named ck_status",
        "INDEX ix_orders_status (status)",
    ]
