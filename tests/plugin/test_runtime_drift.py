"""`--vendor`, and suites written for another runtime: what `scan` and `check` say about them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from pytest_localmig import API_VERSION
from pytest_localmig import __version__ as RUNTIME_VERSION

from localmig.render import CONFTEST, VENDORED_RUNTIME, read_header
from tests.conftest import run_cli


def generate(root, *options):
    completed = run_cli("generate", str(root), "--no-model", "-q", *options)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return root / "tests" / "migrations"


def test_vendor_writes_the_runtime_beside_the_suite_and_check_says_when_it_is_older(project):
    root = project("linear")
    suite = generate(root, "--vendor")
    runtime = suite / VENDORED_RUNTIME
    header, _ = read_header(runtime.read_text())
    assert header.runtime == f"pytest-localmig {RUNTIME_VERSION}" and header.api_version == API_VERSION
    assert "LOCALMIG_RUNTIME = _runtime()" in (suite / CONFTEST).read_text()
    result = subprocess.run([sys.executable, "-m", "pytest", str(suite), "-q", "-p", "no:cacheprovider"],
                            cwd=root, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})  # its own copy runs it
    assert result.returncode == 0 and " passed" in result.stdout, result.stdout[-3000:]
    generate(root, "--rev", "11ea01b3c5d7")  # a suite vendored once stays vendored (delete the runtime to stop)
    assert runtime.exists() and "_runtime()" in (suite / CONFTEST).read_text()
    runtime.write_text(runtime.read_text().replace(f'"pytest-localmig {RUNTIME_VERSION}"', '"pytest-localmig 0.0.1"', 1))
    checked = run_cli("check", str(root), "--json")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    document = json.loads(checked.stdout)
    assert [p["kind"] for p in document["problems"]] == ["runtime"] and document["tests"] > 0  # it ran, and passed
    message = document["problems"][0]["message"]
    assert "copy of pytest-localmig 0.0.1, older than the installed pytest-localmig" in message
    assert "localmig generate --vendor" in message


def test_scan_and_check_report_a_suite_written_for_another_runtime(project):
    root = project("linear")
    suite = generate(root)
    conftest = suite / CONFTEST
    conftest.write_text(conftest.read_text().replace(f'"api_version": {API_VERSION},', '"api_version": 7,'))
    scanned = run_cli("scan", str(root), "--json")
    assert scanned.returncode == 0, scanned.stderr
    (message,) = json.loads(scanned.stdout)["runtime"]
    assert "generated for the pytest-localmig fixture API 7" in message and "pip install" in message
    assert "runtime" in run_cli("scan", str(root)).stdout
    checked = run_cli("check", str(root), "--json")
    assert checked.returncode == 1, checked.stderr
    document = json.loads(checked.stdout)
    assert [p["kind"] for p in document["problems"]] == ["runtime"]  # (edited by hand: not "out of date")
    assert document["tests"] == 0  # the installed runtime cannot run it: not run, not a usage error
