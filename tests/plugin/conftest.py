"""Generated demo suites (made once per session), copied into pytester's folder as a user's repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from localmig.project import load
from localmig.render import SuiteLayout, suite_files
from tests.conftest import generate_demo  # and the session fixture generated_demo, shared with tests/e2e

BROKEN = "d1a0094d7b13"  # the demo's revision whose downgrade is broken: its 3 tests fail, as they should
SUITE = Path("tests") / "migrations"


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
    return generate_demo(tmp_path_factory.mktemp("generated-pg") / "demo", "--db-url", pg_url)


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
