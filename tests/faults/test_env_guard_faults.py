"""env.py's connections: every DBAPI connect that is not to the scratch database is refused before
it is made, whatever the URL's shape, and whether SQLAlchemy or env.py itself calls the DBAPI.

Victims are real: a SQLite file with rows (its checksum must not change, or it must not come into
existence), a PostgreSQL database on the test server (it must get no ``alembic_version`` table).
Non-loopback PostgreSQL targets are only named: the refusal comes before any packet, and the
catalogue's audit hook would fail the case on any attempt.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from localmig.errors import ExitCode
from tests.faults.conftest import SCENARIOS, assert_fault, invoke

REFUSED = "refused before connecting"
NOTHING = "Nothing was migrated there"


@pytest.fixture
def ignores_url(tmp_path) -> Path:
    """The env_ignores_url scenario: env.py builds its own engine from SCENARIO_DATABASE_URL."""
    root = tmp_path / "env_ignores_url"
    shutil.copytree(SCENARIOS / "env_ignores_url", root)
    return root


@pytest.fixture
def victim(tmp_path) -> Path:
    path = tmp_path / "victim.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)")
        connection.execute("INSERT INTO customers VALUES (1, 'a@example.com')")
    connection.close()
    return path


def with_env(root: Path, online: str) -> Path:
    """Replace the online part of ``root``'s env.py with ``online`` (a function body's lines)."""
    env = root / "migrations" / "env.py"
    source = env.read_text()
    start = source.index("def run_migrations_online() -> None:")
    end = source.index("if context.is_offline_mode():")
    env.write_text(source[:start] + "def run_migrations_online() -> None:\n" + online + "\n\n" + source[end:])
    return root


# --------------------------------------------------------------------------- SQLite


@pytest.mark.parametrize("query", ["?uri=true", "?mode=rw&uri=true", "?mode=rwc&cache=shared&uri=true"])
def test_sqlite_uri_filename_is_resolved_to_its_file(ignores_url, victim, guard, query):
    kept = guard(ignores_url, victim)
    outcome = invoke("scan", ignores_url, env={"SCENARIO_DATABASE_URL": f"sqlite:///file:{victim}{query}"})
    assert_fault(outcome, ExitCode.CAPTURE, f"to the SQLite file {victim}", REFUSED, NOTHING, "--builtin-env")
    kept.unchanged()


def test_sqlite_uri_filename_of_a_new_file_creates_nothing(ignores_url, tmp_path, guard):
    target = tmp_path / "would_be_created.db"
    kept = guard(ignores_url)
    outcome = invoke("scan", ignores_url, env={"SCENARIO_DATABASE_URL": f"sqlite:///file:{target}?uri=true"})
    assert_fault(outcome, ExitCode.CAPTURE, f"to the SQLite file {target}", REFUSED)
    assert not target.exists()
    kept.unchanged()


def test_creator_engine_calling_sqlite3_connect(ignores_url, victim, guard):
    with_env(ignores_url, (
        "    import sqlite3\n"
        f"    connectable = create_engine('sqlite://', creator=lambda: sqlite3.connect({str(victim)!r}))\n"
        "    with connectable.connect() as connection:\n"
        "        context.configure(connection=connection, target_metadata=target_metadata)\n"
        "        with context.begin_transaction():\n"
        "            context.run_migrations()\n"
    ))
    kept = guard(ignores_url, victim)
    outcome = invoke("scan", ignores_url)
    assert_fault(outcome, ExitCode.CAPTURE, "sqlite3.connect, as a creator= engine or a raw connect does",
                 f"to the SQLite file {victim}", REFUSED, NOTHING)
    kept.unchanged()


def test_creator_engine_with_a_function_imported_from_the_dbapi(ignores_url, victim, guard):
    """``from sqlite3 import dbapi2`` and ``_sqlite3.connect`` are the same door."""
    with_env(ignores_url, (
        "    import _sqlite3\n"
        f"    connectable = create_engine('sqlite://', creator=lambda: _sqlite3.connect({str(victim)!r}))\n"
        "    with connectable.connect() as connection:\n"
        "        context.configure(connection=connection, target_metadata=target_metadata)\n"
        "        with context.begin_transaction():\n"
        "            context.run_migrations()\n"
    ))
    kept = guard(ignores_url, victim)
    assert_fault(invoke("scan", ignores_url), ExitCode.CAPTURE, "_sqlite3.connect", f"{victim}", REFUSED)
    kept.unchanged()


def test_raw_sqlite3_connect_in_env_py(ignores_url, victim, guard):
    """env.py writes to another database itself, then uses the connection it was given."""
    with_env(ignores_url, (
        "    import sqlite3\n"
        f"    sqlite3.connect({str(victim)!r}).execute('DELETE FROM customers')\n"
        "    context.configure(connection=config.attributes['connection'], target_metadata=target_metadata)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n"
    ))
    kept = guard(ignores_url, victim)
    assert_fault(invoke("scan", ignores_url), ExitCode.CAPTURE, "sqlite3.connect", f"{victim}", REFUSED)
    kept.unchanged()


def test_in_memory_sqlite_in_env_py_is_allowed(ignores_url, guard):
    """An in-memory database touches no file: env.py may use one on the side."""
    with_env(ignores_url, (
        "    import sqlite3\n"
        "    sqlite3.connect(':memory:').execute('SELECT 1')\n"
        "    sqlite3.connect('file:side?mode=memory', uri=True).execute('SELECT 1')\n"
        "    context.configure(connection=config.attributes['connection'], target_metadata=target_metadata)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n"
    ))
    kept = guard(ignores_url)
    outcome = invoke("scan", ignores_url)
    assert outcome.exit_code == ExitCode.OK, outcome.stdout + outcome.stderr
    kept.unchanged()


# --------------------------------------------------------------------------- PostgreSQL URL shapes


@pytest.mark.parametrize(("url", "phrase"), [
    ("postgresql+psycopg://u:p@10.1.2.3:5432", "database 'u' on 10.1.2.3:5432 (no database name given: libpq's "
     "default is the user name)"),
    ("postgresql+psycopg://u@/victimdb?host=10.1.2.3", "database 'victimdb' on 10.1.2.3:5432"),
    ("postgresql+psycopg://u@/victimdb?host=10.1.2.3&port=6543", "database 'victimdb' on 10.1.2.3:6543"),
    ("postgresql+psycopg://u@/victimdb?host=/var/run/postgresql", "the unix socket in"),
    ("postgresql+psycopg://u@/victimdb?service=production", "a database whose location cannot be told"),
    ("postgresql+psycopg://u@10.1.2.3,10.1.2.4/victimdb", "a database whose location cannot be told"),
])
def test_postgresql_url_shapes_are_refused_before_any_packet(ignores_url, guard, url, phrase):
    kept = guard(ignores_url)
    outcome = invoke("scan", ignores_url, env={"SCENARIO_DATABASE_URL": url})
    assert_fault(outcome, ExitCode.CAPTURE, phrase, REFUSED, NOTHING)
    assert ":p@" not in outcome.text  # the password is never printed
    kept.unchanged()


def test_pghost_from_the_environment_decides_the_host(ignores_url, guard):
    kept = guard(ignores_url)
    outcome = invoke("scan", ignores_url, env={"SCENARIO_DATABASE_URL": "postgresql+psycopg:///victimdb",
                                               "PGHOST": "10.9.8.7", "PGPORT": "5999"})
    assert_fault(outcome, ExitCode.CAPTURE, "database 'victimdb' on 10.9.8.7:5999", REFUSED)
    kept.unchanged()


@pytest.fixture
def pg_victim(pg_url) -> Iterator[str]:
    """A database of its own on the test server, with a table and a row."""
    name = f"localmig_victim_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    victim = sa.create_engine(url)
    with victim.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE customers (id integer PRIMARY KEY, email text)")
        connection.exec_driver_sql("INSERT INTO customers VALUES (1, 'a@example.com')")
    victim.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def pg_tables(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        return sorted(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_postgresql_victim_on_the_scratch_server_is_untouched(ignores_url, guard, pg_url, pg_victim):
    """Same server, same user, another database: refused, the victim gets no alembic_version."""
    kept = guard(ignores_url)
    outcome = invoke("scan", ignores_url, "--db-url", pg_url, env={"SCENARIO_DATABASE_URL": pg_victim})
    assert_fault(outcome, ExitCode.CAPTURE, f"database '{make_url(pg_victim).database}'", REFUSED, NOTHING)
    assert pg_tables(pg_victim) == ["customers"]
    kept.unchanged()


def test_raw_psycopg_connect_with_a_conninfo_string(ignores_url, guard, pg_url, pg_victim):
    victim = make_url(pg_victim)
    conninfo = f"host={victim.host} port={victim.port} dbname={victim.database} user={victim.username}"
    with_env(ignores_url, (
        "    import psycopg\n"
        f"    with psycopg.connect({conninfo!r}, autocommit=True) as raw:\n"
        "        raw.execute('CREATE TABLE alembic_version (version_num varchar(32))')\n"
        "    context.configure(connection=config.attributes['connection'], target_metadata=target_metadata)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n"
    ))
    kept = guard(ignores_url)
    outcome = invoke("scan", ignores_url, "--db-url", pg_url)
    assert_fault(outcome, ExitCode.CAPTURE, "psycopg.connect", f"database '{victim.database}'", REFUSED)
    assert pg_tables(pg_victim) == ["customers"]
    kept.unchanged()


def test_creator_engine_calling_psycopg_connect(ignores_url, guard, pg_url, pg_victim):
    with_env(ignores_url, (
        "    import psycopg\n"
        f"    connectable = create_engine('postgresql+psycopg://', creator=lambda: psycopg.connect({pg_victim.replace('+psycopg', '')!r}))\n"
        "    with connectable.connect() as connection:\n"
        "        context.configure(connection=connection, target_metadata=target_metadata)\n"
        "        with context.begin_transaction():\n"
        "            context.run_migrations()\n"
    ))
    kept = guard(ignores_url)
    outcome = invoke("scan", ignores_url, "--db-url", pg_url)
    assert_fault(outcome, ExitCode.CAPTURE, "creator= engine", f"database '{make_url(pg_victim).database}'", REFUSED)
    assert pg_tables(pg_victim) == ["customers"]
    kept.unchanged()


def test_env_py_using_the_scratch_url_itself_is_let_through(tmp_path, guard, pg_url):
    """The guard's other side: env.py that builds an engine from sqlalchemy.url on PostgreSQL runs."""
    root = tmp_path / "linear"
    shutil.copytree(SCENARIOS / "linear", root, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    kept = guard(root)
    outcome = invoke("scan", root, "--db-url", pg_url)
    assert outcome.exit_code == ExitCode.OK, outcome.stdout + outcome.stderr
    assert "no findings" in outcome.text
    kept.unchanged()
