"""Generated demo suites (made once per session), copied into pytester's folder as a user's repository."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from localmig.project import load
from localmig.render import SuiteLayout, suite_files
from tests.conftest import DEMO, run_cli

BROKEN = "d1a0094d7b13"  # the demo's revision whose downgrade is broken: its 3 tests fail, as they should
SUITE = Path("tests") / "migrations"


def _generate(target: Path, *options: str) -> Path:
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("__pycache__", "*.db", "tests", ".localmig"))
    completed = run_cli("generate", str(target), "--no-model", "-q", *options)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return target


@pytest.fixture(scope="session")
def generated_demo(tmp_path_factory) -> Path:
    """The demo project with the suite `localmig generate` writes (SQLite); made once for all xdist workers
    (tests copy it, never change it)."""
    base = tmp_path_factory.getbasetemp()
    base = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    target = base / "generated-demo" / "demo"
    try:
        import fcntl
    except ImportError:  # not POSIX: each worker makes its own
        return _generate(tmp_path_factory.mktemp("generated") / "demo")
    with open(base / "generated-demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target.parent / "done").exists():
            shutil.rmtree(target.parent, ignore_errors=True)
            target.parent.mkdir()
            _generate(target)
            (target.parent / "done").touch()
    return target


@pytest.fixture(scope="session")
def vendored_demo(generated_demo, tmp_path_factory) -> Path:
    """The same suite as `localmig generate --vendor` writes it (the test modules do not depend on --vendor)."""
    target = tmp_path_factory.mktemp("vendored") / "demo"
    shutil.copytree(generated_demo, target, ignore=shutil.ignore_patterns("__pycache__", ".localmig"))
    layout = SuiteLayout.for_project(load(target).settings, target / SUITE)
    for relative, text in suite_files(layout, SUITE.as_posix(), vendor=True).items():
        (target / SUITE / relative).write_text(text, encoding="utf-8")
    return target


@pytest.fixture(scope="session")
def pg_demo(pg_url, tmp_path_factory) -> Path:
    """The demo with a suite generated on the real PostgreSQL server."""
    return _generate(tmp_path_factory.mktemp("generated-pg") / "demo", "--db-url", pg_url)


def into(pytester: pytest.Pytester, project: Path) -> Path:
    """Copy ``project`` (a demo with its suite) into pytester's folder, which is then the repository root."""
    shutil.copytree(project, pytester.path, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".localmig", ".pytest_cache"))
    return pytester.path


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """``path::test`` -> PASSED / FAILED / ERROR, in the order they ran (from ``-v`` output)."""
    found: dict[str, str] = {}
    for line in result.outlines:
        parts = line.split()
        if len(parts) >= 2 and "::" in parts[0] and parts[1] in ("PASSED", "FAILED", "ERROR", "SKIPPED"):
            found.setdefault(parts[0], parts[1])
    return found
