"""Faults that need a process boundary: exits at import, Ctrl-C and SIGTERM, a very wide table.

A revision made to sleep (on its N-th run, counted in a file outside the project) gives the test a
moment at which localmig is known to be inside a migration; the scratch folder it uses is read from
``/proc/<pid>/fd`` and must be gone after the interrupt.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from localmig.errors import ExitCode
from tests.conftest import interruptible
from tests.faults.conftest import LINEAR, SECOND, UPGRADE, Outcome, assert_fault, insert_into, invoke, run

THIRD = "migrations/versions/11ea03c6d2b9_index_authors_email.py"


def sleep_on_run(path: Path, counter: Path, run_number: int) -> None:
    """Make the revision at ``path`` sleep from its ``run_number``-th upgrade in localmig's own
    process on (runs inside the generated suite's pytest, which sets PYTEST_CURRENT_TEST, do not count)."""
    insert_into(path, UPGRADE, (
        "    import os, pathlib, time\n"
        f"    counter = pathlib.Path({str(counter)!r})\n"
        "    if not os.environ.get('PYTEST_CURRENT_TEST'):\n"
        "        counter.write_text(counter.read_text() + 'x' if counter.exists() else 'x')\n"
        f"        if len(counter.read_text()) >= {run_number}:\n"
        "            pathlib.Path(str(counter) + '.sleeping').touch()\n"
        "            time.sleep(120)\n"
    ))


def start(*args: str | Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "localmig", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**without_pytest(os.environ), "COLUMNS": "200"},
                            preexec_fn=interruptible)


def without_pytest(environment: os._Environ[str]) -> dict[str, str]:
    """The environment less pytest's marker of a running test (the sleeping revision looks at it)."""
    return {k: v for k, v in environment.items() if k != "PYTEST_CURRENT_TEST"}


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, f"localmig ended early: {process.communicate()}"
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)


def scratch_folders(pid: int) -> set[Path]:
    """The scratch folders (SQLite files in /dev/shm or the temp folder) process ``pid`` has open."""
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = Path(os.readlink(fd))
        except OSError:
            continue
        if target.parent.name.startswith("migrations-") and target.suffix in (".db", ".db-journal"):
            found.add(target.parent)
    return found


def interrupt(process: subprocess.Popen, signum: int) -> Outcome:
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    return Outcome(process.returncode, stdout, stderr)


# --------------------------------------------------------------------------- sys.exit at import


@pytest.mark.parametrize("command", ["scan", "check"])
@pytest.mark.parametrize("code", [0, 1])
def test_sys_exit_at_import_of_a_revision_is_a_project_error(linear, guard, command, code):
    path = linear / SECOND
    path.write_text(f"import sys\nsys.exit({code})\n" + path.read_text())
    kept = guard(linear)
    assert_fault(run(command, linear), ExitCode.PROJECT,
                 f"{SECOND}:2: the revision file called sys.exit({code}) while being loaded",
                 "hint: a revision file must not exit at import")
    kept.unchanged()


# --------------------------------------------------------------------------- Ctrl-C and SIGTERM


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_during_the_capture(linear, tmp_path, guard, signum):
    counter = tmp_path / "runs"
    sleep_on_run(linear / THIRD, counter, 1)
    kept = guard(linear)
    process = start("generate", linear, "--no-model", "-q")
    wait_for(Path(f"{counter}.sleeping"), process)
    scratch = scratch_folders(process.pid)
    assert scratch, "no scratch database open during the capture"
    outcome = interrupt(process, signum)
    assert_fault(outcome, ExitCode.INTERRUPTED, "interrupted")
    assert not [folder for folder in scratch if folder.exists()], "scratch files left behind"
    kept.unchanged()


def test_sigterm_during_a_batch_keeps_finished_revisions_and_writes_the_report(linear, tmp_path):
    counter = tmp_path / "runs"
    sleep_on_run(linear / THIRD, counter, 2)  # the capture runs it once; the batch's data observation again
    report = tmp_path / "report.json"
    process = start("batch", linear, "--no-model", "-q", "--chunk", "1", "--report", report)
    wait_for(Path(f"{counter}.sleeping"), process)
    scratch = scratch_folders(process.pid)
    outcome = interrupt(process, signal.SIGTERM)
    assert_fault(outcome, ExitCode.INTERRUPTED, "interrupted", "run the same command again to resume")
    written = json.loads(report.read_text())
    assert written["interrupted"] is True
    suite = linear / "tests" / "migrations"
    assert sorted(p.name[5:17] for p in suite.glob("test_*.py")) == LINEAR[:2]
    assert not list(suite.glob(".*.tmp"))
    assert not [folder for folder in scratch if folder.exists()], "scratch files left behind"


# --------------------------------------------------------------------------- a very wide table


@pytest.mark.slow
def test_a_migration_creating_a_table_of_1990_columns(linear):
    """SQLite allows 2,000 columns; localmig writes and verifies the tests for such a table."""
    wide = linear / "migrations" / "versions" / "11ea04000000_wide.py"
    wide.write_text(
        '"""a very wide table\n\nRevision ID: 11ea04000000\n"""\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        "revision = '11ea04000000'\ndown_revision = '11ea03c6d2b9'\nbranch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade():\n    op.create_table('wide', sa.Column('id', sa.Integer, primary_key=True),\n"
        "                    *[sa.Column(f'c{i}', sa.Integer) for i in range(1989)])\n\n\n"
        "def downgrade():\n    op.drop_table('wide')\n")
    outcome = invoke("generate", linear, "--no-model", "-q", "--rev", "11ea04000000")
    assert_fault(outcome, ExitCode.OK, "written: ")
    module = next((linear / "tests" / "migrations").glob("test_11ea04000000_*.py")).read_text()
    assert "'c1988'" in module
