"""Every scenario of tests/examples/README.md, as a user meets it: `localmig scan` / `generate`.

Each test works on a copy of the scenario (the ``project`` fixture). The projects' own
``sqlalchemy.url`` (``NEVER_USED.db``) and env_ignores_url's ``APP_DB_NEVER_USED.db`` must never
appear: localmig only ever migrates scratch databases.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from localmig.capture import Capture
from localmig.errors import CaptureError
from localmig.project import load
from tests.conftest import SCENARIOS as EXAMPLES
from tests.conftest import run_cli


@dataclass
class Expected:
    revisions: list[str]  # in history order where the order is forced, else any order (see ordered)
    heads: set[str]
    findings: set[tuple[str, str | None]] = field(default_factory=set)
    changes: dict[str, list[str]] = field(default_factory=dict)  # revision -> its change lines, exactly
    ordered: bool = True
    path: str = ""  # what to hand to localmig, relative to the copy


SCENARIOS = {
    "linear": Expected(
        ["11ea01b3c5d7", "11ea02e8f1a4", "11ea03c6d2b9"],
        {"11ea03c6d2b9"},
        changes={
            "11ea01b3c5d7": ["add table authors"],
            "11ea02e8f1a4": ["add column authors.email String(length=255) NULL"],
            "11ea03c6d2b9": ["add index on authors: INDEX ix_authors_email (email)"],
        },
    ),
    "branch_merge": Expected(
        ["b3a901d4e6f8", "b3a902a1c3e5", "b3a903f7b9d2", "b3a904c2e4a6"],
        {"b3a904c2e4a6"},
        changes={
            "b3a902a1c3e5": ["add column users.display_name String(length=120) NULL"],
            "b3a903f7b9d2": ["add table teams"],
            "b3a904c2e4a6": ["add table team_members"],
        },
        ordered=False,
    ),
    "several_heads": Expected(
        ["5e7e01a2b4c6", "5e7e02d8e0f2", "5e7e03b5c7d9"],
        {"5e7e02d8e0f2", "5e7e03b5c7d9"},
        {("multiple_heads", None)},
        changes={"5e7e02d8e0f2": ["add column notes.pinned Boolean() NOT NULL DEFAULT 0"], "5e7e03b5c7d9": ["add table tags"]},
        ordered=False,
    ),
    "labels_depends_on": Expected(
        ["1abe01c0a1b2", "1abe02d3e4f5", "1abe03a6b7c8", "1abe04e9f0a1"],
        {"1abe02d3e4f5", "1abe04e9f0a1"},
        changes={
            "1abe04e9f0a1": [
                "add column invoices.account_id Integer() NULL",
                "add foreign key on invoices: (account_id) REFERENCES accounts (id) ON DELETE SET NULL",
            ],
            "1abe02d3e4f5": ["add column accounts.plan String(length=20) NOT NULL DEFAULT 'free'"],
        },
        ordered=False,
    ),
    "batch_sqlite": Expected(
        ["ba7c01f2a3b4", "ba7c02c5d6e7", "ba7c03a8b9c0"],
        {"ba7c03a8b9c0"},
        changes={
            "ba7c02c5d6e7": [
                "alter column gadgets.price: type Integer() -> Numeric(precision=10, scale=2)",
                "add column gadgets.sku String(length=32) NULL",
                "add unique on gadgets: UNIQUE (sku) named uq_gadgets_sku",
            ],
            "ba7c03a8b9c0": [
                "drop column gadgets.legacy_code String(length=20) NULL",
                "alter column gadgets.name: nullable NULL -> NOT NULL",
            ],
        },
    ),
    "data_migration": Expected(
        ["da7a01b1c2d3", "da7a02e4f5a6", "da7a03c7d8e9", "da7a04f0a1b2"],
        {"da7a04f0a1b2"},
        changes={
            "da7a02e4f5a6": ["add column accounts.tier String(length=32) NULL"],
            "da7a03c7d8e9": ["add table tiers"],
            "da7a04f0a1b2": [
                "add column accounts.email_domain String(length=255) NULL",
                "add index on accounts: INDEX ix_accounts_email_domain (email_domain)",
            ],
        },
    ),
    "failing_downgrade": Expected(
        ["fa1101a3b5c7", "fa1102d9e1f3", "fa1103b2c4d6"],
        {"fa1103b2c4d6"},
        {("downgrade_failed", "fa1102d9e1f3")},
        changes={"fa1102d9e1f3": ["add column invoices.due_date Date() NULL"]},
    ),
    "pass_downgrade": Expected(
        ["9a5501c1d3e5", "9a5502f6a8b0", "9a5503d2e4f6"],
        {"9a5503d2e4f6"},
        {("downgrade_not_implemented", "9a5502f6a8b0")},
        changes={"9a5502f6a8b0": ["add table audit_log"]},
    ),
    "notimplemented_downgrade": Expected(
        ["c0de01a7b9c1", "c0de02e3f5a7", "c0de03b8c0d2"],
        {"c0de03b8c0d2"},
        {("downgrade_not_implemented", "c0de02e3f5a7")},
        changes={
            "c0de02e3f5a7": [
                "drop column people.first_name String(length=80) NOT NULL",
                "add column people.full_name String(length=170) NOT NULL",
                "drop column people.last_name String(length=80) NOT NULL",
            ]
        },
    ),
    "downgrade_leaves_table": Expected(
        ["1eaf01c3d5e7", "1eaf02a9b1c3", "1eaf03e5f7a9"],
        {"1eaf03e5f7a9"},
        {("downgrade_incomplete", "1eaf02a9b1c3")},
        changes={"1eaf02a9b1c3": ["add table product_tags", "add table tags"]},
    ),
    "upgrade_fails": Expected(
        ["f0a101b2c3d4", "f0a102e5f6a7", "f0a103c8d9e0", "f0a104a1b2c3"],
        {"f0a103c8d9e0", "f0a104a1b2c3"},
        {("multiple_heads", None), ("upgrade_failed", "f0a102e5f6a7")},
        changes={"f0a101b2c3d4": ["add table orders"], "f0a104a1b2c3": ["add table customers"],
                 "f0a102e5f6a7": [], "f0a103c8d9e0": []},
        ordered=False,
    ),
    "multiple_version_locations": Expected(
        ["3d1f01c2d4e6", "3d1f02a8b0c2", "3d1f03e4f6a8"],
        {"3d1f03e4f6a8"},
        changes={"3d1f02a8b0c2": ["add column devices.firmware_version String(length=32) NULL"],
                 "3d1f03e4f6a8": ["add index on devices: INDEX ix_devices_firmware_version (firmware_version)"]},
    ),
    "pyproject_only": Expected(
        ["9e7001d3e5f7", "9e7002a6b8c0"],
        {"9e7002a6b8c0"},
        changes={"9e7001d3e5f7": ["add table subscribers"],
                 "9e7002a6b8c0": ["add column subscribers.confirmed_at DateTime() NULL"]},
    ),
    "bare_versions": Expected(
        ["ba4e01c7d9e1", "ba4e02f3a5b7", "ba4e03b9c1d3"],
        {"ba4e03b9c1d3"},
        changes={"ba4e02f3a5b7": ["add column recipes.servings Integer() NOT NULL DEFAULT 2"],
                 "ba4e03b9c1d3": ["add index on recipes: INDEX ix_recipes_title (title)"]},
    ),
    "app_imports": Expected(
        ["a99a01e5f7a9", "a99a02b1c3d5"],
        {"a99a02b1c3d5"},
        changes={"a99a01e5f7a9": ["add table carts"], "a99a02b1c3d5": ["add column carts.discount Integer() NULL"]},
    ),
}

PROJECT_ERRORS = {
    "syntax_error": ("migrations/versions/5e1102c4d6e8_add_projects_owner.py:28", "syntax error"),
    "import_error": ("migrations/versions/1b0e02d5e6f7_add_payments_currency.py:15", "localmig_no_such_module"),
    "missing_down_revision": ("migrations/versions/315502b4c6d8_add_shipments_carrier.py:20", "3155dead0000"),
    "cycle": ("migrations/versions/c1c10", "Cycle is detected in revisions"),
    "empty_history": ("", "the history is empty"),
    "not_alembic": ("", "not an Alembic project"),
}


def words(text: str) -> str:
    """Text with whitespace runs collapsed (Rich wraps long messages)."""
    return " ".join(text.split())


def assert_clean(root: Path) -> None:
    """Neither the project's URL nor any other database was created in the project."""
    assert not list(root.rglob("*NEVER_USED*")), "the project's own database URL was used"
    assert not list(root.rglob("*.db")), sorted(root.rglob("*.db"))


def scan_json(root: Path, *args: str) -> dict:
    completed = run_cli("scan", str(root), "--json", *args)
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    return json.loads(completed.stdout)


# --------------------------------------------------------------------------- histories that load


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """``scanned(name)`` -> (copy, `scan --json` document), one scan per scenario and module."""
    done: dict[str, tuple[Path, dict]] = {}

    def scan(name: str) -> tuple[Path, dict]:
        if name not in done:
            root = tmp_path_factory.mktemp(name) / name
            shutil.copytree(EXAMPLES / name, root, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
            done[name] = root, scan_json(root / SCENARIOS[name].path)
        return done[name]

    return scan


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scan(scanned, name):
    expected = SCENARIOS[name]
    root, document = scanned(name)
    revisions = [r["id"] for r in document["revisions"]]
    if expected.ordered:
        assert revisions == expected.revisions
    else:
        assert sorted(revisions) == sorted(expected.revisions)
    seen: set[str] = set()
    for revision in document["revisions"]:  # whatever the order, every revision after what it needs
        assert set(revision["down_revisions"]) | set(revision["depends_on"]) <= seen
        seen.add(revision["id"])
    assert set(document["heads"]) == expected.heads
    assert {r["id"] for r in document["revisions"] if r["is_head"]} == expected.heads
    assert {(f["kind"], f["revision"]) for f in document["findings"]} == expected.findings
    assert len(document["findings"]) == len(expected.findings)
    by_id = {r["id"]: r for r in document["revisions"]}
    for revision, changes in expected.changes.items():
        assert by_id[revision]["changes"] == changes, revision
    failed = {f["revision"] for f in document["findings"] if f["kind"] == "upgrade_failed"}
    blocked = {r for f in document["findings"] if f["kind"] == "upgrade_failed"
               for detail in f["details"] if detail.startswith("not applied: ") for r in detail[13:].split(", ")}
    assert {r for r, info in by_id.items() if not info["applied"]} == failed | blocked
    assert document["dialect"] == "sqlite"
    assert all(r["tests"] == "missing" for r in document["revisions"])
    assert not (root / "tests").exists(), "scan must not write anything"
    assert_clean(root.parent if name == "bare_versions" else root)


def finding(document: dict, kind: str) -> dict:
    (found,) = [f for f in document["findings"] if f["kind"] == kind]
    return found


def test_failing_downgrade_finding_names_the_error_and_the_line(scanned):
    document = scanned("failing_downgrade")[1]
    found = finding(document, "downgrade_failed")
    assert found["message"].startswith('downgrade: OperationalError: (sqlite3.OperationalError) no such column: "due_on"')
    assert found["message"].endswith("(at fa1102d9e1f3_add_invoices_due_date.py:33)")


def test_pass_downgrade_finding_says_what_is_left_behind(scanned):
    found = finding(scanned("pass_downgrade")[1], "downgrade_not_implemented")
    assert found["revision"] == "9a5502f6a8b0"
    assert found["message"] == "downgrade() is empty (pass)"
    assert found["details"] == ["left behind: table audit_log"]


def test_notimplemented_downgrade_finding(scanned):
    found = finding(scanned("notimplemented_downgrade")[1], "downgrade_not_implemented")
    assert found["message"] == "downgrade() raises NotImplementedError"


def test_downgrade_leaves_table_finding(scanned):
    found = finding(scanned("downgrade_leaves_table")[1], "downgrade_incomplete")
    assert found["revision"] == "1eaf02a9b1c3"
    assert found["details"] == ["left behind: table tags"]


def test_upgrade_fails_keeps_the_sound_branch(scanned):
    document = scanned("upgrade_fails")[1]
    failed = finding(document, "upgrade_failed")
    assert failed["revision"] == "f0a102e5f6a7"
    assert "(sqlite3.OperationalError) table orders already exists" in failed["message"]
    assert failed["message"].endswith("(at f0a102e5f6a7_create_orders_archive_table.py:28); "
                                      "1 later revision could not be applied")
    assert failed["details"] == ["not applied: f0a103c8d9e0"]
    assert not [f for f in document["findings"] if f["kind"] == "not_applied"], "one finding per cause"
    applied = {r["id"]: r["applied"] for r in document["revisions"]}
    assert applied == {"f0a101b2c3d4": True, "f0a104a1b2c3": True, "f0a102e5f6a7": False, "f0a103c8d9e0": False}


def test_several_heads_finding_lists_the_heads(scanned):
    found = finding(scanned("several_heads")[1], "multiple_heads")
    assert found["revision"] is None
    assert "5e7e02d8e0f2" in found["message"] and "5e7e03b5c7d9" in found["message"]


# --------------------------------------------------------------------------- capture in process


@pytest.fixture
def capture_of(project):
    opened: list[Capture] = []
    logging.disable(logging.INFO)

    def run(name: str, **options):
        capture = Capture(load(project(name), **options))
        opened.append(capture)
        return capture, capture.run()

    yield run
    for capture in opened:
        capture.close()
    logging.disable(logging.NOTSET)


def test_capture_batch_sqlite_diffs(capture_of):
    capture, result = capture_of("batch_sqlite")
    assert result.findings == []
    price = result.captures["ba7c02c5d6e7"].diff.changes[0]
    assert (price.kind, price.table, price.name, price.before, price.after) == (
        "alter_column_type", "gadgets", "price", "Integer()", "Numeric(precision=10, scale=2)",
    )
    # the downgrade of ba7c03a8b9c0 puts legacy_code back at its place (column order restored)
    history = capture.history
    assert list(history.schema_after_downgrade("ba7c03a8b9c0").columns("gadgets")) == list(
        history.schema_before("ba7c03a8b9c0").columns("gadgets")
    )


def test_capture_branch_merge(capture_of):
    capture, result = capture_of("branch_merge")
    members = result.captures["b3a904c2e4a6"].diff.changes[0].after
    assert {(fk.referred_table, fk.ondelete) for fk in members.foreign_keys} == {("users", "CASCADE"), ("teams", "CASCADE")}
    assert capture.snapshot_after("b3a904c2e4a6").tables.keys() == {"users", "teams", "team_members"}


def test_capture_pass_downgrade_leaves_the_table_and_its_index(capture_of):
    capture, _ = capture_of("pass_downgrade")
    left = capture.history.schema_after_downgrade("9a5502f6a8b0")
    assert "audit_log" in left and "ix_audit_log_actor" in left.indexes("audit_log")


def test_capture_upgrade_fails_records_nothing_for_the_broken_branch(capture_of):
    _, result = capture_of("upgrade_fails")
    assert result.captures["f0a102e5f6a7"].applied is False and result.captures["f0a102e5f6a7"].diff is None
    assert result.captures["f0a103c8d9e0"].applied is False
    assert result.captures["f0a104a1b2c3"].diff.describe() == ["add table customers"]


def test_capture_of_app_imports_sees_the_type_decorator_as_its_impl(capture_of):
    capture, _ = capture_of("app_imports")
    carts = capture.snapshot_after("a99a02b1c3d5").tables["carts"]
    assert carts.columns["discount"].type == "Integer()"
    assert any(index.name == "ix_carts_session_key" and index.unique for index in carts.indexes)


# --------------------------------------------------------------------------- histories that do not load


@pytest.mark.parametrize("name", sorted(PROJECT_ERRORS))
def test_project_error(project, name):
    where, what = PROJECT_ERRORS[name]
    root = project(name)
    completed = run_cli("scan", str(root))
    assert completed.returncode == 3, completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout
    message = words(completed.stderr)
    assert message.startswith("error: ")
    assert where in message and what in message
    assert_clean(root)


def test_not_alembic_message_names_what_is_missing(project):
    completed = run_cli("scan", str(project("not_alembic")))
    assert completed.returncode == 3
    assert "no alembic.ini, no [tool.alembic] in pyproject.toml" in words(completed.stderr)


def test_project_errors_for_generate_too(project):
    completed = run_cli("generate", str(project("syntax_error")), "--no-model")
    assert completed.returncode == 3
    assert "5e1102c4d6e8_add_projects_owner.py:28" in words(completed.stderr)
    assert "Traceback" not in completed.stderr


# --------------------------------------------------------------------------- env.py that ignores the URL


def test_env_ignores_url_is_a_capture_error(project, monkeypatch):
    monkeypatch.delenv("SCENARIO_DATABASE_URL", raising=False)
    root = project("env_ignores_url")
    completed = run_cli("scan", str(root))
    assert completed.returncode == 4, completed.stderr
    message = words(completed.stderr)
    assert "Traceback" not in message
    assert "env.py ignores the database URL" in message
    assert "APP_DB_NEVER_USED.db" in message  # says where env.py went
    assert "--builtin-env" in message
    assert_clean(root)
    with pytest.raises(CaptureError) as raised, Capture(load(root)) as capture:
        capture.run()
    assert raised.value.exit_code == 4
    assert_clean(root)


def test_env_ignores_url_with_the_builtin_env(project, monkeypatch):
    monkeypatch.delenv("SCENARIO_DATABASE_URL", raising=False)
    root = project("env_ignores_url")
    document = scan_json(root, "--builtin-env")
    assert [r["id"] for r in document["revisions"]] == ["e0e101b7c9d1", "e0e102e3f5a7"]
    assert document["heads"] == ["e0e102e3f5a7"]
    assert document["findings"] == []
    assert [r["changes"] for r in document["revisions"]] == [
        ["add table bookmarks"],
        ["add column bookmarks.title String(length=200) NULL"],
    ]
    assert_clean(root)


# --------------------------------------------------------------------------- generate on every scenario


# linear, pyproject_only (test_cli.py), failing_downgrade and branch_merge (the demo) are generated elsewhere.
GENERATED = [
    "app_imports", "bare_versions", "batch_sqlite", "data_migration", "downgrade_leaves_table", "labels_depends_on",
    "multiple_version_locations", "notimplemented_downgrade", "pass_downgrade", "upgrade_fails",
]


BLOCKED = {"upgrade_fails": {"f0a103c8d9e0"}}  # not applied: they need a revision whose upgrade fails


@pytest.mark.parametrize("name", GENERATED)
def test_generate(project, name):
    """A verified suite for each kind of project; no generated test had to be left out."""
    expected = SCENARIOS[name]
    root = project(name)
    completed = run_cli("generate", str(root / expected.path), "--no-model", "-q")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr
    suite = (root.parent if name == "bare_versions" else root) / "tests" / "migrations"
    modules = sorted(p.name for p in suite.glob("test_*.py"))
    not_applied = {r for kind, r in expected.findings if kind == "upgrade_failed"} | BLOCKED.get(name, set())
    assert [m[5:17] for m in modules] == sorted(set(expected.revisions) - not_applied)
    assert (suite / "conftest.py").is_file()
    assert_clean(root.parent if name == "bare_versions" else root)
