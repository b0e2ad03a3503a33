"""The CI gate an existing history can pass (issue 16): acknowledged findings, one-way revisions,
and ``check --since REF`` on a git repository made here.

``localmig`` runs in this process (``run_guarded``, as the ``localmig`` script does: errors become
a message and an exit code); the generated suites run in pytest subprocesses, as always.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from localmig.baseline import read_baseline
from localmig.cli import cli
from localmig.cli.common import run_guarded
from localmig.errors import ExitCode
from localmig.options import SessionOptions
from localmig.pipeline import Session

DEBT = {"pass": "bd1702b5d6f7", "incomplete": "bd1703c8e9a0"}  # the defects of tests/examples/baseline_debt
NEW_REVISION = '''"""{message}

Revision ID: {id}
Revises: bd1704d1f2b3
Create Date: 2026-03-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = '{id}'
down_revision = 'bd1704d1f2b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("refunds", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade():
    {downgrade}
'''


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)


@pytest.fixture
def localmig(monkeypatch, capsys):
    """``localmig("check", path, ...)``: the command's exit code and what it printed."""

    def run(*args: object) -> Run:
        monkeypatch.setattr(sys, "argv", ["localmig", *map(str, args)])
        try:
            run_guarded(cli)
            code = 0
        except SystemExit as done:
            code = int(done.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, " ".join(captured.err.split()))

    return run


def add_revision(root: Path, id: str, downgrade: str, message: str = "create refunds table") -> Path:
    path = root / "migrations" / "versions" / f"{id}_create_refunds.py"
    path.write_text(NEW_REVISION.format(id=id, downgrade=downgrade, message=message))
    return path


def problems(run: Run) -> list[tuple[str, str | None]]:
    return [(p["kind"], p["revision"]) for p in run.json()["problems"]]


def module_tests(root: Path) -> dict[str, list[str]]:
    """Revision id -> the test functions of its generated module."""
    return {path.name[5:17]: [n.name for n in ast.parse(path.read_text()).body if isinstance(n, ast.FunctionDef)]
            for path in sorted((root / "tests" / "migrations").glob("test_*.py"))}


def planned(root: Path) -> dict[str, list[str]]:
    """Revision id -> the deterministic tests localmig would write (no pytest run)."""
    with Session.open(SessionOptions(path=root)) as session:
        return {r.id: session.plan(r).plan.names() for r in session.revisions}


def test_check_passes_on_acknowledged_findings_and_fails_on_new_ones_and_stale_acknowledgements(project, localmig):
    root = project("baseline_debt")
    assert localmig("batch", root, "--no-model", "-q").code == 0

    failing = localmig("check", root, "--json")
    assert failing.code == ExitCode.PROBLEMS
    assert problems(failing) == [("finding", DEBT["pass"]), ("finding", DEBT["incomplete"])]
    assert "makes test_downgrade_restores_previous_schema, test_round_trip_upgrade_downgrade_upgrade fail" in \
        failing.json()["problems"][0]["message"]

    written = localmig("check", root, "--update-baseline")
    assert written.code == 0, written.out
    assert "baseline written" in written.out and "check passed" in written.out
    acknowledged = read_baseline(root).baseline.acknowledged
    assert [(a.revision, a.kind) for a in acknowledged] == [(DEBT["pass"], "downgrade_not_implemented"),
                                                            (DEBT["incomplete"], "downgrade_incomplete")]
    assert acknowledged[1].reason.endswith("left behind: index on customers: UNIQUE INDEX ux_customers_name (name)")

    # generated again, the tests that encode an acknowledged defect are strict xfails; check passes
    assert localmig("generate", root, "--no-model", "-q").code == 0
    module = next((root / "tests" / "migrations").glob(f"test_{DEBT['pass']}_*.py")).read_text()
    assert module.count("@pytest.mark.xfail(reason='localmig: acknowledged downgrade_not_implemented: known when "
                        "the baseline was written: downgrade() is empty (pass)", ) == 2
    assert module.count("strict=True)\ndef test_") == 2 and "import pytest" in module
    passing = localmig("check", root)
    assert passing.code == 0, passing.out
    assert "18 tests, 14 passed, 4 xfailed or skipped" in passing.out and "check passed" in passing.out
    assert "downgrade_incomplete (acknowledged) bd1703c8e9a0" in passing.out

    # a newly added broken revision fails the check again, on its finding alone
    added = add_revision(root, "bd1705e4f5a6", "pass")
    new = localmig("check", root, "--json")
    assert new.code == ExitCode.PROBLEMS
    assert problems(new) == [("missing", "bd1705e4f5a6"), ("finding", "bd1705e4f5a6")]
    assert new.json()["problems"][1]["message"] == "downgrade_not_implemented: downgrade() is empty (pass)"
    added.unlink()

    # fixing an acknowledged defect fails the check: the acknowledgement is stale, the strict xfails pass
    migration = next((root / "migrations" / "versions").glob(f"{DEBT['pass']}_*.py"))
    migration.write_text(migration.read_text().replace("    pass\n", '    op.drop_table("orders")\n'))
    fixed = localmig("check", root, "--json")
    assert fixed.code == ExitCode.PROBLEMS
    assert set(problems(fixed)) == {("stale", DEBT["pass"]), ("failing", DEBT["pass"]),
                                    ("stale_acknowledgement", DEBT["pass"])}
    messages = [p["message"] for p in fixed.json()["problems"]]
    assert f"stale acknowledgement: downgrade_not_implemented of {DEBT['pass']} no longer occurs (remove it from " \
           ".localmig.toml, or run `localmig check --update-baseline`)" in messages
    assert sum("[XPASS(strict)] localmig: acknowledged" in m for m in messages) == 2


def test_one_way_revisions_get_no_downgrade_tests_for_them_and_the_revisions_below(project, localmig):
    root = project("one_way")  # 0e1a03f8a9b0 has `irreversible = True`
    assert localmig("generate", root, "--no-model", "-q").code == 0
    names = module_tests(root)
    below = ["0e1a01b2c3d4", "0e1a02c5d6e7", "0e1a03f8a9b0"]
    assert [r for r, tests in names.items() if any("downgrade" in t or "round_trip" in t for t in tests)] == ["0e1a04a1b2c3"]
    assert names["0e1a02c5d6e7"] == ["test_upgrade_adds_events_source_nullable", "test_existing_rows_survive_upgrade"]
    assert names["0e1a03f8a9b0"] == ["test_upgrade_drops_events_legacy_payload", "test_rows_through_upgrade_as_observed"]
    module = next((root / "tests" / "migrations").glob("test_0e1a02c5d6e7_*.py")).read_text()
    assert "Note: No downgrade or round-trip tests: 0e1a02c5d6e7 is below one-way revision 0e1a03f8a9b0." in module

    checked = localmig("check", root)  # no baseline file: the declaration is enough
    assert checked.code == 0, checked.out
    assert "one-way: no downgrade tests for 3 revision(s)" in checked.out
    assert [line.strip() for line in checked.out.splitlines() if "is below" in line or "declared one-way" in line] == [
        f"{r} is below one-way revision 0e1a03f8a9b0" for r in below[:2]] + [
        "0e1a03f8a9b0 is declared one-way in its file: irreversible = True",
        "reason: 0e1a03f8a9b0 is declared one-way in its file: irreversible = True"]
    assert "downgrade_not_implemented: one-way (declared) 0e1a03f8a9b0: downgrade() raises NotImplementedError" \
        in checked.out


def test_notimplementederror_with_a_message_declares_a_revision_one_way(project):
    plans = planned(project("notimplemented_downgrade"))  # raise NotImplementedError("irreversible")
    assert {r: any(t.startswith(("test_downgrade", "test_round_trip")) for t in tests) for r, tests in plans.items()} \
        == {"c0de01a7b9c1": False, "c0de02e3f5a7": False, "c0de03b8c0d2": True}


def test_one_way_declared_in_pyproject_makes_the_downgrade_findings_below_it_expected(project, localmig):
    root = project("baseline_debt")
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\n\n[[tool.localmig.one_way]]\n'
                                         f'revision = "{DEBT["incomplete"]}"\nreason = "nobody downgrades a shop"\n')
    plans = planned(root)
    assert [r for r, tests in plans.items() if "test_downgrade_restores_previous_schema" in tests] == ["bd1704d1f2b3"]
    assert localmig("batch", root, "--no-model", "-q").code == 0
    checked = localmig("check", root, "--json")
    assert checked.code == 0, checked.out
    assert [f["accepted"] for f in checked.json()["findings"]] == ["one_way", "one_way"]
    assert checked.json()["findings"][0]["reason"] == \
        f"{DEBT['pass']} is below one-way revision {DEBT['incomplete']}"
    assert checked.json()["baseline"] == str(root / "pyproject.toml")
    assert sorted(checked.json()["one_way"]) == ["bd1701a2c3e4", DEBT["pass"], DEBT["incomplete"]]


def test_the_review_app_can_acknowledge_a_finding(project):
    root = project("baseline_debt")
    with Session.open(SessionOptions(path=root)) as session:
        finding = session.findings_for(DEBT["incomplete"])[0]
        assert finding.accepted is None
        file = session.acknowledge(finding, "the index stays: reports rely on it")
        assert file.path == root / ".localmig.toml"
        judged = session.findings_for(DEBT["incomplete"])[0]
        assert (judged.accepted, judged.reason) == ("acknowledged", "the index stays: reports rely on it")
        assert session.findings_for(DEBT["pass"])[0].accepted is None
    assert [(a.revision, a.reason) for a in read_baseline(root).baseline.acknowledged] == [
        (DEBT["incomplete"], "the index stays: reports rely on it")]


def git(root: Path, *args: str) -> None:
    environment = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-C", str(root), "-c", "user.name=localmig", "-c", "user.email=ci@localmig.invalid",
                    "-c", "commit.gpgsign=false", *args], check=True, capture_output=True, env=environment)


def test_since_checks_only_the_revisions_changed_since_a_git_ref_and_the_ones_after(project, localmig):
    root = project("baseline_debt")  # its two old defects are acknowledged nowhere: only new problems count
    assert localmig("batch", root, "--no-model", "-q").code == 0
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "history and its tests")

    unchanged = localmig("check", root, "--since", "HEAD")
    assert unchanged.code == 0, unchanged.out
    assert "0 of 4 revisions changed since HEAD or come after one" in unchanged.out and "0 tests" in unchanged.out

    add_revision(root, "bd1705e4f5a6", 'op.drop_table("refunds")')  # untracked, not committed yet
    missing = localmig("check", root, "--since", "HEAD", "--json")
    assert missing.code == ExitCode.PROBLEMS
    assert missing.json()["checked"] == ["bd1705e4f5a6"] and problems(missing) == [("missing", "bd1705e4f5a6")]
    assert localmig("batch", root, "--no-model", "-q").code == 0
    tail = localmig("check", root, "--since", "HEAD", "--json")
    assert tail.code == 0, tail.out
    assert tail.json()["checked"] == ["bd1705e4f5a6"] and tail.json()["files"] == 1 and tail.json()["tests"] == 3

    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "refunds")
    migration = next((root / "migrations" / "versions").glob(f"{DEBT['incomplete']}_*.py"))
    migration.write_text(migration.read_text() + "\n# touched\n")
    changed = localmig("check", root, "--since", "HEAD~1", "--json")
    assert changed.json()["checked"] == [DEBT["incomplete"], "bd1704d1f2b3", "bd1705e4f5a6"]
    assert problems(changed) == [("stale", DEBT["incomplete"]), ("finding", DEBT["incomplete"])]

    unknown = localmig("check", root, "--since", "no-such-ref")
    assert unknown.code == ExitCode.USAGE
    assert "error: --since no-such-ref: git knows no such commit here" in unknown.err
    outside = localmig("check", project("one_way"), "--since", "HEAD")
    assert outside.code == ExitCode.USAGE and "is not in a git repository" in outside.err
