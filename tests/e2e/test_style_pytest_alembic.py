"""`localmig generate --style pytest-alembic`: the demo's tests for pytest-alembic's alembic_runner, run by
pytest-alembic alone (no plugin of localmig's in the session)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from localmig.errors import ExitCode
from localmig.render import read_header
from tests.conftest import DEMO, run_cli

BROKEN = "d1a0094d7b13"  # the demo's downgrade drops an index under the wrong name
BRANCHED = "d1a006b94c27"  # one of two children of d1a004c81e95


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("style") / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("__pycache__", "*.db", "tests"))
    completed = run_cli("generate", str(root), "--no-model", "--style", "pytest-alembic")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr
    assert f"{BRANCHED}: 6 test(s) not written for pytest-alembic" in " ".join((completed.stdout + completed.stderr).split())
    return root / "tests" / "migrations"


def pytest_alembic_only(suite: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(suite), "-p", "no:cacheprovider", "-p", "pytest_alembic.plugin", "-rfE",
         "-q"], cwd=suite.parents[1], capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})


def test_the_suite_runs_on_pytest_alembic_alone_and_fails_only_where_the_demo_is_broken(suite):
    completed = pytest_alembic_only(suite)
    failed = set(re.findall(r"^FAILED \S+::(\w+)", completed.stdout, re.MULTILINE))
    assert failed == {"test_downgrade_restores_previous_schema", "test_downgrade_restores_order_items",
                      "test_downgrade_restores_products", "test_round_trip_upgrade_downgrade_upgrade",
                      "test_existing_rows_survive_upgrade_and_downgrade"}, completed.stdout[-3000:]
    assert all(BROKEN in line for line in completed.stdout.splitlines() if line.startswith("FAILED"))
    passed = int(re.search(r"(\d+) passed", completed.stdout).group(1))
    assert passed >= 35, completed.stdout[-2000:]


def test_the_tests_call_alembic_runner_and_no_fixture_of_localmigs(suite):
    texts = {p.name: p.read_text() for p in suite.glob("test_*.py")}
    everything = "\n".join(texts.values())
    assert "migrations." not in everything and "(migrations)" not in everything
    for call in ("alembic_runner.migrate_up_before(REVISION)", "alembic_runner.insert_into(", "alembic_runner.migrate_up_to(",
                 "alembic_runner.migrate_down_one()", "rows(alembic_engine, ", "from localmig_schema import"):
        assert call in everything, call
    conftest = (suite / "conftest.py").read_text()
    assert "LOCALMIG_SUITE" not in conftest and "def alembic_engine(" in conftest and "def alembic_config(" in conftest
    header, _ = read_header(conftest)
    assert header is not None and header.style == "pytest-alembic"
    assert not any(BRANCHED in name for name in texts)  # nothing of it could be written: no empty module either


def test_the_suite_is_lint_clean(suite):
    completed = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--line-length", "120",
                                str(suite)], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout


def test_a_suite_written_for_pytest_alembic_stays_so_when_generated_again(suite):
    completed = run_cli("generate", str(suite.parents[1]), "--no-model", "--dry-run", "--json", "--rev", BROKEN)
    assert completed.returncode == 0, completed.stderr
    files = {Path(f["path"]).name for f in json.loads(completed.stdout)["files"]}
    assert "localmig_schema.py" in files and "_localmig_runtime.py" not in files


def test_vendor_and_the_pytest_alembic_style_are_refused_together(tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("__pycache__", "*.db", "tests"))
    completed = run_cli("generate", str(root), "--no-model", "--style", "pytest-alembic", "--vendor")
    assert completed.returncode == ExitCode.USAGE
    assert "--vendor and --style pytest-alembic do not go together" in completed.stderr + completed.stdout
    assert "Traceback" not in completed.stderr and not (root / "tests").exists()


def test_check_runs_the_suite_and_counts_no_branched_revision_as_missing(suite):
    completed = run_cli("check", str(suite.parents[1]))
    output = " ".join((completed.stdout + completed.stderr).split())
    assert completed.returncode == ExitCode.PROBLEMS, output  # the demo's broken downgrade, nothing else
    assert "40 passed" in output and "check failed: 1 problem(s)" in output and "missing" not in output
