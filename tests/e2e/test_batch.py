"""Batch mode and the CI gate, through the CLI, against the scripted Ollama-protocol server.

The scripted server answers every chat from the request itself (a valid test named after the
revision it is asked about), so answers do not depend on the order requests arrive in: runs
with --jobs 1 and --jobs 4, or interrupted and resumed, must write the same files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from localmig.errors import ExitCode
from tests.conftest import DEMO, ROOT, SCENARIOS, interruptible, run_cli
from tests.e2e.test_model_scripted import write_config
from tests.ollama_servers import ScriptedOllama

SCHEMA = json.loads((ROOT / "docs" / "batch-report.schema.json").read_text())
REVISION_IN_PROMPT = re.compile(r"^Revision (\w+):", re.M)


def answer_for(request: dict) -> str:
    """A valid, passing model test, named after the revision the prompt is about."""
    prompt = "".join(m["content"] for m in request["messages"] if m["role"] == "user")
    revision = REVISION_IN_PROMPT.search(prompt).group(1)
    return json.dumps({"imports": [], "tests": [{
        "name": f"test_model_reads_the_schema_after_{revision}",
        "aspect": "upgrade",
        "docstring": "The schema after the upgrade can be read.",
        "body": "schema = migrations.schema_after(REVISION)\nassert isinstance(schema.tables, set)",
    }]})


@pytest.fixture
def server():
    with ScriptedOllama() as scripted:
        for _ in range(200):
            scripted.respond(answer_for)
        yield scripted


@pytest.fixture(autouse=True)
def clean_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.delenv("LOCALMIG_MODEL", raising=False)


def copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.db", "tests", ".localmig"))
    return target


def suite_files(project: Path) -> dict[str, str]:
    suite = project / "tests" / "migrations"
    return {str(p.relative_to(suite)): p.read_text() for p in sorted(suite.rglob("*")) if p.is_file()}


def batch(project: Path, config: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli("batch", str(project), "--config", str(config), "-q", *args)


def copy_with_suite(source: Path, target: Path) -> Path:
    """A copy of a project a batch ran on, its suite and its .localmig folder included (as that run left it)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    return target


@pytest.fixture(scope="module")
def written_by_jobs_1(tmp_path_factory) -> Path:
    """The demo after one uninterrupted ``batch --jobs 1`` with the scripted model (made once for this module:
    the tests that compare against an uninterrupted run, or run again on one, copy it and never change it)."""
    folder = tmp_path_factory.mktemp("jobs-1")
    project = copy(DEMO, folder / "demo")
    with ScriptedOllama() as scripted:
        for _ in range(200):
            scripted.respond(answer_for)
        config = write_config(folder / "models.yaml", scripted.host)
        completed = batch(project, config, "--jobs", "1")
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert len(scripted.chat_requests()) == 10
    return project


@pytest.fixture(scope="module")
def written_without_model(tmp_path_factory) -> Path:
    """The demo after one ``batch --no-model`` (made once for this module; tests copy it)."""
    project = copy(DEMO, tmp_path_factory.mktemp("no-model") / "demo")
    completed = run_cli("batch", str(project), "--no-model", "-q")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return project


def test_batch_on_the_demo_writes_verified_tests_and_a_report_that_follows_its_schema(tmp_path, server):
    project = copy(DEMO, tmp_path / "demo")
    config = write_config(tmp_path / "models.yaml", server.host)

    result = batch(project, config, "--jobs", "2", "--report", str(tmp_path / "report.json"))

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    jsonschema.validate(report, SCHEMA)
    assert report["interrupted"] is False and report["model"] == "codellama:7b-instruct"
    assert [r["status"] for r in report["revisions"]] == ["written"] * 10
    assert report["totals"]["tests_model"] == 10 and report["totals"]["written"] == 10
    assert {(f["revision"], f["kind"]) for f in report["findings"]} == {("d1a0094d7b13", "downgrade_failed")}
    broken = next(r for r in report["revisions"] if r["revision"] == "d1a0094d7b13")
    # the downgrade: tables, customers and orders; the round trip; the rows
    assert broken["migration_defects"] == 5 and broken["left_out"] == []
    assert set(report["timings"]) >= {"capture", "observe", "model", "verify", "write", "total"}
    modules = [name for name in suite_files(project) if name.startswith("test_")]
    assert len(modules) == 10
    assert len(server.chat_requests()) == 10


def test_a_second_run_skips_current_revisions_and_asks_nothing(tmp_path, server, written_by_jobs_1):
    project = copy_with_suite(written_by_jobs_1, tmp_path / "demo")  # a first run wrote every revision's tests
    config = write_config(tmp_path / "models.yaml", server.host)
    asked, files = len(server.chat_requests()), suite_files(project)
    assert asked == 0 and len(files) == 11

    again = batch(project, config, "--report", str(tmp_path / "again.json"))

    assert again.returncode == 0, again.stdout + again.stderr
    report = json.loads((tmp_path / "again.json").read_text())
    assert {r["status"] for r in report["revisions"]} == {"skipped_current"}
    assert len(server.chat_requests()) == asked
    assert suite_files(project) == files


def test_missing_and_since_select_only_those_revisions(tmp_path, server, written_without_model):
    project = copy_with_suite(written_without_model, tmp_path / "demo")  # a first `batch --no-model` wrote them all
    config = write_config(tmp_path / "models.yaml", server.host)
    suite = project / "tests" / "migrations"
    next(suite.glob("test_d1a0023f9a61_*.py")).unlink()  # missing
    migration = next((project / "migrations" / "versions").glob("d1a010a6f352_*.py"))
    migration.write_text(migration.read_text() + "\n# a comment: the file changed, its tests are stale\n")

    missing = batch(project, config, "--no-model", "--missing", "--report", str(tmp_path / "missing.json"))
    since = batch(project, config, "--no-model", "--since", "d1a008e2a5c9", "--report", str(tmp_path / "since.json"))

    assert missing.returncode == 0 and since.returncode == 0, missing.stderr + since.stderr
    processed = json.loads((tmp_path / "missing.json").read_text())["revisions"]
    assert [(r["revision"], r["status"]) for r in processed] == [("d1a0023f9a61", "written"), ("d1a010a6f352", "written")]
    after = json.loads((tmp_path / "since.json").read_text())["revisions"]
    assert [r["revision"] for r in after] == ["d1a0094d7b13", "d1a010a6f352"]
    assert {r["status"] for r in after} == {"skipped_current"}  # both are current again


def test_jobs_4_writes_the_same_files_as_jobs_1(tmp_path, server, written_by_jobs_1):
    config = write_config(tmp_path / "models.yaml", server.host)
    one, four = written_by_jobs_1, copy(DEMO, tmp_path / "four")

    assert batch(four, config, "--jobs", "4").returncode == 0

    assert suite_files(one) == suite_files(four)
    assert len(suite_files(one)) == 11  # ten modules and the conftest


def test_sigint_mid_batch_then_a_resumed_run_writes_what_an_uninterrupted_run_writes(tmp_path, written_by_jobs_1):
    whole, interrupted = written_by_jobs_1, copy(DEMO, tmp_path / "interrupted")
    with ScriptedOllama() as server:
        for _ in range(200):
            server.respond(answer_for, delay=0.3)  # slow enough to interrupt in the middle
        config = write_config(tmp_path / "models.yaml", server.host)

        report = tmp_path / "interrupted.json"
        process = subprocess.Popen(
            [sys.executable, "-m", "localmig", "batch", str(interrupted), "--config", str(config), "-q",
             "--chunk", "3", "--report", str(report)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"},
            preexec_fn=interruptible,
        )
        suite = interrupted / "tests" / "migrations"
        started = time.monotonic()
        while not list(suite.glob("test_*.py")) and time.monotonic() < started + 300 and process.poll() is None:
            time.sleep(0.05)
        written_at = round(time.monotonic() - started, 1)
        assert process.poll() is None, "the batch ended before it could be interrupted"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)

        partial = json.loads(report.read_text()) if report.exists() else None  # shown if the exit code is wrong
        assert process.returncode == ExitCode.INTERRUPTED, f"{stderr}\nsignal after {written_at} s; report: {partial}"
        assert "run the same command again to resume" in stderr
        assert partial is not None
        jsonschema.validate(partial, SCHEMA)
        assert partial["interrupted"] is True
        written = sorted(p.name for p in suite.glob("test_*.py"))
        assert 0 < len(written) < 10
        assert not list(suite.glob(".*.tmp"))  # no half-written file

        resumed = batch(interrupted, config, "--chunk", "3", "--report", str(tmp_path / "resumed.json"))

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    statuses = {r["revision"]: r["status"] for r in json.loads((tmp_path / "resumed.json").read_text())["revisions"]}
    assert {name.split("_")[1] for name in written} <= {rev for rev, status in statuses.items() if status == "skipped_current"}
    assert suite_files(interrupted) == suite_files(whole)


def test_keep_failing_writes_failing_model_tests_as_xfail(tmp_path):
    project = copy(DEMO, tmp_path / "demo")
    failing = json.dumps({"imports": [], "tests": [{
        "name": "test_model_expects_the_impossible", "aspect": "upgrade", "docstring": "Fails on purpose.",
        "body": "schema = migrations.schema_after(REVISION)\nassert 'no_such_table_here' in schema.tables",
    }]})
    with ScriptedOllama() as server:
        for _ in range(10):
            server.answer(failing)
        config = write_config(tmp_path / "models.yaml", server.host)
        result = batch(project, config, "--rev", "d1a001e4c7b2", "--keep-failing", "--report", str(tmp_path / "r.json"))

    assert result.returncode == ExitCode.PROBLEMS, result.stdout + result.stderr
    [entry] = json.loads((tmp_path / "r.json").read_text())["revisions"]
    assert entry["xfail"] == ["test_model_expects_the_impossible"] and entry["left_out"] == []
    module = next((project / "tests" / "migrations").glob("test_d1a001e4c7b2_*.py")).read_text()
    assert "@pytest.mark.xfail(" in module and "reason=" in module
    assert "localmig: failed when generated: AssertionError" in module
    assert "import pytest" in module
    run = subprocess.run([sys.executable, "-m", "pytest", str(project / "tests" / "migrations"), "-q",
                          "-p", "no:cacheprovider"], cwd=project, capture_output=True, text=True)
    assert run.returncode == 0 and "1 xfailed" in run.stdout, run.stdout


def test_check_exit_codes_on_a_clean_a_stale_and_a_broken_project(tmp_path, written_without_model):
    clean = copy(SCENARIOS / "linear", tmp_path / "linear")
    assert run_cli("batch", str(clean), "--no-model", "-q").returncode == 0

    passed = run_cli("check", str(clean))
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "check passed" in passed.stdout

    migration = next((clean / "migrations" / "versions").glob("11ea02e8f1a4_*.py"))
    migration.write_text(migration.read_text().replace("nullable=True", "nullable=False", 1))
    stale = run_cli("check", str(clean))
    assert stale.returncode == ExitCode.PROBLEMS
    assert "stale" in stale.stdout and "11ea02e8f1a4" in stale.stdout

    demo = copy_with_suite(written_without_model, tmp_path / "demo")  # `batch --no-model` wrote its suite
    broken = run_cli("check", str(demo), "--json")
    assert broken.returncode == ExitCode.PROBLEMS
    document = json.loads(broken.stdout)
    assert document["ok"] is False
    assert {p["kind"] for p in document["problems"]} == {"finding"}
    assert {p["revision"] for p in document["problems"]} == {"d1a0094d7b13"}
    assert run_cli("check", str(demo), "--allow-findings").returncode == 0

    module = next((demo / "tests" / "migrations").glob("test_d1a001e4c7b2_*.py"))
    module.write_text(module.read_text().replace("'customers' not in schema.tables", "'customers' in schema.tables"))
    failing = run_cli("check", str(demo), "--allow-findings", "--json")
    assert failing.returncode == ExitCode.PROBLEMS
    assert [p["kind"] for p in json.loads(failing.stdout)["problems"]] == ["failing"]


def test_the_report_schema_file_is_the_one_the_code_writes():
    from localmig.batch import BatchReport

    assert BatchReport.model_json_schema() == SCHEMA
