"""The `localmig` command in a subprocess: scan, generate, their options, errors and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from localmig.errors import ExitCode
from localmig.project import load
from localmig.render import file_status, read_header
from tests.conftest import run_cli

LINEAR = ["11ea01b3c5d7", "11ea02e8f1a4", "11ea03c6d2b9"]


def words(text: str) -> str:
    return " ".join(text.split())


def generate(*args: str) -> subprocess.CompletedProcess:
    completed = run_cli("generate", *args, "--no-model", "-q")
    assert "Traceback" not in completed.stderr + completed.stdout
    return completed


def modules(suite: Path) -> list[str]:
    """Revision ids of the test modules in a suite folder."""
    return sorted(p.name[5:17] for p in suite.glob("test_*.py"))


def statuses(root: Path) -> dict[str, str]:
    completed = run_cli("scan", str(root), "--json")
    assert completed.returncode == 0, completed.stderr
    return {r["id"]: r["tests"] for r in json.loads(completed.stdout)["revisions"]}


def run_pytest(suite: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(suite), "-q", "-p", "no:cacheprovider", "-p", "localmig"],
        cwd=cwd, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},  # no plugin but pytest-localmig
    )


# --------------------------------------------------------------------------- help and exit codes


def test_help_documents_every_exit_code():
    completed = run_cli("--help")
    assert completed.returncode == 0
    text = words(completed.stdout)
    for phrase in (
        "0 done",
        "1 problems found",
        "2 usage or configuration error",
        "3 not a usable Alembic project",
        "4 the scratch database could not be used",
        "5 model error",
        "6 a revision's tests could not be planned, rendered or run",
        "70 internal error",
        "130 interrupted",
    ):
        assert phrase in text
    assert {int(code) for code in ExitCode} == {0, 1, 2, 3, 4, 5, 6, 70, 130}
    for command in ("scan", "generate"):
        assert command in text


# --------------------------------------------------------------------------- scan


def test_scan_table(project):
    root = project("linear")
    completed = run_cli("scan", str(root))
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    rows = {rev: next(line for line in lines if rev in line) for rev in LINEAR}
    assert "create authors table" in rows["11ea01b3c5d7"] and "base" in rows["11ea01b3c5d7"]
    assert "head" in rows["11ea03c6d2b9"]
    assert all("missing" in row for row in rows.values())
    assert "3 revisions, sqlite" in completed.stdout
    assert "no findings" in completed.stdout


def test_scan_table_with_findings(project):
    completed = run_cli("scan", str(project("failing_downgrade")))
    assert completed.returncode == 0
    text = words(completed.stdout)
    assert "1 finding(s)" in text
    assert 'downgrade_failed fa1102d9e1f3: downgrade: OperationalError: (sqlite3.OperationalError) no such column: "due_on"' in text


def test_scan_json_shape(project):
    root = project("branch_merge")
    completed = run_cli("scan", str(root), "--json")
    assert completed.returncode == 0
    document = json.loads(completed.stdout)
    assert set(document) == {"project", "dialect", "heads", "revisions", "findings", "runtime"}
    assert document["runtime"] == []  # the suite, if any, is for the installed pytest-localmig
    assert document["project"] == str(root)
    assert document["dialect"] == "sqlite"
    assert document["heads"] == ["b3a904c2e4a6"]
    assert document["findings"] == []
    merge = next(r for r in document["revisions"] if r["id"] == "b3a904c2e4a6")
    assert {
        "id", "down_revisions", "depends_on", "branch_labels", "message", "created", "path", "source_sha256",
        "is_head", "is_base", "is_merge", "is_branch_point", "downgrade", "upgrade_empty", "data_operations",
        "tests", "applied", "changes",
    } <= set(merge)
    assert merge["is_merge"] and merge["is_head"] and merge["applied"]
    assert sorted(merge["down_revisions"]) == ["b3a902a1c3e5", "b3a903f7b9d2"]
    assert merge["changes"] == ["add table team_members"]
    assert merge["tests"] == "missing"
    assert merge["path"] == "migrations/versions/b3a904c2e4a6_merge_and_add_team_members.py"
    assert (root / merge["path"]).is_file()


# --------------------------------------------------------------------------- generate


def test_generate_writes_one_module_per_revision_and_a_conftest(project):
    root = project("linear")
    completed = generate(str(root))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    suite = root / "tests" / "migrations"
    assert sorted(p.name for p in suite.iterdir() if p.suffix == ".py") == [
        "conftest.py",
        "test_11ea01b3c5d7_create_authors_table.py",
        "test_11ea02e8f1a4_add_authors_email.py",
        "test_11ea03c6d2b9_index_authors_email.py",
    ]
    loaded = load(root)
    for revision in loaded.revisions:
        path = next(suite.glob(f"test_{revision.id}_*.py"))
        header, _ = read_header(path.read_text())
        assert header.revision == revision.id and header.source_sha256 == revision.source_sha256
        assert file_status(path, revision) == "current"
    assert statuses(root) == dict.fromkeys(LINEAR, "current")
    result = run_pytest(suite, root)
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_generate_out_folder_elsewhere(project, tmp_path):
    root = project("pyproject_only")
    out = tmp_path / "suites" / "mine"
    completed = generate(str(root), "--out", str(out))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert not (root / "tests").exists()
    assert modules(out) == ["9e7001d3e5f7", "9e7002a6b8c0"]
    assert '"project_root": "../../pyproject_only",' in (out / "conftest.py").read_text()
    result = run_pytest(out, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]


def test_generate_selected_revisions_by_id_and_prefix(project):
    root = project("linear")
    completed = generate(str(root), "--rev", "11ea01b3c5d7", "--rev", "11ea03")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    suite = root / "tests" / "migrations"
    assert modules(suite) == ["11ea01b3c5d7", "11ea03c6d2b9"]
    assert (suite / "conftest.py").is_file()


def test_generate_by_branch_label(project):
    root = project("labels_depends_on")
    completed = generate(str(root), "--rev", "billing")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert modules(root / "tests" / "migrations") == ["1abe03a6b7c8"]


def test_generate_dry_run_writes_nothing(project):
    root = project("linear")
    completed = generate(str(root), "--dry-run")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert not (root / "tests").exists()
    assert "dry" in completed.stdout.lower()


def test_hand_edited_kept_stale_rewritten_force_overwrites(project):
    root = project("linear")
    suite = root / "tests" / "migrations"
    assert generate(str(root)).returncode == 0
    edited = next(suite.glob("test_11ea01b3c5d7_*.py"))
    edited.write_text(edited.read_text() + "\n\ndef test_my_own(migrations):\n    assert True\n")
    mine = edited.read_text()
    migration = root / load(root).by_id["11ea03c6d2b9"].path
    migration.write_text(migration.read_text().replace("ix_authors_email", "ix_authors_mail"))
    stale = next(suite.glob("test_11ea03c6d2b9_*.py"))
    assert "ix_authors_mail" not in stale.read_text()
    untouched = next(suite.glob("test_11ea02e8f1a4_*.py")).read_text()
    assert statuses(root) == {"11ea01b3c5d7": "hand_edited", "11ea02e8f1a4": "current", "11ea03c6d2b9": "stale"}

    completed = generate(str(root))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert edited.read_text() == mine  # kept
    assert "ix_authors_mail" in stale.read_text()  # rewritten for the changed migration
    assert next(suite.glob("test_11ea02e8f1a4_*.py")).read_text() == untouched
    assert statuses(root) == {"11ea01b3c5d7": "hand_edited", "11ea02e8f1a4": "current", "11ea03c6d2b9": "current"}

    completed = generate(str(root), "--force", "--rev", "11ea01b3c5d7")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "test_my_own" not in edited.read_text()
    assert statuses(root)["11ea01b3c5d7"] == "current"


def test_a_changed_revision_message_keeps_its_module(project):
    """The module belongs to its revision by its header, not its name: a new message (and slug) for the
    revision rewrites the module it already has, and writes no second one beside it."""
    root = project("linear")
    suite = root / "tests" / "migrations"
    assert generate(str(root)).returncode == 0
    before = sorted(p.name for p in suite.glob("test_*.py"))
    migration = root / load(root).by_id["11ea02e8f1a4"].path
    migration.write_text(migration.read_text().replace('"""add authors.email', '"""give authors an email', 1))
    assert load(root).by_id["11ea02e8f1a4"].slug.startswith("give_authors_an_email")

    completed = generate(str(root))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert sorted(p.name for p in suite.glob("test_*.py")) == before
    assert statuses(root)["11ea02e8f1a4"] == "current"


def test_a_file_localmig_did_not_write_is_kept(project):
    root = project("linear")
    suite = root / "tests" / "migrations"
    suite.mkdir(parents=True)
    own = suite / "test_11ea02e8f1a4_add_authors_email.py"
    own.write_text("def test_mine():\n    pass\n")
    assert generate(str(root), "--rev", "11ea02e8f1a4").returncode == 0
    assert own.read_text() == "def test_mine():\n    pass\n"
    assert statuses(root)["11ea02e8f1a4"] == "not_generated"


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["scan", "{missing}"], 3, "no such file or folder"),
        (["generate", "{missing}", "--no-model"], 3, "no such file or folder"),
        (["scan", "{root}", "--db-url", "mysql://u@localhost/x"], 4, "mysql is not supported"),
        (["scan", "{root}", "--db-url", "not a url"], 4, "is not a database URL"),
        (["scan", "{root}", "--db-url", "postgresql+psycopg://nobody@127.0.0.1:1/postgres"], 4, "cannot reach the scratch database server"),
        (["generate", "{root}", "--no-model", "--rev", "nosuch"], 2, "'nosuch' is not a revision of this project"),
        (["generate", "{root}", "--no-model", "--rev", "11ea0"], 2, "'11ea0' is ambiguous"),
        (["generate", "{root}", "--no-model", "--rev", "11ea01b3c5d7", "--all"], 2, "--rev or --all"),
        (["scan", "{root}", "--no-such-option"], 2, "No such option"),
    ],
)
def test_bad_input(project, tmp_path, args, code, message):
    root = project("linear")
    args = [a.format(root=root, missing=tmp_path / "missing") for a in args]
    completed = run_cli(*args)
    assert completed.returncode == code, completed.stdout + completed.stderr
    output = words(completed.stdout + completed.stderr)
    assert message in output
    assert "Traceback" not in output
    assert not (root / "tests").exists()
    assert not list(root.rglob("*.db"))
