"""On PostgreSQL, scratch databases are used through a role of their own (pytest_localmig.roles):
what that role can and cannot do, checked with plain psycopg connections (no connect guard), and
that it goes away with its databases, also when the run that made it was killed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from pytest_localmig import url_to_string
from pytest_localmig.roles import ROLE_PREFIX, ROLE_SWITCH, ScratchRoleNote
from pytest_localmig.scratch import PostgresScratch, ScratchServer
from sqlalchemy.engine import make_url

from localmig.capture import Capture
from localmig.project import load
from tests.conftest import run_cli

pytestmark = pytest.mark.postgres


def connect(url: sa.URL, database: str | None = None) -> psycopg.Connection:
    """A plain psycopg connection (autocommit) as the URL's user: nothing of localmig in between."""
    url = url.set(drivername="postgresql") if database is None else url.set(drivername="postgresql", database=database)
    return psycopg.connect(url_to_string(url), autocommit=True)


def admin_query(pg_url: str, statement: str, params: dict | None = None) -> list:
    with connect(make_url(pg_url)) as connection:
        cursor = connection.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def roles_left(pg_url: str, name: str) -> list:
    return admin_query(pg_url, "SELECT rolname FROM pg_roles WHERE rolname = %(name)s", {"name": name})


def databases_of(pg_url: str, prefix: str) -> list:
    return admin_query(pg_url, "SELECT datname FROM pg_database WHERE datname LIKE %(p)s", {"p": prefix + "%"})


@contextmanager
def own_database(pg_url: str) -> Iterator[str]:
    """A database of this test's (not a scratch one), with a table of the admin's holding a secret."""
    name = "localmig_role_test_" + uuid.uuid4().hex[:8]
    admin_query(pg_url, f'CREATE DATABASE "{name}"')
    try:
        with connect(make_url(pg_url), name) as connection:
            connection.execute("CREATE TABLE customers (email text); INSERT INTO customers VALUES ('canary@corp.example')")
        yield name
    finally:
        admin_query(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def login_role(pg_url: str, attributes: str) -> Iterator[str]:
    """A server URL whose user is a new role with ``attributes`` (this server trusts loopback logins)."""
    name = "localmig_test_admin_" + uuid.uuid4().hex[:8]
    admin_query(pg_url, f'CREATE ROLE "{name}" LOGIN {attributes}')
    try:
        yield url_to_string(make_url(pg_url).set(username=name, password=None))
    finally:
        for (database,) in admin_query(pg_url, "SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
                                                "WHERE r.rolname = %(n)s", {"n": name}):
            admin_query(pg_url, f'DROP DATABASE "{database}" WITH (FORCE)')
        admin_query(pg_url, f'DROP OWNED BY "{name}"; DROP ROLE "{name}"')


def test_the_url_handed_out_is_a_role_that_is_no_superuser_and_creates_no_database_or_role(pg_url):
    scratch = PostgresScratch(pg_url)
    try:
        url = scratch.create("empty")
        assert url.username.startswith(ROLE_PREFIX) and url.username != make_url(pg_url).username
        assert url.password and url == scratch.url("empty") and scratch.copy("empty", "one").username == url.username
        with connect(url) as connection:
            row = connection.execute("SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, "
                                     "current_user FROM pg_roles WHERE rolname = current_user").fetchone()
            assert row == (False, False, False, False, False, url.username)
            memberships = connection.execute("SELECT count(*) FROM pg_auth_members m JOIN pg_roles r "
                                             "ON r.oid = m.member WHERE r.rolname = current_user").fetchone()
            assert memberships == (0,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied to create database"):
                connection.execute('CREATE DATABASE "localmig_role_test_nope"')
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied to create role"):
                connection.execute('CREATE ROLE "localmig_role_test_nope"')
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(f'ALTER ROLE "{url.username}" SUPERUSER')
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(f'SET ROLE "{make_url(pg_url).username}"')
            # the server's files and programs (superuser, pg_read_server_files, pg_execute_server_program)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute("SELECT pg_read_file('/etc/hostname')")
            connection.execute("CREATE TABLE lines (line text)")
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="pg_execute_server_program"):
                connection.execute("COPY lines FROM PROGRAM 'id'")
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="pg_write_server_files"):
                connection.execute("COPY lines TO '/tmp/localmig-role-test'")
    finally:
        scratch.close()


def test_in_its_own_databases_the_role_creates_alters_and_drops_what_migrations_do(pg_url):
    scratch = PostgresScratch(pg_url)
    try:
        scratch.create("empty")
        url = scratch.copy("empty", "work")
        with connect(url) as connection:
            connection.execute("CREATE SCHEMA reporting; CREATE TYPE mood AS ENUM ('calm');"
                               "CREATE TABLE reporting.events (id serial PRIMARY KEY, mood mood);"
                               "CREATE TABLE users (id int); CREATE INDEX ix_users ON users (id);"
                               "CREATE EXTENSION IF NOT EXISTS citext;"  # a trusted extension
                               "ALTER TABLE users ADD COLUMN email citext; ALTER TYPE mood ADD VALUE 'tense';"
                               "DROP TABLE users; DROP SCHEMA reporting CASCADE; DROP TYPE mood")
            connection.execute("CREATE TABLE kept (id int)")
        copied = scratch.copy("work", "copy")  # a copy of a template of its is its too
        with connect(copied) as connection:
            owner = connection.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'kept'").fetchone()
            assert owner == (url.username,)
            connection.execute("DROP TABLE kept")
    finally:
        scratch.close()


def test_the_role_cannot_create_extensions_that_reach_other_databases_unless_switched_off(pg_url, tmp_path,
                                                                                           monkeypatch):
    """dblink and postgres_fdw are untrusted extensions: only a superuser creates them. With
    LOCALMIG_SCRATCH_ROLE=off the server URL's user is used (a migration that needs a superuser)."""
    scratch = ScratchServer.for_url(pg_url, str(tmp_path))
    try:
        url = scratch.create("empty")
        with connect(url) as connection:
            for extension in ("dblink", "postgres_fdw", "file_fdw"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match=f'create extension "{extension}"'):
                    connection.execute(f"CREATE EXTENSION {extension}")
    finally:
        scratch.close()
    monkeypatch.setenv(ROLE_SWITCH, "off")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plain = ScratchServer.for_url(pg_url, str(tmp_path))
    try:
        assert isinstance(plain, PostgresScratch) and plain.role is None and plain.notes == [] and caught == []
        url = plain.create("empty")
        assert url.username == make_url(pg_url).username
        with connect(url) as connection:
            connection.execute("CREATE EXTENSION dblink")
    finally:
        plain.close()
    assert databases_of(pg_url, plain.prefix) == []


def test_another_database_the_role_can_open_shows_it_nothing_and_takes_nothing(pg_url):
    """PostgreSQL has no per-role deny of PUBLIC's default CONNECT (and localmig never changes other
    databases), so the role can open a session there; it owns nothing and reads nothing."""
    scratch = PostgresScratch(pg_url)
    try:
        url = scratch.create("empty")
        with own_database(pg_url) as other, connect(url, other) as connection:
            assert connection.execute("SELECT current_database(), current_user").fetchone() == (other, url.username)
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for table customers"):
                connection.execute("SELECT * FROM customers")
            for statement in ("DELETE FROM customers", "DROP TABLE customers", "ALTER TABLE customers ADD x int"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    connection.execute(statement)
            if connection.info.server_version >= 150000:  # before 15, PUBLIC may CREATE in public (see README)
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for schema public"):
                    connection.execute("CREATE TABLE planted (id int)")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(f'ALTER DATABASE "{other}" OWNER TO "{url.username}"')
    finally:
        scratch.close()


def test_migrations_run_as_the_role(project, pg_url):
    """What env.py and the migrations get: the capture's tables are owned by the scratch role."""
    capture = Capture(load(project("pg_enum")), pg_url)
    try:
        result = capture.run()
        assert result.findings == []
        role = capture.history.scratch.role
        assert role is not None
        database = capture.history.database_after("e0a002f1a3b5")
        assert database.url.username == role.name
        with connect(database.url) as connection:
            owners = connection.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
            assert owners.fetchall() == [(role.name,)]
        database.dispose()
    finally:
        capture.close()
    assert roles_left(pg_url, role.name) == []
    assert databases_of(pg_url, capture.history.scratch.prefix) == []


def test_role_and_databases_are_dropped_at_close_even_with_its_sessions_still_open(pg_url):
    scratch = PostgresScratch(pg_url)
    url = scratch.create("empty")
    scratch.copy("empty", "one")
    stray = connect(scratch.url("one"))  # a test that never closed its connection, as a failed run leaves it
    try:
        try:
            raise RuntimeError("a run that failed")
        except RuntimeError:
            pass
        finally:
            scratch.close()
        assert roles_left(pg_url, url.username) == []
        assert databases_of(pg_url, scratch.prefix) == []
        assert scratch.notes == []
    finally:
        stray.close()


KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    from pytest_localmig.scratch import PostgresScratch, ScratchServer
    scratch = PostgresScratch(sys.argv[1])
    scratch.create("empty")
    scratch.copy("empty", "one")
    print(scratch.role.name, scratch.prefix, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_a_killed_runs_role_is_dropped_by_the_next_run_and_a_live_ones_is_not(pg_url):
    killed = subprocess.run([sys.executable, "-c", KILLED_RUN, pg_url], capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    name, prefix = killed.stdout.split()
    assert roles_left(pg_url, name) == [(name,)]
    assert sorted(databases_of(pg_url, prefix)) == [(f"{prefix}_empty",), (f"{prefix}_one",)]
    comment = admin_query(pg_url, "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = %(n)s",
                          {"n": name})
    assert comment[0][0].startswith("localmig scratch role")
    live = PostgresScratch(pg_url)  # a run still going: it holds its role's lock
    try:
        live.create("empty")
        following = PostgresScratch(pg_url)
        try:
            assert roles_left(pg_url, name) == [] and databases_of(pg_url, prefix) == []
            assert roles_left(pg_url, live.role.name) == [(live.role.name,)]
            assert databases_of(pg_url, live.prefix) == [(f"{live.prefix}_empty",)]
        finally:
            following.close()
    finally:
        live.close()


def test_a_copy_of_another_sessions_database_is_given_to_this_sessions_role(pg_url):
    """localmig mutate starts a mutant's history at a database of the capture's (ScratchServer.adopt)."""
    first, second = PostgresScratch(pg_url), PostgresScratch(pg_url)
    names = [first.role.name, second.role.name]
    try:
        first.create("empty")
        source = first.copy("empty", "seed")
        with connect(source) as connection:
            connection.execute("CREATE SCHEMA reporting; CREATE TYPE mood AS ENUM ('calm');"
                               "CREATE TABLE reporting.events (id serial PRIMARY KEY, mood mood);"
                               "CREATE VIEW recent AS SELECT 1 AS x; CREATE SEQUENCE counter")
        second.create("empty")
        adopted = second.adopt("seed", url_to_string(source))
        assert adopted.username == second.role.name
        with connect(adopted) as connection:
            connection.execute("ALTER TABLE reporting.events ADD COLUMN note text; ALTER TYPE mood ADD VALUE 'tense';"
                               "DROP VIEW recent; DROP SEQUENCE counter; DROP SCHEMA reporting CASCADE; DROP TYPE mood")
        with connect(source) as connection:  # the original is still the first session's
            assert connection.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user").fetchone() == (1,)
        assert admin_query(pg_url, "SELECT datdba::regrole::text FROM pg_database WHERE datname = %(d)s",
                           {"d": source.database}) == [(first.role.name,)]
    finally:
        second.close()
        first.close()
    assert [roles_left(pg_url, name) for name in names] == [[], []]


def test_a_non_superuser_with_createrole_gets_a_scratch_role_too(pg_url):
    with login_role(pg_url, "CREATEDB CREATEROLE") as server:
        scratch = PostgresScratch(server)
        try:
            assert scratch.role is not None and scratch.notes == []
            scratch.create("empty")
            url = scratch.copy("empty", "one")
            with connect(url) as connection:
                connection.execute("CREATE TABLE t (id int)")
            scratch.copy("one", "two")
            name = scratch.role.name
        finally:
            scratch.close()
        assert scratch.notes == [] and roles_left(pg_url, name) == []
        assert databases_of(pg_url, scratch.prefix) == []


def test_without_createrole_the_servers_user_is_used_with_one_note(pg_url):
    with login_role(pg_url, "CREATEDB NOCREATEROLE") as server:
        user = make_url(server).username
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scratch = PostgresScratch(server)
            try:
                url = scratch.create("empty")
                scratch.copy("empty", "one")
            finally:
                scratch.close()
        notes = [w for w in caught if issubclass(w.category, ScratchRoleNote)]
        assert len(notes) == 1 and scratch.notes == [str(notes[0].message)]
        assert f"the PostgreSQL user {user} may not create roles (no CREATEROLE)" in scratch.notes[0]
        assert scratch.role is None and url.username == user
        assert databases_of(pg_url, scratch.prefix) == []
        assert admin_query(pg_url, "SELECT count(*) FROM pg_roles WHERE rolname LIKE %(p)s AND "
                                   "pg_has_role(%(u)s, oid, 'MEMBER')", {"p": ROLE_PREFIX + "%", "u": user}) == [(0,)]


def test_through_the_command_line_the_note_is_said_once_as_a_note_not_a_python_warning(project, pg_url):
    with login_role(pg_url, "CREATEDB NOCREATEROLE") as server:
        completed = run_cli("scan", str(project("pg_enum")), "--db-url", server)
    assert completed.returncode == 0, completed.stderr
    output = " ".join((completed.stdout + completed.stderr).split())
    assert output.count("may not create roles (no CREATEROLE)") == 1, output
    assert "ScratchRoleNote" not in output and "warnings.warn" not in output and "Traceback" not in output


@pytest.fixture(scope="module")
def hba_server() -> Iterator[tuple[str, Path, str]]:
    """A PostgreSQL server of this module's own, whose pg_hba.conf the tests rewrite:
    (server URL of its superuser, pg_hba.conf, the command that reloads it)."""
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="localmig-test-hba-"))
    os.chmod(folder, 0o755)
    root = Path(__file__).resolve().parents[2]
    started = subprocess.run(["bash", str(root / ".ci" / "start-postgres"), str(folder / "cluster")],
                             capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"could not start PostgreSQL:\n{started.stderr[-2000:]}")
    settings = dict(line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines() if "=" in line)
    stop = settings["LOCALMIG_TEST_PG_STOP"].strip("'")
    try:
        yield settings["LOCALMIG_TEST_PG_URL"], folder / "cluster" / "data" / "pg_hba.conf", stop.replace(
            " -m fast stop", " reload")
    finally:
        subprocess.run(stop, shell=True, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def allow(hba: tuple[str, Path, str], others: str) -> None:
    """pg_hba.conf: its superuser by trust, every other role by ``others``; reloaded."""
    _, path, reload = hba
    path.write_text(f"local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 {others}\n")
    subprocess.run(reload, shell=True, check=True, capture_output=True)
    time.sleep(0.2)  # the postmaster rereads it on SIGHUP


def test_the_role_logs_in_with_its_password_where_the_server_asks_for_one(hba_server):
    allow(hba_server, "scram-sha-256")
    scratch = PostgresScratch(hba_server[0])
    try:
        url = scratch.create("empty")
        assert scratch.role is not None and scratch.notes == []
        with connect(url) as connection:
            assert connection.execute("SELECT current_user").fetchone() == (scratch.role.name,)
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            connect(url.set(password="not-its-password"))
    finally:
        scratch.close()


def test_a_role_the_server_does_not_let_log_in_gives_way_to_the_servers_user_with_a_note(hba_server):
    allow(hba_server, "reject")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scratch = PostgresScratch(hba_server[0])
        name = scratch.role.name
        try:
            url = scratch.create("empty")
            copied = scratch.copy("empty", "one")
            assert scratch.role is None and url.username == copied.username == "postgres"
            with connect(copied) as connection:
                connection.execute("CREATE TABLE t (id int)")
        finally:
            scratch.close()
    (note,) = [str(w.message) for w in caught if issubclass(w.category, ScratchRoleNote)]
    assert note.startswith(f"the scratch role {name} could not log in (") and "pg_hba.conf" in note
    assert note.endswith("scratch databases are used as the server URL's user") and scratch.notes == [note]
    assert roles_left(hba_server[0], name) == [] and databases_of(hba_server[0], scratch.prefix) == []
