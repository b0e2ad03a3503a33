"""Incremental snapshots on a real PostgreSQL: after each change, the snapshot that re-reads only
what the catalog fingerprint says changed equals a full reflection of the database.

The fingerprint reads indexes from pg_index's own columns and the reflection of named objects
lists nothing first, so every kind of object and change they must still see is tried here.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from pytest_localmig import Snapshot, reflect
from pytest_localmig.catalog import read_changes

# (what changes, its statements, the objects a snapshot must re-read)
CHANGES = [
    ("tables in two schemas, an enum, a view", [
        "CREATE SCHEMA billing",
        "CREATE TYPE state AS ENUM ('new', 'paid')",
        "CREATE TABLE customers (id serial PRIMARY KEY, email varchar(200) NOT NULL UNIQUE)",
        "CREATE TABLE billing.invoices (id serial PRIMARY KEY, customer_id int REFERENCES customers (id), "
        "status state NOT NULL DEFAULT 'new', total numeric(10, 2) CHECK (total >= 0))",
        "CREATE INDEX ix_invoices_status ON billing.invoices (status) WHERE status <> 'paid'",
        'CREATE TABLE "odd.name" (id int PRIMARY KEY)',
        "CREATE VIEW open_invoices AS SELECT id FROM billing.invoices WHERE status = 'new'",
    ], None),
    ("an index renamed", ["ALTER INDEX billing.ix_invoices_status RENAME TO ix_invoices_open"],
     {"table:billing.invoices"}),
    ("an index predicate changed under the same name", [
        "DROP INDEX billing.ix_invoices_open",
        "CREATE INDEX ix_invoices_open ON billing.invoices (status) WHERE total > 0",
    ], {"table:billing.invoices"}),
    ("an expression index and a unique index", [
        "CREATE INDEX ix_customers_lower_email ON customers (lower(email))",
        "CREATE UNIQUE INDEX ix_customers_id_email ON customers (id, email)",
    ], {"table:customers"}),
    ("an index's operator class changed", [
        "DROP INDEX ix_customers_lower_email",
        "CREATE INDEX ix_customers_lower_email ON customers (lower(email) text_pattern_ops)",
    ], {"table:customers"}),
    ("the referred table renamed: the foreign key's text changes", ["ALTER TABLE customers RENAME TO clients"],
     {"table:clients", "table:billing.invoices"}),
    ("an enum value added, a column retyped, a default changed", [
        "ALTER TYPE state ADD VALUE 'void'",
        "ALTER TABLE billing.invoices ALTER COLUMN total TYPE numeric(12, 2)",
        "ALTER TABLE billing.invoices ALTER COLUMN status SET DEFAULT 'paid'",
    ], {"enum:state", "table:billing.invoices"}),
    ("a materialized view, a sequence, the odd name's column", [
        "CREATE MATERIALIZED VIEW invoice_totals AS SELECT sum(total) AS total FROM billing.invoices",
        "CREATE SEQUENCE billing.numbers",
        'ALTER TABLE "odd.name" ADD COLUMN note text',
    ], {"view:invoice_totals", "sequence:billing.numbers", "table:odd.name"}),
    ("a foreign key dropped (no row of its table is written: its count of constraints falls)",
     ["ALTER TABLE billing.invoices DROP CONSTRAINT invoices_customer_id_fkey"], {"table:billing.invoices"}),
    ("an enum type renamed (its name is in the column's type and the view's text)",
     ["ALTER TYPE state RENAME TO invoice_state"],
     {"enum:invoice_state", "table:billing.invoices", "view:open_invoices"}),
    ("objects dropped", [
        "DROP MATERIALIZED VIEW invoice_totals",
        "DROP INDEX ix_customers_id_email",
        "ALTER TABLE billing.invoices DROP CONSTRAINT invoices_total_check",
    ], {"table:clients", "table:billing.invoices"}),
]


@pytest.fixture
def pg_database(pg_url):
    name = f"snap_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    engine = sa.create_engine(sa.make_url(pg_url).set(database=name), poolclass=sa.pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE {name}")
        admin.dispose()


@pytest.mark.parametrize("in_one_transaction", [False, True], ids=["committed", "one-transaction"])
def test_incremental_snapshots_equal_full_reflections(pg_database, in_one_transaction):
    """Each change, committed on its own or all in one transaction (as Alembic runs a history on
    PostgreSQL): the incremental snapshot equals a full reflection and re-read what changed."""
    with pg_database.connect() as connection:
        previous = Snapshot.take(connection)
        for what, statements, changed in CHANGES:
            for statement in statements:
                connection.exec_driver_sql(statement)
            if not in_one_transaction:
                connection.commit()
            snapshot = Snapshot.take(connection, previous)
            assert snapshot.objects == reflect(connection), what
            if changed is not None:
                assert snapshot.reread == len(changed), what
                assert {key for key in snapshot.objects if snapshot.objects[key] is not previous.objects.get(key)} \
                    == changed & snapshot.objects.keys(), what
            previous = snapshot
        connection.rollback()


def test_a_restored_definition_is_taken_from_an_earlier_snapshot(pg_database):
    """A downgrade that puts an index back as it was matches the snapshot taken before: nothing re-read."""
    with pg_database.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE items (id int PRIMARY KEY, name text)")
        connection.exec_driver_sql("CREATE INDEX ix_items_name ON items (lower(name)) WHERE id > 0")
        connection.commit()
        before = Snapshot.take(connection)
        connection.exec_driver_sql("DROP INDEX ix_items_name")
        connection.commit()
        dropped = Snapshot.take(connection, before)
        assert dropped.reread == 1 and dropped.objects["table:items"]["indexes"] == []
        connection.exec_driver_sql("CREATE INDEX ix_items_name ON items (lower(name)) WHERE id > 0")
        connection.commit()
        restored = Snapshot.take(connection, dropped, before)
        assert restored.reread == 0
        assert restored.objects == before.objects == reflect(connection)


def test_only_the_changed_relations_are_read_again(pg_database):
    """The catalog horizon names what a step wrote (and whom its foreign keys name); what it
    cannot vouch for (a renamed type, a rolled-back earlier reading) makes every print read again."""
    with pg_database.connect() as connection:
        for statement in CHANGES[0][1]:
            connection.exec_driver_sql(statement)
        connection.commit()
        state, changed = read_changes(connection, None)
        assert changed is None and "table:billing.invoices" in state.relations
        connection.exec_driver_sql("ALTER TABLE customers ADD COLUMN phone text")
        state, changed = read_changes(connection, state)
        # the table written, the table whose foreign key names it, and views (always read)
        assert changed == {"table:customers", "table:billing.invoices", "view:open_invoices"}
        state, changed = read_changes(connection, state)  # nothing since, same transaction
        assert changed == {"view:open_invoices"}
        connection.exec_driver_sql('ALTER TABLE "odd.name" ADD COLUMN note text')
        state, changed = read_changes(connection, state)
        assert changed == {"table:odd.name", "view:open_invoices"}
        connection.commit()
        state, changed = read_changes(connection, state)
        assert changed == {"view:open_invoices"}
        connection.exec_driver_sql("CREATE TYPE mood AS ENUM ('calm')")  # new names are in no definition yet
        connection.exec_driver_sql("CREATE SCHEMA archive")
        connection.exec_driver_sql("CREATE TABLE archive.extra (id serial, mood mood)")
        state, changed = read_changes(connection, state)
        assert changed == {"table:archive.extra", "sequence:archive.extra_id_seq", "view:open_invoices"}
        connection.exec_driver_sql("ALTER TYPE state RENAME TO invoice_state")
        assert read_changes(connection, state)[1] is None  # a type's name is in other definitions
        connection.rollback()
        connection.exec_driver_sql("ALTER TABLE customers ADD COLUMN fax text")
        inside = read_changes(connection, state)[0]
        connection.rollback()  # the reading above saw a state that is gone now
        assert read_changes(connection, inside)[1] is None
