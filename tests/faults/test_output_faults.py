"""Faults where localmig writes: --out, --report, file modes, stale temporary files, the store,
and outside text that must reach the terminal as it is."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest

from localmig.cli.common import GuardedGroup
from localmig.errors import ExitCode
from localmig.store import Store
from tests.faults.conftest import LINEAR, SECOND, UPGRADE, assert_fault, immutable, insert_into, invoke

SUITE = Path("tests") / "migrations"
ONE = LINEAR[0]  # one revision: the cases about writing need no more

# --------------------------------------------------------------------------- --out and --report


def test_out_is_a_file(linear, guard):
    (linear / "notes.txt").write_text("not a folder")
    kept = guard(linear)
    assert_fault(invoke("generate", linear, "--no-model", "--out", linear / "notes.txt"), ExitCode.USAGE,
                 "notes.txt is a file, not a folder")
    kept.unchanged()


def test_out_below_a_file(linear, guard):
    (linear / "notes.txt").write_text("not a folder")
    kept = guard(linear)
    assert_fault(invoke("batch", linear, "--no-model", "--out", linear / "notes.txt" / "suite"), ExitCode.USAGE,
                 "notes.txt is a file, not a folder")
    kept.unchanged()


def test_out_inside_the_versions_folder(linear, guard):
    kept = guard(linear)
    assert_fault(invoke("generate", linear, "--no-model", "--out", linear / "migrations" / "versions" / "tests"),
                 ExitCode.USAGE, "is inside the versions folder", "Alembic would load the test files as revisions")
    kept.unchanged()


def test_read_only_out(linear, guard):
    for folder in immutable(linear / "readonly"):
        kept = guard(linear)
        assert_fault(invoke("generate", linear, "--no-model", "--rev", ONE, "--out", folder / "suite"), ExitCode.USAGE,
                     f"cannot write {folder / 'suite'}", "hint: choose another --out")
        kept.unchanged()


def test_read_only_existing_suite_folder(linear, guard):
    for folder in immutable(linear / SUITE):
        kept = guard(linear)
        assert_fault(invoke("generate", linear, "--no-model", "--rev", ONE), ExitCode.USAGE, f"cannot write into {folder}")
        kept.unchanged()


def test_read_only_report_folder(linear, guard):
    for folder in immutable(linear / "reports"):
        outcome = invoke("batch", linear, "--no-model", "-q", "--rev", ONE, "--report", folder / "report.json")
        assert_fault(outcome, ExitCode.USAGE, f"cannot write into {folder}")
        assert not list(folder.iterdir())


# --------------------------------------------------------------------------- what gets written


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)], ids=["umask-022", "umask-027"])
def test_files_respect_the_umask(linear, umask, mode):
    previous = os.umask(umask)
    try:
        outcome = invoke("batch", linear, "--no-model", "-q", "--rev", ONE, "--report", linear / "report.json")
    finally:
        os.umask(previous)
    assert outcome.exit_code == ExitCode.OK, outcome.text
    written = [*sorted((linear / SUITE).glob("*.py")), linear / "report.json"]
    assert len(written) == 3  # conftest, one test module, the report
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in written} == {oct(mode)}


def test_stale_temporary_files_of_a_killed_run_are_removed(linear):
    suite = linear / SUITE
    suite.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = suite / f".conftest.py.localmig-{dead.stdout.strip()}-k1ll3d.tmp"
    alive = suite / f".conftest.py.localmig-{os.getppid()}-running.tmp"  # a live process's: not ours to touch
    users = suite / ".notes.tmp"  # not localmig's pattern
    for path in (stale, alive, users):
        path.write_text("half a file")
    outcome = invoke("generate", linear, "--no-model", "-q", "--rev", ONE)
    assert outcome.exit_code == ExitCode.OK, outcome.text
    assert not stale.exists()
    assert alive.exists() and users.exists()
    assert sorted(p.name for p in suite.glob(".*.tmp")) == sorted([alive.name, users.name])


def test_a_hand_edited_test_file_is_kept(linear, guard):
    assert invoke("generate", linear, "--no-model", "-q", "--rev", ONE).exit_code == ExitCode.OK
    edited = next((linear / SUITE).glob(f"test_{ONE}_*.py"))
    edited.write_text(edited.read_text() + "\n# reviewed by hand\n")
    kept = guard(linear / SUITE)
    outcome = invoke("generate", linear, "--no-model", "--rev", ONE)
    assert_fault(outcome, ExitCode.OK, f"kept hand edited: {os.path.relpath(edited)}")
    kept.unchanged()


# --------------------------------------------------------------------------- outside text is shown as it is


def test_rich_markup_in_a_migration_error_is_shown_literally(linear, guard):
    insert_into(linear / SECOND, UPGRADE, '    raise RuntimeError("bad [/] thing [bold]x[/bold] [parameters: (1, 2)]")\n')
    kept = guard(linear)
    outcome = invoke("scan", linear)
    assert_fault(outcome, ExitCode.OK, "RuntimeError: bad [/] thing [bold]x[/bold] [parameters: (1, 2)]")
    kept.unchanged()


def test_markup_in_a_revision_message_and_a_path(tmp_path, linear, guard):
    project = tmp_path / "shop[v2]"
    linear.rename(project)
    path = project / SECOND
    path.write_text(path.read_text().replace('"""add authors.email', '"""add [red]authors.email[/] [/]', 1))
    kept = guard(project)
    outcome = invoke("scan", project)
    assert_fault(outcome, ExitCode.OK, "shop[v2] (3 revisions, sqlite)", "[red]authors.email[/]")
    kept.unchanged()


def test_an_internal_error_exits_70_not_1():
    """A bug of localmig (here: a command that divides by zero) is exit 70, said in one line."""
    group = GuardedGroup("localmig")
    group.add_command(click.Command("crash", callback=lambda: 1 / 0))
    from click.testing import CliRunner

    result = CliRunner().invoke(group, ["crash"])
    assert result.exit_code == ExitCode.INTERNAL == 70
    assert "internal error: ZeroDivisionError: division by zero" in result.stderr
    assert "this is a bug in localmig" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- the store


def test_corrupt_store(linear, guard):
    (linear / ".localmig").mkdir()
    (linear / ".localmig" / "localmig.db").write_bytes(os.urandom(4096))
    kept = guard(linear)
    assert_fault(invoke("log", linear), ExitCode.USAGE, "is not a usable localmig store", "move it aside")
    kept.unchanged()


def test_store_of_a_newer_localmig(linear, guard):
    store = Store(linear)
    with store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    store.close()
    kept = guard(linear)
    assert_fault(invoke("log", linear), ExitCode.USAGE, "was written by a newer localmig", "9999_from_the_future",
                 "hint: upgrade localmig")
    kept.unchanged()


def test_store_locked_by_another_process(linear, guard):
    (linear / ".localmig").mkdir()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(linear / '.localmig' / 'localmig.db')!r}, isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE'); c.execute('CREATE TABLE held (x)'); print('locked', flush=True)\n"
        "time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        kept = guard(linear)
        started = time.monotonic()
        outcome = invoke("log", linear, env={"LOCALMIG_STORE_TIMEOUT": "0.5"})
        assert time.monotonic() - started < 20
        assert_fault(outcome, ExitCode.USAGE, "is locked by another process (waited 0 s)", "LOCALMIG_STORE_TIMEOUT")
        kept.unchanged()
    finally:
        holder.kill()
        holder.wait()


def test_store_folder_is_a_file(linear, guard):
    (linear / ".localmig").write_text("a file")
    kept = guard(linear)
    assert_fault(invoke("generate", linear, "--dry-run"), ExitCode.USAGE, f"cannot create {linear / '.localmig'}",
                 "make the folder writable")
    kept.unchanged()


_start: list = []


def _share(barrier) -> None:
    _start.append(barrier)


def _create_store(root: str) -> str:
    _start[0].wait()
    try:
        store = Store(Path(root))
        with store.engine.connect() as connection:
            tables = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars().all()
        store.close()
        return json.dumps(sorted(tables))
    except Exception as error:  # reported to the parent as text
        return f"{type(error).__name__}: {error}"


def test_processes_creating_the_store_at_once(linear):
    """Four processes (forked: localmig is imported already) open a new store at the same moment."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(4)
    with context.Pool(4, initializer=_share, initargs=(barrier,)) as pool:
        results = pool.map(_create_store, [str(linear)] * 4)
    assert results == [json.dumps(["alembic_version", "answers", "exchanges"])] * 4
    with sqlite3.connect(linear / ".localmig" / "localmig.db") as connection:
        assert len(connection.execute("SELECT version_num FROM alembic_version").fetchall()) == 1


def test_report_to_a_fifo_is_refused_not_replaced(linear, tmp_path):
    """A device or FIFO is never replaced by a regular file (``--report /dev/full`` once did that)."""
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    outcome = invoke("batch", linear, "--no-model", "-q", "--rev", ONE, "--report", fifo)
    assert_fault(outcome, ExitCode.USAGE, f"cannot write {fifo}: it is not a regular file")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_report_through_a_symlink_keeps_the_link(linear, tmp_path):
    target = tmp_path / "reports" / "latest.json"
    target.parent.mkdir()
    target.write_text("{}")
    link = tmp_path / "report.json"
    link.symlink_to(target)
    outcome = invoke("batch", linear, "--no-model", "-q", "--rev", ONE, "--report", link)
    assert outcome.exit_code == ExitCode.OK, outcome.text
    assert link.is_symlink() and json.loads(target.read_text())["project"] == str(linear)
