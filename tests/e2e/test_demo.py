"""The issue's "done when": `localmig generate` on examples/demo, and the suite run as a user runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from localmig.project import load
from localmig.render import read_header
from tests.conftest import DEMO, ROOT, run_cli

BROKEN = "d1a0094d7b13"
REVISIONS = [
    "d1a001e4c7b2", "d1a0023f9a61", "d1a0037b2d48", "d1a004c81e95", "d1a0055ad3f0",
    "d1a006b94c27", "d1a0071f6e8d", "d1a008e2a5c9", "d1a0094d7b13", "d1a010a6f352",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A copy of the demo with its generated suite (generated once for this module)."""
    root = tmp_path_factory.mktemp("demo") / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    completed = run_cli("generate", str(root), "--no-model", "-q")
    return root, completed


def run_suite(project: Path, report: Path) -> dict[tuple[str, str], str]:
    """Run the suite the way a user does (from the project folder); outcome per (module, test)."""
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/migrations", "-q", "-p", "no:cacheprovider", "--junitxml", str(report)],
        cwd=project, capture_output=True, text=True, timeout=600,
    )
    assert report.exists(), completed.stdout + completed.stderr
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        module = case.get("classname", "").rsplit(".", 1)[-1]
        outcomes[(module, case.get("name"))] = "failed" if failed else "skipped" if case.find("skipped") is not None else "passed"
    assert completed.returncode == (1 if "failed" in outcomes.values() else 0), completed.stdout[-2000:]
    return outcomes


def test_generate_succeeds_and_writes_a_module_per_revision(demo):
    root, completed = demo
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr
    suite = root / "tests" / "migrations"
    names = sorted(p.name for p in suite.glob("*.py"))
    assert names[0] == "conftest.py"
    assert sorted(name[5:17] for name in names[1:]) == sorted(REVISIONS)
    loaded = load(root)
    for revision in loaded.revisions:
        (path,) = suite.glob(f"test_{revision.id}_*.py")
        header, _ = read_header(path.read_text())
        assert header.revision == revision.id and header.source_sha256 == revision.source_sha256
    assert not list(root.rglob("*.db")), "demo.db (the project's own URL) must never be created"


def test_generated_files_need_no_localmig_and_hold_no_absolute_path(demo):
    root, _ = demo
    files = [p for p in (root / "tests" / "migrations").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert files
    for path in files:
        text = path.read_text()
        for forbidden in ("import localmig", "from localmig", str(root), str(root.parent), str(ROOT)):
            assert forbidden not in text, (path.name, forbidden)


@pytest.fixture(scope="module")
def outcomes(demo, tmp_path_factory):
    """The generated suite's results where it was generated."""
    root, _ = demo
    return run_suite(root, tmp_path_factory.mktemp("report") / "report.xml")


def test_suite_passes_except_the_broken_downgrade(outcomes):
    assert len(outcomes) > 40
    failed = sorted((module, name) for (module, name), outcome in outcomes.items() if outcome != "passed")
    assert failed, "the broken downgrade of d1a0094d7b13 must be exposed by its tests"
    assert {module[5:17] for module, _ in failed} == {BROKEN}
    names = {name for _, name in failed}
    assert "test_downgrade_restores_previous_schema" in names
    assert "test_round_trip_upgrade_downgrade_upgrade" in names
    assert all(("downgrade" in name or "round_trip" in name) for name in names), names
    # the upgrade of the broken revision is fine and tested as such
    assert any(module[5:17] == BROKEN and outcome == "passed" and "upgrade_creates_index" in name
               for (module, name), outcome in outcomes.items())
    assert {module[5:17] for module, _ in outcomes} == set(REVISIONS)


def test_broken_downgrade_is_a_migration_finding_not_dropped_tests(demo):
    root, completed = demo
    assert completed.returncode == 0  # 1 would mean localmig dropped tests it could not explain
    document = json.loads(run_cli("scan", str(root), "--json").stdout)
    assert sorted(r["id"] for r in document["revisions"]) == sorted(REVISIONS)
    assert document["heads"] == ["d1a010a6f352"]
    assert [r["id"] for r in document["revisions"] if r["is_base"]] == ["d1a001e4c7b2"]
    assert {f["revision"] for f in document["findings"]} == {BROKEN}
    kinds = {f["kind"] for f in document["findings"]}
    assert "downgrade_failed" in kinds
    assert kinds <= {"downgrade_failed", "downgrade_fails_with_rows"}
    failed = next(f for f in document["findings"] if f["kind"] == "downgrade_failed")
    assert "no such index: ix_order_items_product" in failed["message"]
    assert all(r["tests"] == "current" for r in document["revisions"])
    module = next((root / "tests" / "migrations").glob(f"test_{BROKEN}_*.py")).read_text()
    assert "def test_downgrade_restores_previous_schema(migrations):" in module
    assert "no such index: ix_order_items_product" in module.split('"""')[1]  # named in the module docstring


def test_suite_is_portable(demo, outcomes, tmp_path):
    """The project with its suite, copied anywhere else, gives the same results."""
    root, _ = demo
    expected = outcomes
    moved = tmp_path / "somewhere" / "else" / "shop"
    shutil.copytree(root, moved, ignore=shutil.ignore_patterns("__pycache__", "*.db", ".localmig"))
    hidden = root.with_name(root.name + "-hidden")
    root.rename(hidden)  # the original must not be needed
    try:
        assert run_suite(moved, tmp_path / "there.xml") == expected
    finally:
        hidden.rename(root)
    assert not list(moved.rglob("*.db"))
