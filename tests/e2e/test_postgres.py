"""The pg_* scenarios on a real PostgreSQL server (the ``pg_url`` fixture), and suites run there."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from localmig.capture import Capture
from localmig.project import load
from tests.conftest import run_cli

pytestmark = pytest.mark.postgres


def scratch_databases(pg_url: str) -> set[str]:
    engine = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT datname FROM pg_database WHERE datname LIKE 'mig%%'")
            return {row[0] for row in rows}
    finally:
        engine.dispose()


def assert_none_left(pg_url: str, before: set[str], timeout: float = 60) -> None:
    """Databases that appeared since ``before`` are gone (others' runs may still be finishing)."""
    deadline = time.monotonic() + timeout
    while True:
        left = scratch_databases(pg_url) - before
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not left, f"scratch databases left on the server: {sorted(left)}"


@pytest.fixture
def pg_capture(project, pg_url):
    """``pg_capture(name)`` -> (capture, result) on PostgreSQL; closed and checked afterwards."""
    opened: list[Capture] = []
    logging.disable(logging.INFO)

    def run(name: str):
        capture = Capture(load(project(name)), pg_url)
        opened.append(capture)
        return capture, capture.run()

    yield run
    for capture in opened:
        prefix = capture.history.scratch.prefix
        capture.close()
        assert not {d for d in scratch_databases(pg_url) if d.startswith(prefix)}
    logging.disable(logging.NOTSET)


def test_enum_created_and_dropped_again(pg_capture):
    capture, result = pg_capture("pg_enum")
    assert result.dialect == "postgresql"
    assert result.findings == []
    history = capture.history
    first, second = "e0a001c5d7e9", "e0a002f1a3b5"
    assert [c.kind for c in result.captures[first].diff.changes] == ["add_table", "add_enum", "add_sequence"]
    assert history.schema_after(first).enums == {"ticket_status": ["open", "pending", "closed"]}
    assert set(history.schema_after(second).enums) == {"ticket_status", "ticket_priority"}
    assert history.schema_after(second).enums["ticket_priority"] == ["low", "normal", "urgent"]
    priority = history.schema_after(second).column("tickets", "priority")
    assert priority["type"] == "Enum('low', 'normal', 'urgent')" and priority["default"] == "'normal'"
    # after each downgrade the enum types it made are gone
    assert history.schema_after_downgrade(second).enums == history.schema_after(first).enums
    assert history.schema_after_downgrade(first).enums == {}
    assert history.schema_after_downgrade(first).tables == set()
    assert history.downgrade_errors == {} and history.round_trip_errors == {}


def test_jsonb(pg_capture):
    capture, result = pg_capture("pg_jsonb")
    assert result.findings == []
    events = capture.snapshot_after("75b001a4b6c8").tables["events"]
    assert events.columns["payload"].default == "'{}'"
    assert events.columns["payload"].nullable is False
    assert events.columns["occurred_at"].default == "now()"
    assert [i.name for i in events.indexes] == ["ix_events_kind"]
    assert result.captures["75b002d0e2f4"].diff.describe() == ["add index on events: INDEX ix_events_payload USING gin (payload)"]


def test_partial_index_records_its_where(pg_capture):
    capture, result = pg_capture("pg_partial_index")
    assert result.findings == []
    (change,) = result.captures["9a1702e9f1a3"].diff.changes
    assert change.kind == "add_index"
    assert (change.after.name, change.after.columns, change.after.unique) == ("uq_users_email_active", ["email"], True)
    assert change.after.where == "(deleted_at IS NULL)"
    index = capture.history.schema_after("9a1702e9f1a3").indexes("users")["uq_users_email_active"]
    assert index["where"] == "(deleted_at IS NULL)"


def test_server_defaults_in_a_non_public_schema(pg_capture):
    capture, result = pg_capture("pg_server_default")
    assert result.findings == []
    assert result.captures["5def02c3d5e7"].diff.describe() == [
        "add table reporting.daily_reports",
        "add sequence reporting.daily_report_id_seq",
    ]
    after = capture.snapshot_after("5def02c3d5e7")
    reports = after.tables["reporting.daily_reports"]
    assert reports.columns["id"].default == "nextval('reporting.daily_report_id_seq'::regclass)"
    assert reports.columns["generated_at"].default == "now()"
    assert sorted(after.sequences) == ["audit_events_id_seq", "reporting.daily_report_id_seq"]
    assert capture.snapshot_after("5def01a7b9c1").tables["audit_events"].columns["created_at"].default == "now()"
    downgraded = capture.history.schema_after_downgrade("5def02c3d5e7")
    assert downgraded.tables == {"audit_events"} and downgraded.sequences == {"audit_events_id_seq"}


@pytest.mark.parametrize("name", ["pg_enum", "pg_jsonb", "pg_partial_index", "pg_server_default"])
def test_scan_on_postgres(project, pg_url, name):
    root = project(name)
    before = scratch_databases(pg_url)
    completed = run_cli("scan", str(root), "--json", "--db-url", pg_url)
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert document["dialect"] == "postgresql"
    assert document["findings"] == []
    assert all(r["applied"] for r in document["revisions"])
    assert "never_used" not in completed.stderr.lower()
    assert_none_left(pg_url, before)


def test_generated_suite_runs_on_postgres(project, pg_url):
    root = project("pg_server_default")
    before = scratch_databases(pg_url)
    completed = run_cli("generate", str(root), "--db-url", pg_url, "--no-model", "-q")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    suite = root / "tests" / "migrations"
    assert sorted(p.name[5:17] for p in suite.glob("test_*.py")) == ["5def01a7b9c1", "5def02c3d5e7"]
    text = "".join(p.read_text() for p in suite.glob("*.py"))
    assert pg_url not in text and "127.0.0.1" not in text  # the server is given when running, never stored
    command = [sys.executable, "-m", "pytest", "tests/migrations", "-q", "-p", "no:cacheprovider", "-p", "localmig"]
    plain = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = subprocess.run([*command, "--migration-db-url", pg_url], cwd=root, capture_output=True, text=True,
                            timeout=600, env=plain)
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
    environment = {**plain, "MIGRATION_TEST_DATABASE_URL": pg_url}
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=600, env=environment)
    assert result.returncode == 0, result.stdout[-3000:]
    # measured on PostgreSQL: on SQLite its expectations would not hold, and it says so
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=600, env=plain)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout[-3000:]
    message = " ".join(result.stderr.split())
    assert "generated from a run of the migrations on postgresql" in message
    assert "do not hold on sqlite" in message and "with --migration-db-url set to a postgresql server" in message
    assert " passed" not in result.stdout and "Traceback" not in result.stderr
    assert_none_left(pg_url, before)


def test_a_suite_measured_on_sqlite_refuses_to_run_on_postgres(project, pg_url):
    root = project("linear")
    completed = run_cli("generate", str(root), "--no-model", "-q")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    command = [sys.executable, "-m", "pytest", "tests/migrations", "-q", "-p", "no:cacheprovider", "-p", "localmig",
               "--migration-db-url", pg_url]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout[-3000:]
    message = " ".join(result.stderr.split())
    assert "generated from a run of the migrations on sqlite" in message and "do not hold on postgresql" in message
    assert "Run them without --migration-db-url" in message and "localmig generate PATH --db-url URL" in message
    assert " passed" not in result.stdout
    checked = run_cli("check", str(root), "--db-url", pg_url)
    assert checked.returncode == 1
    assert "pytest could not run the generated suite (exit 4)" in checked.stderr
    assert "generated from a run of the migrations on sqlite" in " ".join(checked.stderr.split())
    assert "Traceback" not in checked.stderr


def test_unreachable_server_is_a_capture_error(project):
    completed = run_cli("scan", str(project("pg_enum")), "--db-url", "postgresql+psycopg://nobody@127.0.0.1:1/postgres")
    assert completed.returncode == 4
    assert "cannot reach the scratch database server" in " ".join(completed.stderr.split())
    assert "Traceback" not in completed.stderr
