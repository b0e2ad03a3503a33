"""A full scratch disk is the machine's limit: one message and exit 4 from localmig, a stopped session
in pytest, never a finding about a migration and never "internal error".

The disk is a real tmpfs of a few hundred KiB, mounted in a mount namespace of its own
(``unshare -rm``) around the command, so nothing outside the test sees it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from pytest_localmig.errors import FULL_MARK, ScratchFull, as_scratch_full, scratch_space

from localmig.errors import CaptureError
from localmig.outcomes import ExpectedModule, PlannedTest
from localmig.verify import _run_pytest, run_suite
from tests.conftest import generate_demo

DEMO_FINDING = "downgrade_failed d1a0094d7b13"  # the demo's one real defect


def _can_mount() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k none /mnt"],
                           capture_output=True)
    return probe.returncode == 0


needs_mount = pytest.mark.skipif(not _can_mount(), reason="needs `unshare -rm` and a tmpfs mount (user namespaces)")


def on_small_disk(folder: Path, size: str, command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run ``command`` with LOCALMIG_SCRATCH_DIR on a tmpfs of ``size`` mounted at ``folder``."""
    folder.mkdir(exist_ok=True)
    script = f"mount -t tmpfs -o size={size} none {shlex.quote(str(folder))} && exec {shlex.join(command)}"
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "LOCALMIG_SCRATCH_DIR": str(folder), "COLUMNS": "200"})


def localmig(*args: str) -> list[str]:
    return [sys.executable, "-m", "localmig", *args]


def test_sqlite_full_and_no_space_left_are_scratch_full_and_other_errors_are_not(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'small.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x TEXT)")
    with pytest.raises(ScratchFull, match=f"^{FULL_MARK} \\(in {tmp_path}\\): .*database or disk is full; "
                                          "free space there, or set LOCALMIG_SCRATCH_DIR"):
        with scratch_space(f"in {tmp_path}"), engine.begin() as connection:
            connection.exec_driver_sql("PRAGMA max_page_count = 2")  # SQLite's own limit: SQLITE_FULL past it
            connection.exec_driver_sql("INSERT INTO t VALUES (?)", (("x" * 100_000),))
    with pytest.raises(sa.exc.OperationalError, match="no such table"):  # any other error passes unchanged
        with scratch_space(f"in {tmp_path}"), engine.begin() as connection:
            connection.exec_driver_sql("SELECT * FROM missing")
    engine.dispose()
    assert as_scratch_full(OSError(28, "No space left on device"), "in /x") is not None
    assert as_scratch_full(sqlite3.OperationalError("database is locked"), "in /x") is None
    on_server = as_scratch_full(psycopg.errors.DiskFull("could not extend file"), "on the server s:5432", server=True)
    assert on_server is not None and str(on_server).endswith("; free disk space on that server")


@needs_mount
def test_scan_on_a_disk_that_fills_up_exits_4_and_reports_no_migration_failure(project, tmp_path):
    """Sizes from "the first copy does not fit" to "the whole capture fits": each run either captures
    the demo (its one real finding) or stops with the scratch message; at least one meets a full
    disk inside a migration step (SQLite's own "database or disk is full")."""
    root = project("demo")
    messages = []
    for size in ("64k", "200k", "236k", "248k", "260k", "400k"):
        result = on_small_disk(tmp_path / "scratch", size, localmig("scan", str(root)), tmp_path)
        output = result.stdout + result.stderr
        assert "Traceback" not in output and "internal error" not in output, (size, output)
        if result.returncode == 0:
            assert DEMO_FINDING in output and "1 finding(s)" in output, (size, output)
            continue
        assert result.returncode == 4, (size, output)
        assert f"error: {FULL_MARK} (in {tmp_path / 'scratch'}" in output, (size, output)
        assert "hint: free space there, or set LOCALMIG_SCRATCH_DIR" in output, (size, output)
        assert "finding" not in output, (size, output)  # no upgrade_failed / downgrade_failed of a full disk
        messages.append(output)
    assert any("database or disk is full" in message for message in messages), messages
    assert any("No space left on device" in message for message in messages), messages


@needs_mount
def test_generate_on_a_full_disk_exits_4_and_writes_nothing(project, tmp_path):
    root = project("demo")
    result = on_small_disk(tmp_path / "scratch", "248k", localmig("generate", str(root), "--no-model"), tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 4, output
    assert f"error: {FULL_MARK}" in output and "Traceback" not in output
    assert not (root / "tests" / "migrations").exists()


@needs_mount
def test_a_generated_suite_on_a_full_disk_stops_at_the_first_test_that_meets_it(tmp_path):
    root = generate_demo(tmp_path / "demo")
    suite = root / "tests" / "migrations"
    command = [sys.executable, "-m", "pytest", str(suite), "-q", "-p", "no:cacheprovider", "-n", "0"]
    result = on_small_disk(tmp_path / "scratch", "248k", command, root)
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.INTERRUPTED, output  # the rest were not run
    assert f"Interrupted: pytest-localmig: {FULL_MARK} (in {tmp_path / 'scratch'}" in output, output
    assert "1 failed" in output or "1 error" in output, output


@needs_mount
def test_verification_on_a_full_disk_is_exit_4_not_failing_tests(tmp_path):
    """localmig's verification run (pytest in a subprocess) meets the full disk: a CaptureError, not
    outcomes (a failing test there says nothing about a migration)."""
    root = generate_demo(tmp_path / "demo")
    suite = root / "tests" / "migrations"
    files = {path.name: path.read_text() for path in suite.iterdir() if path.is_file()}
    expected = {}
    for name, text in files.items():
        if name.startswith("test_"):
            revision = text.split("REVISION = ", 1)[1].split("\n", 1)[0].strip("'\"")
            tests = {line[4:].split("(", 1)[0]: PlannedTest(aspect="upgrade")
                     for line in text.splitlines() if line.startswith("def test_")}
            expected[name] = ExpectedModule(revision=revision, tests=tests)
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    def on_small_disk_runner(command, cwd, environment, timeout, cancel):
        script = f"mount -t tmpfs -o size=248k none {shlex.quote(str(scratch))} && exec {shlex.join(command)}"
        return _run_pytest(["unshare", "-rm", "sh", "-c", script], cwd,
                           {**environment, "LOCALMIG_SCRATCH_DIR": str(scratch)}, timeout, cancel)

    with pytest.raises(CaptureError, match=f"^{FULL_MARK} \\(in {scratch}") as raised:
        run_suite(files, expected, project_root=root, findings=[], runner=on_small_disk_runner)
    assert raised.value.exit_code == 4 and raised.value.hint.startswith("free space there")
