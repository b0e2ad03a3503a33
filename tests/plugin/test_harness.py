"""The migration harness of pytest-localmig (what generated suites and localmig's own capture run on).

Real SQLite files and real scenario histories; the PostgreSQL cases use the ``pg_url`` server.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_localmig import (
    EnvironmentIgnoresURL,
    HarnessError,
    MigrationFailed,
    MigrationHistory,
    PostgresScratch,
    SchemaView,
    Snapshot,
    default_of,
    describe_error,
    reflect,
    same_database,
    topological_order,
    type_of,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import NullType

from localmig.project import load
from tests.conftest import DEMO, SCENARIOS

# --------------------------------------------------------------------------- helpers

SHOP_DDL = [
    "CREATE TABLE customers (id INTEGER NOT NULL, email VARCHAR(255) NOT NULL, "
    "CONSTRAINT pk_customers PRIMARY KEY (id), CONSTRAINT uq_customers_email UNIQUE (email))",
    "CREATE TABLE orders (id INTEGER NOT NULL, customer_id INTEGER NOT NULL, "
    "status VARCHAR(20) DEFAULT 'new', amount NUMERIC(10, 2) DEFAULT (0) NOT NULL, "
    "placed_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, "
    "CONSTRAINT pk_orders PRIMARY KEY (id), "
    "CONSTRAINT fk_orders_customer FOREIGN KEY(customer_id) REFERENCES customers (id) ON DELETE CASCADE, "
    "CONSTRAINT ck_orders_amount CHECK (amount >= 0))",
    "CREATE INDEX ix_orders_status ON orders (status)",
    "CREATE UNIQUE INDEX ix_orders_customer_status ON orders (customer_id, status)",
    "CREATE INDEX ix_orders_open ON orders (status) WHERE status <> 'closed'",
    "CREATE VIEW open_orders AS SELECT id FROM orders WHERE status = 'new'",
]


def sqlite_engine(path: Path, ddl: list[str] = ()) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        for statement in ddl:
            connection.exec_driver_sql(statement)
    return engine


def copy_example(name: str, target: Path) -> Path:
    source = DEMO if name == "demo" else SCENARIOS / name
    destination = target / name
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    return destination


@pytest.fixture(scope="module")
def shop_view(tmp_path_factory) -> SchemaView:
    engine = sqlite_engine(tmp_path_factory.mktemp("shop") / "shop.db", SHOP_DDL)
    try:
        return SchemaView(reflect(engine))
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- SchemaView


def test_view_lists_tables_and_views(shop_view):
    assert shop_view.tables == {"customers", "orders"}
    assert shop_view.views == {"open_orders"}
    assert shop_view.sequences == set()
    assert shop_view.enums == {}
    assert "orders" in shop_view and "open_orders" not in shop_view and "nope" not in shop_view


def test_view_columns_in_table_order(shop_view):
    assert list(shop_view.columns("orders")) == ["id", "customer_id", "status", "amount", "placed_at"]
    assert shop_view.column("orders", "status") == {
        "type": "String(length=20)",
        "nullable": True,
        "default": "'new'",
        "autoincrement": False,
        "computed": None,
    }
    assert shop_view.column("orders", "amount")["default"] == "0"
    assert shop_view.column("orders", "placed_at")["default"] == "CURRENT_TIMESTAMP"
    assert shop_view.column("orders", "amount")["type"] == "Numeric(precision=10, scale=2)"


def test_view_missing_table_or_column_says_what_exists(shop_view):
    with pytest.raises(AssertionError, match=r"table 'nope' does not exist; tables: \['customers', 'orders'\]"):
        shop_view.table("nope")
    with pytest.raises(AssertionError, match=r"customers\.nope does not exist; columns: \['email', 'id'\]"):
        shop_view.column("customers", "nope")


def test_view_keys(shop_view):
    assert shop_view.primary_key("orders") == ["id"]
    fk = shop_view.find_foreign_key("orders", ["customer_id"])
    assert fk == {
        "name": "fk_orders_customer",
        "columns": ["customer_id"],
        "referred_schema": None,
        "referred_table": "customers",
        "referred_columns": ["id"],
        "ondelete": "CASCADE",
        "onupdate": None,
    }
    assert shop_view.foreign_keys("orders") == [fk]
    assert shop_view.find_foreign_key("orders", ["id"]) is None
    assert shop_view.find_foreign_key("customers", ["id"]) is None


def test_view_indexes(shop_view):
    indexes = shop_view.indexes("orders")
    assert set(indexes) == {"ix_orders_status", "ix_orders_customer_status", "ix_orders_open"}
    assert indexes["ix_orders_open"]["where"] == "status <> 'closed'"
    assert indexes["ix_orders_status"] == {
        "name": "ix_orders_status",
        "columns": ["status"],
        "expressions": [],
        "unique": False,
        "where": None,
        "using": None,
    }
    assert indexes["ix_orders_customer_status"]["unique"] is True
    assert shop_view.indexes("customers") == {}


def test_view_find_unique_finds_constraints_and_unique_indexes(shop_view):
    assert shop_view.find_unique("customers", ["email"]) == {"name": "uq_customers_email", "columns": ["email"]}
    assert shop_view.find_unique("orders", ["customer_id", "status"])["name"] == "ix_orders_customer_status"
    assert shop_view.find_unique("orders", ["status", "customer_id"]) is None  # column order matters
    assert shop_view.find_unique("orders", ["status"]) is None  # a plain index is not unique
    assert shop_view.unique_constraints("orders") == []


def test_view_find_check_by_name_or_sql(shop_view):
    assert shop_view.find_check("orders", "ck_orders_amount") == {"name": "ck_orders_amount", "sqltext": "amount >= 0"}
    assert shop_view.find_check("orders", "amount   >=\n 0")["name"] == "ck_orders_amount"
    assert shop_view.find_check("orders", "amount > 0") is None
    assert shop_view.check_constraints("customers") == []


def test_reflect_only_some_objects(tmp_path):
    engine = sqlite_engine(tmp_path / "x.db", SHOP_DDL)
    try:
        assert set(reflect(engine, only=["table:orders"])) == {"table:orders"}
        assert set(reflect(engine, only=["view:open_orders", "table:customers"])) == {"view:open_orders", "table:customers"}
        assert reflect(engine, only=[]) == {}
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- snapshots


def test_incremental_snapshot_equals_a_full_reflection(tmp_path):
    engine = sqlite_engine(tmp_path / "x.db", SHOP_DDL)
    try:
        with engine.connect() as connection:
            first = Snapshot.take(connection)
            assert first.objects == reflect(connection)
            connection.exec_driver_sql("ALTER TABLE customers ADD COLUMN phone VARCHAR(20)")
            connection.exec_driver_sql("CREATE TABLE tags (id INTEGER PRIMARY KEY)")
            connection.exec_driver_sql("DROP VIEW open_orders")
            connection.commit()
            second = Snapshot.take(connection, first)
            assert second.objects == reflect(connection)
            assert "phone" in second.objects["table:customers"]["columns"]
            assert "view:open_orders" not in second.objects and "table:tags" in second.objects
            # unchanged objects are taken over from the previous snapshot, not re-read
            assert second.objects["table:orders"] is first.objects["table:orders"]
            third = Snapshot.take(connection, second, skip=["table:tags"])
            assert "table:tags" not in third.objects and "table:tags" not in third.prints
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    "raw, normal",
    [
        (None, None),
        ("0", "0"),
        (" 0 ", "0"),
        ("(0)", "0"),
        ("((1))", "1"),
        ("(CURRENT_TIMESTAMP)", "CURRENT_TIMESTAMP"),
        ("'new'", "'new'"),
        ("('x')", "'x'"),
        ("now()", "now()"),
        ("(now())", "now()"),
        ("'{}'::jsonb", "'{}'"),
        ("'free'::character varying", "'free'"),
        ("'normal'::ticket_priority", "'normal'"),
        ("'{}'::text[]", "'{}'"),
        ("'2024-01-01 00:00:00'::timestamp without time zone", "'2024-01-01 00:00:00'"),
        ("nextval('reporting.daily_report_id_seq'::regclass)", "nextval('reporting.daily_report_id_seq'::regclass)"),
        ("(1) + (2)", "(1) + (2)"),  # the outer parentheses are not a pair
        ("false", "false"),
    ],
)
def test_default_of(raw, normal):
    assert default_of({"default": raw}) == normal


def test_default_of_without_default_key():
    assert default_of({}) is None


@pytest.mark.parametrize(
    "type_, text",
    [
        (sa.String(50), "String(length=50)"),
        (sa.VARCHAR(50), "String(length=50)"),
        (sa.Integer(), "Integer()"),
        (sa.Numeric(10, 2), "Numeric(precision=10, scale=2)"),
        (sa.Boolean(), "Boolean()"),
        (sa.Text(), "Text()"),
        (sqlite.DATETIME(), "DateTime()"),
        (postgresql.TIMESTAMP(timezone=True), "DateTime(timezone=True)"),
        (postgresql.ENUM("low", "high", name="level"), "Enum('low', 'high')"),
        (postgresql.UUID(), "Uuid()"),
        (NullType(), "NullType()"),
        ("VARCHAR(5)", "VARCHAR(5)"),  # already text: kept as it is
    ],
)
def test_type_of(type_, text):
    assert type_of({"type": type_}) == text


# --------------------------------------------------------------------------- URLs and errors


def test_same_database_sqlite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "real.db").touch()
    (tmp_path / "link.db").symlink_to(tmp_path / "real.db")
    assert same_database(f"sqlite:///{tmp_path}/real.db", "sqlite:///real.db")
    assert same_database(f"sqlite:///{tmp_path}/link.db", f"sqlite+pysqlite:///{tmp_path}/real.db")
    assert not same_database("sqlite:///a.db", "sqlite:///b.db")
    assert not same_database("sqlite:///a.db", "postgresql://h/a.db")


def test_same_database_server():
    assert same_database("postgresql+psycopg://u:secret@h:5433/db", "postgresql+psycopg2://u:other@h:5433/db")
    assert same_database(sa.URL.create("postgresql", host="h", database="db"), "postgresql://h/db")
    assert not same_database("postgresql://h:5433/db", "postgresql://h:5434/db")
    assert not same_database("postgresql://h/db", "postgresql://h/other")
    assert not same_database("postgresql://h1/db", "postgresql://h2/db")


def test_describe_error_names_the_revision_file_and_line(tmp_path):
    folder = tmp_path / "versions"
    folder.mkdir()
    (folder / "abc_rev.py").write_text("def upgrade():\n    x = 1\n    raise ValueError('boom\\nsecond line')\n")
    namespace: dict = {}
    exec(compile((folder / "abc_rev.py").read_text(), str(folder / "abc_rev.py"), "exec"), namespace)
    with pytest.raises(ValueError) as raised:
        namespace["upgrade"]()
    assert describe_error(raised.value, [str(folder)]) == "ValueError: boom (at abc_rev.py:3)"
    assert describe_error(raised.value, [str(tmp_path / "elsewhere")]) == "ValueError: boom"


def test_describe_error_adds_the_sql(tmp_path):
    engine = sqlite_engine(tmp_path / "x.db")
    try:
        with pytest.raises(sa.exc.OperationalError) as raised, engine.connect() as connection:
            connection.exec_driver_sql("DROP   INDEX\n nope")
    finally:
        engine.dispose()
    text = describe_error(raised.value)
    assert text.startswith("OperationalError: (sqlite3.OperationalError) no such index: nope")
    assert text.endswith("[SQL: DROP INDEX nope]")


# --------------------------------------------------------------------------- histories


@pytest.fixture(scope="module")
def failing_history(tmp_path_factory):
    root = copy_example("failing_downgrade", tmp_path_factory.mktemp("history"))
    history = MigrationHistory(load(root).config())
    yield history
    history.close()


def version_of(database) -> list[str]:
    return [row["version_num"] for row in database.execute("SELECT version_num FROM alembic_version")]


def test_history_states(failing_history):
    history = failing_history
    assert history.order == ["fa1101a3b5c7", "fa1102d9e1f3", "fa1103b2c4d6"]
    assert history.schema_before("fa1101a3b5c7").tables == set()
    assert history.schema_after("fa1101a3b5c7").tables == {"invoices"}  # alembic_version left out
    assert history.schema_before("fa1102d9e1f3").objects == history.schema_after("fa1101a3b5c7").objects
    assert "due_date" not in history.schema_before("fa1102d9e1f3").columns("invoices")
    assert history.schema_after("fa1102d9e1f3").column("invoices", "due_date")["type"] == "Date()"
    assert "ix_invoices_due_date" in history.schema_after("fa1103b2c4d6").indexes("invoices")
    assert history.applied == history.order
    assert history.upgrade_errors == {}


def test_history_databases_are_fresh_copies_at_the_right_state(failing_history):
    history = failing_history
    before = history.database_before("fa1102d9e1f3")
    other = history.database_before("fa1102d9e1f3")
    try:
        assert version_of(before) == ["fa1101a3b5c7"]
        assert before.url != other.url
        before.insert("invoices", [{"id": 1, "number": "INV-1", "total_cents": 100}])
        assert [row["id"] for row in before.rows("invoices")] == [1]
        assert other.rows("invoices") == []
        before.upgrade("fa1102d9e1f3")
        assert version_of(before) == ["fa1102d9e1f3"]
        assert before.rows("invoices", without=["number", "total_cents"]) == [{"id": 1, "due_date": None}]
        with pytest.raises(sa.exc.OperationalError, match="due_on"):
            before.downgrade("fa1102d9e1f3")
    finally:
        before.dispose()
        other.dispose()
    after = history.database_after("fa1103b2c4d6")
    try:
        assert version_of(after) == ["fa1103b2c4d6"]
        assert after.schema().objects == history.schema_after("fa1103b2c4d6").objects
    finally:
        after.dispose()


@pytest.mark.parametrize("server", ["sqlite", "postgresql"])
def test_row_reflections_are_shared_only_while_the_table_is_unchanged(tmp_path, request, server):
    """A table reflected for rows is shared between databases while its per-table fingerprint is the same."""
    server_url = request.getfixturevalue("pg_url") if server == "postgresql" else None
    history = MigrationHistory(load(copy_example("failing_downgrade", tmp_path)).config(), server_url)
    first, second = history.database_before("fa1102d9e1f3"), history.database_before("fa1102d9e1f3")
    try:
        first.rows("invoices")
        second.rows("invoices")
        reflections = {key for key in history.runner.row_tables if key[0] == "invoices"}
        assert len(reflections) == 1  # same definition in both databases: reflected once
        first.upgrade("fa1102d9e1f3")  # adds invoices.due_date
        first.insert("invoices", [{"id": 7, "number": "INV-7", "total_cents": 1}])
        assert set(first.rows("invoices")[0]) == {"id", "number", "total_cents", "due_date"}
        second.insert("invoices", [{"id": 8, "number": "INV-8", "total_cents": 1}])
        assert set(second.rows("invoices")[0]) == {"id", "number", "total_cents"}
        assert len({key for key in history.runner.row_tables if key[0] == "invoices"}) == 2
    finally:
        first.dispose()
        second.dispose()
        history.close()


def test_history_walk_records_the_broken_downgrade_and_goes_on(failing_history):
    history = failing_history
    history.walk_downgrades()
    assert set(history.downgrade_errors) == {"fa1102d9e1f3"}
    message = history.downgrade_errors["fa1102d9e1f3"]
    assert message.startswith('OperationalError: (sqlite3.OperationalError) no such column: "due_on"')
    assert message.endswith("(at fa1102d9e1f3_add_invoices_due_date.py:33)")
    assert history.round_trip_errors == {}
    # the downgrade above the broken one worked
    downgraded = history.schema_after_downgrade("fa1103b2c4d6")
    assert "ix_invoices_due_date" not in downgraded.indexes("invoices")
    assert downgraded.objects == history.schema_before("fa1103b2c4d6").objects
    assert history.schema_after_round_trip("fa1103b2c4d6").objects == history.schema_after("fa1103b2c4d6").objects
    # the broken one has no downgraded schema, and no round trip
    with pytest.raises(MigrationFailed, match="downgrade of fa1102d9e1f3 failed: OperationalError"):
        history.schema_after_downgrade("fa1102d9e1f3")
    with pytest.raises(MigrationFailed, match="downgrade of fa1102d9e1f3 failed"):
        history.schema_after_round_trip("fa1102d9e1f3")
    # and the one below it was still walked (from its own template)
    assert history.schema_after_downgrade("fa1101a3b5c7").tables == set()


def test_history_with_a_failing_upgrade(tmp_path):
    root = copy_example("upgrade_fails", tmp_path)
    history = MigrationHistory(load(root).config())
    try:
        history.build()
        assert history.applied == ["f0a101b2c3d4", "f0a104a1b2c3"]
        assert set(history.upgrade_errors) == {"f0a102e5f6a7", "f0a103c8d9e0"}
        assert "table orders already exists" in history.upgrade_errors["f0a102e5f6a7"]
        assert history.upgrade_errors["f0a103c8d9e0"] == "needs f0a102e5f6a7, which could not be applied"
        assert history.schema_after("f0a104a1b2c3").tables == {"orders", "customers"}
        with pytest.raises(MigrationFailed, match="upgrade of f0a102e5f6a7 failed"):
            history.schema_after("f0a102e5f6a7")
        with pytest.raises(MigrationFailed, match="upgrade of f0a103c8d9e0 failed: needs f0a102e5f6a7"):
            history.database_before("f0a103c8d9e0")
        history.walk_downgrades()
        assert history.downgrade_errors == {}
        assert history.schema_after_downgrade("f0a104a1b2c3").tables == {"orders"}
    finally:
        history.close()
    assert not os.path.exists(history.folder)


def test_history_beyond_a_checkpoint_matches_replayed_databases(tmp_path):
    """The demo has more revisions than CHECKPOINT_EVERY: states between templates are replayed."""
    root = copy_example("demo", tmp_path)
    project = load(root)
    history = MigrationHistory(project.config())
    try:
        assert len(history.order) > history.CHECKPOINT_EVERY
        for index, revision in enumerate(history.order):
            applied = history.order[: index + 1]
            parents = {p for r in applied for p in project.by_id[r].down_revisions}
            database = history.database_after(revision)
            try:
                # alembic_version holds the heads of what is applied (two while branched)
                assert sorted(version_of(database)) == sorted(set(applied) - parents), revision
                assert database.schema().objects == history.schema_after(revision).objects, revision
            finally:
                database.dispose()
        assert history.order.index("d1a0071f6e8d") > history.order.index("d1a006b94c27")
        assert history.schema_after("d1a010a6f352").tables == {
            "customers", "products", "orders", "order_items", "order_statuses", "addresses",
        }
    finally:
        history.close()



def test_kept_states_are_copied_without_replaying_and_hold_the_same_schema(tmp_path):
    """keep_before/keep_after (the states data tests ask a database in): the build ends a run there, so
    such a database is a plain copy (no env.py run), in the same state as one replayed from a checkpoint."""
    root = copy_example("demo", tmp_path)
    plain = MigrationHistory(load(root).config(), folder=str(tmp_path / "plain"))
    order = plain.order
    inner = [order[3], order[5]]  # neither next to a checkpoint of CHECKPOINT_EVERY
    kept = MigrationHistory(load(root).config(), folder=str(tmp_path / "kept"), keep_before=[inner[0]],
                            keep_after=[inner[1]])
    try:
        for history in (plain, kept):
            history.build()
        runs = {id(history): history.runner.env_runs for history in (plain, kept)}
        made = {}
        for history in (plain, kept):
            databases = [history.database_before(inner[0]), history.database_after(inner[1])]
            made[id(history)] = [database.schema().objects for database in databases]
            for database in databases:
                database.dispose()
        assert kept.runner.env_runs == runs[id(kept)]  # copies of kept templates: nothing replayed
        assert plain.runner.env_runs == runs[id(plain)] + 2  # each replayed from the nearest checkpoint
        assert made[id(kept)] == made[id(plain)]
        assert made[id(kept)][0] == kept.schema_before(inner[0]).objects
    finally:
        plain.close()
        kept.close()

def test_states_far_before_the_one_asked_for_are_passed_in_full_runs_and_made_on_demand(tmp_path, monkeypatch):
    """A build that starts far before the state asked for (an xdist worker or a shard starting halfway)
    keeps no template for data tests beyond KEEP_REACH revisions back: it takes the env.py runs a plain
    build takes, and such a state, asked for later, is made from the nearest template, in the same schema."""
    monkeypatch.setattr(MigrationHistory, "KEEP_REACH", 2)
    root = copy_example("demo", tmp_path)
    plain = MigrationHistory(load(root).config(), folder=str(tmp_path / "plain"))
    order = plain.order
    far = MigrationHistory(load(root).config(), folder=str(tmp_path / "far"), keep_before=[order[3]],
                           keep_after=[order[4]])
    try:
        for history in (plain, far):
            history.build(order[-1])
        assert len(order) - 1 - 2 > 4  # both kept states lie beyond the reach of the last one
        assert far.runner.env_runs == plain.runner.env_runs
        runs = far.runner.env_runs
        database = far.database_before(order[3])
        try:
            assert far.runner.env_runs == runs + 1  # replayed from the nearest checkpoint
            assert database.schema().objects == plain.schema_before(order[3]).objects
        finally:
            far.discard(database)
    finally:
        plain.close()
        far.close()


def scratch_files(history: MigrationHistory) -> set[str]:
    return {name for name in os.listdir(history.folder) if name.endswith(".db")}


def test_templates_beyond_the_cap_are_dropped_and_made_again_when_asked(tmp_path, monkeypatch):
    """Templates other than the checkpoints are kept up to EXTRA_TEMPLATES, least recently used dropped
    first: the scratch folder stays bounded, and a state whose template was dropped is made again, right."""
    monkeypatch.setattr(MigrationHistory, "EXTRA_TEMPLATES", 2)
    root = copy_example("demo", tmp_path)
    history = MigrationHistory(load(root).config(), folder=str(tmp_path / "capped"))
    try:
        history.build()
        checkpoints, built = len(history._templates), history.runner.env_runs
        inner = [r for i, r in enumerate(history.applied) if (i + 1) % history.CHECKPOINT_EVERY][:5]
        assert len(inner) == 5
        for revision in inner + inner[:2]:  # the first two again: dropped by then, made again
            database = history.database_after(revision)
            try:
                assert database.schema().objects == history.schema_after(revision).objects, revision
            finally:
                history.discard(database)
            assert len(history._templates) <= checkpoints + 2
            assert len(scratch_files(history)) == len(history._templates) == len(history.scratch.created)
        assert history.runner.env_runs == built + 7  # each of the 7 made by a replay: 5, then the 2 dropped
    finally:
        history.close()


def test_release_drops_the_databases_given_out_and_discard_one(tmp_path):
    root = copy_example("demo", tmp_path)
    history = MigrationHistory(load(root).config(), folder=str(tmp_path / "given"))
    try:
        first, second = history.database_before(history.order[1]), history.database_after(history.order[2])
        assert len(scratch_files(history)) == len(history._templates) + 2
        history.discard(first)
        assert len(scratch_files(history)) == len(history._templates) + 1
        history.release()  # the other one
        assert len(scratch_files(history)) == len(history._templates)
        history.release()  # nothing left to drop
        assert first.name not in history.scratch.created and second.name not in history.scratch.created
    finally:
        history.close()


def test_scratch_folders_go_where_localmig_scratch_dir_says_else_to_memory_with_room(tmp_path, monkeypatch):
    from pytest_localmig import scratch

    monkeypatch.delenv(scratch.SCRATCH_DIR_ENV, raising=False)
    monkeypatch.setattr(scratch, "MEMORY_NEEDED", 1 << 62)  # no /dev/shm has that much room: the temp folder
    assert scratch.scratch_base() == tempfile.gettempdir()
    monkeypatch.setenv(scratch.SCRATCH_DIR_ENV, str(tmp_path / "scratch" / "here"))
    root = copy_example("demo", tmp_path)
    history = MigrationHistory(load(root).config())
    try:
        assert Path(history.folder).parent == tmp_path / "scratch" / "here"
        history.build(history.order[2])
        assert scratch_files(history)
    finally:
        history.close()
    assert list((tmp_path / "scratch" / "here").iterdir()) == []
    (tmp_path / "a file").write_text("")
    monkeypatch.setenv(scratch.SCRATCH_DIR_ENV, str(tmp_path / "a file"))
    with pytest.raises(HarnessError, match=f"cannot make a scratch folder in {tmp_path / 'a file'} "
                                           rf"\(\${scratch.SCRATCH_DIR_ENV}\): .*; set {scratch.SCRATCH_DIR_ENV}"):
        MigrationHistory(load(root).config())


KILLED_RUN = """
import os, signal, sqlite3
from pytest_localmig.scratch import scratch_folder
folder = scratch_folder()
sqlite3.connect(os.path.join(folder, "mig_x_db1.db")).execute("CREATE TABLE t (x)").connection.commit()
print(folder, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer would: nothing runs after this
"""


def test_the_scratch_folders_of_killed_runs_are_removed_by_the_next_one_and_nothing_else(tmp_path, monkeypatch):
    from pytest_localmig import scratch

    monkeypatch.setenv(scratch.SCRATCH_DIR_ENV, str(tmp_path))
    killed = []
    for _ in range(2):
        run = subprocess.run([sys.executable, "-c", KILLED_RUN], capture_output=True, text=True,
                             env={**os.environ, scratch.SCRATCH_DIR_ENV: str(tmp_path)})
        assert run.returncode == -signal.SIGKILL, run.stderr
        killed.append(Path(run.stdout.strip()))
    assert all(folder.parent == tmp_path and list(folder.iterdir()) for folder in killed)
    living = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    namespace = killed[0].name.split("-")[1]
    kept = {
        "alive": tmp_path / f"migrations-{namespace}-{living.pid}-abc",  # its process still runs
        "other namespace": tmp_path / f"migrations-1-{killed[0].name.split('-')[2]}-abc",  # another container's
        "not only databases": tmp_path / f"migrations-{namespace}-999999999-abc",
        "not a scratch folder": tmp_path / f"other-{namespace}-999999998-abc",
    }
    try:
        for folder in kept.values():
            folder.mkdir()
            (folder / "mig_x_db1.db").write_bytes(b"")
        (kept["not only databases"] / "notes.txt").write_text("someone's")
        for folder in [*killed, *kept.values()]:
            os.utime(folder, (0, 0))  # older than scratch.ORPHAN_AGE
        recent = killed[1]
        os.utime(recent, None)  # just now: left for the next run
        fresh = scratch.scratch_folder()
        assert not killed[0].exists() and recent.exists()
        assert all(folder.exists() for folder in kept.values()), kept
        assert Path(fresh).exists() and Path(fresh).name.startswith(f"migrations-{namespace}-{os.getpid()}-")
        assert scratch.sweep_orphans(str(tmp_path), min_age=0) == [str(recent)]
    finally:
        living.kill()
        living.wait()


def test_topological_order_puts_needs_first(tmp_path):
    from alembic.script import ScriptDirectory

    root = copy_example("labels_depends_on", tmp_path)
    order = topological_order(ScriptDirectory.from_config(load(root).config()))
    assert sorted(order) == ["1abe01c0a1b2", "1abe02d3e4f5", "1abe03a6b7c8", "1abe04e9f0a1"]
    assert order.index("1abe01c0a1b2") < order.index("1abe04e9f0a1")
    assert order.index("1abe03a6b7c8") < order.index("1abe04e9f0a1")
    assert order.index("1abe01c0a1b2") < order.index("1abe02d3e4f5")


def test_env_that_ignores_the_url_is_stopped_before_it_migrates_anything(tmp_path, monkeypatch):
    monkeypatch.delenv("SCENARIO_DATABASE_URL", raising=False)
    root = copy_example("env_ignores_url", tmp_path)
    history = MigrationHistory(load(root).config())
    try:
        with pytest.raises(EnvironmentIgnoresURL, match=r"APP_DB_NEVER_USED\.db"):
            history.build()
    finally:
        history.close()
    assert not list(root.rglob("*.db")), "env.py's own database was created"


def test_builtin_env_runs_the_env_ignores_url_history(tmp_path, monkeypatch):
    monkeypatch.delenv("SCENARIO_DATABASE_URL", raising=False)
    root = copy_example("env_ignores_url", tmp_path)
    history = MigrationHistory(load(root, builtin_env=True).config())
    try:
        history.build()
        assert history.schema_after("e0e102e3f5a7").column("bookmarks", "title")
    finally:
        history.close()
    assert not list(root.rglob("*.db"))


# --------------------------------------------------------------------------- PostgreSQL


def pg_databases(url: str, prefix: str) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT datname FROM pg_database WHERE datname LIKE %(p)s", {"p": prefix + "%"}
            )
            return [row[0] for row in rows]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_scratch_creates_copies_and_drops(pg_url):
    scratch = PostgresScratch(pg_url)
    try:
        url = scratch.create("a")
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (id int)")
        engine.dispose()
        copy = scratch.copy("a", "b")
        engine = sa.create_engine(copy, poolclass=sa.pool.NullPool)
        assert sa.inspect(engine).get_table_names() == ["t"]
        engine.dispose()
        # copies are file copies only where the server runs without fsync (its checkpoints are free)
        admin = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
        with admin.connect() as connection:
            version = int(connection.exec_driver_sql("SHOW server_version_num").scalar_one())
            fsync = connection.exec_driver_sql("SHOW fsync").scalar_one()
        admin.dispose()
        assert scratch.copy_strategy == ("FILE_COPY" if version >= 150000 and fsync == "off" else "")
        assert sorted(pg_databases(pg_url, scratch.prefix)) == [f"{scratch.prefix}_a", f"{scratch.prefix}_b"]
        scratch.drop("b")
        assert pg_databases(pg_url, scratch.prefix) == [f"{scratch.prefix}_a"]
    finally:
        scratch.close()
    assert pg_databases(pg_url, scratch.prefix) == []


@pytest.mark.postgres
def test_a_postgres_test_database_keeps_its_session_but_not_its_settings(pg_url, tmp_path):
    """A test's database reuses one session (a new one costs cold catalog caches), reset between uses:
    what a migration sets on it (search_path, a temporary table, an advisory lock) is gone at the next use."""
    history = MigrationHistory(load(copy_example("pg_server_default", tmp_path)).config(), pg_url)
    database = history.database_after("5def02c3d5e7")
    try:
        pid = database.execute("SELECT pg_backend_pid() AS pid")[0]["pid"]
        default_path = database.execute("SHOW search_path")[0]["search_path"]
        database.execute("SET search_path TO reporting")
        database.execute("CREATE TEMPORARY TABLE scratch_note (n int)")
        database.execute("SELECT pg_advisory_lock(4242)")
        assert database.execute("SELECT pg_backend_pid() AS pid")[0]["pid"] == pid
        assert database.execute("SHOW search_path")[0]["search_path"] == default_path
        assert database.execute("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' "
                                "AND pid = pg_backend_pid()")[0]["n"] == 0
        assert "scratch_note" not in database.tables()
        with pytest.raises(sa.exc.ProgrammingError, match="scratch_note"):
            database.execute("SELECT * FROM scratch_note")
        database.downgrade("5def02c3d5e7")  # a migration on the kept session, then rows on it
        assert database.rows("audit_events") == []
    finally:
        database.dispose()
        history.close()


@pytest.mark.postgres
def test_default_of_makes_postgres_and_sqlite_defaults_comparable(pg_url, tmp_path):
    """The same server defaults read the same on both dialects once normalised."""
    ddl = (
        "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, plan VARCHAR(20) DEFAULT 'free' NOT NULL, "
        "n INTEGER DEFAULT 0 NOT NULL, payload {json} DEFAULT '{{}}' NOT NULL, label TEXT DEFAULT 'a b')"
    )
    scratch = PostgresScratch(pg_url)
    try:
        pg_engine = sa.create_engine(scratch.create("defaults"), poolclass=sa.pool.NullPool)
        with pg_engine.begin() as connection:
            connection.exec_driver_sql(ddl.format(json="JSONB"))
        pg_columns = reflect(pg_engine)["table:t"]["columns"]
        pg_engine.dispose()
    finally:
        scratch.close()
    lite_engine = sqlite_engine(tmp_path / "d.db", [ddl.format(json="JSON")])
    lite_columns = reflect(lite_engine)["table:t"]["columns"]
    lite_engine.dispose()
    for column in ("plan", "n", "payload", "label"):
        assert pg_columns[column]["default"] == lite_columns[column]["default"], column
    assert pg_columns["plan"]["default"] == "'free'"
    assert pg_columns["payload"]["default"] == "'{}'"
    assert pg_columns["plan"]["type"] == lite_columns["plan"]["type"] == "String(length=20)"


@pytest.mark.postgres
def test_postgres_history_leaves_no_database(pg_url, tmp_path):
    root = copy_example("pg_server_default", tmp_path)
    history = MigrationHistory(load(root).config(), pg_url)
    try:
        history.walk_downgrades()
        after = history.schema_after("5def02c3d5e7")
        assert after.tables == {"audit_events", "reporting.daily_reports"}
        assert after.sequences == {"audit_events_id_seq", "reporting.daily_report_id_seq"}
        assert after.column("reporting.daily_reports", "id")["default"] == (
            "nextval('reporting.daily_report_id_seq'::regclass)"
        )
        assert after.column("reporting.daily_reports", "generated_at")["default"] == "now()"
        assert history.schema_after_downgrade("5def02c3d5e7").objects == history.schema_before("5def02c3d5e7").objects
        assert history.downgrade_errors == {}
        assert pg_databases(pg_url, history.scratch.prefix)
    finally:
        history.close()
    assert pg_databases(pg_url, history.scratch.prefix) == []


def test_every_exported_name_is_reachable_and_none_is_shadowed_by_a_module():
    """The package exports lazily (PEP 562): a submodule named like an export would shadow it once imported."""
    import pytest_localmig

    folder = Path(pytest_localmig.__file__).parent
    for name in pytest_localmig.__all__:
        assert not (folder / f"{name}.py").exists(), name
        assert not isinstance(getattr(pytest_localmig, name), type(pytest_localmig)), name


def test_rows_without_their_key_come_in_the_order_of_their_values(failing_history):
    """A left-out key (a random uuid, say) must not decide the order: the rows come sorted by the
    values kept, the order ordered_rows gives the expected rows a generated test writes down."""
    from pytest_localmig import ordered_rows

    database = failing_history.database_before("fa1102d9e1f3")
    try:
        database.insert("invoices", [{"id": 1, "number": "INV-9", "total_cents": 5},
                                     {"id": 2, "number": "INV-1", "total_cents": 8},
                                     {"id": 3, "number": "INV-5", "total_cents": 7}])
        assert [r["id"] for r in database.rows("invoices")] == [1, 2, 3]  # whole rows: by the key
        kept = database.rows("invoices", without=["id"])
        assert kept == [{"number": "INV-1", "total_cents": 8}, {"number": "INV-5", "total_cents": 7},
                        {"number": "INV-9", "total_cents": 5}]
        seen = [{k: v for k, v in row.items() if k != "id"} for row in database.rows("invoices")]
        assert ordered_rows(seen) == kept
    finally:
        database.dispose()
