"""Generated suites are short where they are settings, lint-clean, and valid Python 3.10 to 3.13."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys

import pytest

from localmig.render import CONFTEST, VENDORED_RUNTIME

from .conftest import SUITE

RUFF = [sys.executable, "-m", "ruff"]


def ruff_available() -> bool:
    return shutil.which("ruff") is not None or subprocess.run([*RUFF, "--version"], capture_output=True).returncode == 0


def suite_files(project):
    return sorted(p for p in (project / SUITE).rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("demo", ["generated_demo", "vendored_demo"])
def test_the_conftest_is_at_most_40_lines(request, demo):
    text = (request.getfixturevalue(demo) / SUITE / CONFTEST).read_text()
    assert len(text.splitlines()) <= 40, text


@pytest.mark.parametrize("demo", ["generated_demo", "vendored_demo"])
def test_generated_code_parses_as_python_3_10(request, demo):
    files = suite_files(request.getfixturevalue(demo))
    assert len(files) >= 11
    for path in files:
        ast.parse(path.read_text(), filename=str(path), feature_version=(3, 10))


@pytest.mark.skipif(not ruff_available(), reason="ruff is not installed (it is in the test extra)")
@pytest.mark.parametrize("demo", ["generated_demo", "vendored_demo"])
def test_ruff_has_nothing_to_say_about_a_generated_suite(request, demo):
    """ruff's default rules plus every pycodestyle rule (E, W), line length 120; no configuration of ours."""
    project = request.getfixturevalue(demo)
    files = [str(path) for path in suite_files(project)]
    assert any(name.endswith(CONFTEST) for name in files)
    assert (demo == "vendored_demo") == any(name.endswith(VENDORED_RUNTIME) for name in files)
    completed = subprocess.run([*RUFF, "check", "--isolated", "--no-cache", "--line-length", "120",
                                "--extend-select", "E,W", *files], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
