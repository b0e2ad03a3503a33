"""Mutation strength through ``localmig mutate``: the generated demo suite notices migrations changed
the way people get them wrong, the report says which test noticed, and the project is left as it was.

The demo's suite is generated once. Each test runs ``localmig mutate`` in-process (click's runner)
on a copy of it, on a few chosen mutants (``--mutant`` id prefixes: revision:function:line:operator),
so that the run stays short; ``bench/mutate.py`` runs every mutant of the demo.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from localmig.cli import cli
from localmig.mutate.report import MutationReport, kill_rates
from localmig.mutate.scratch import checksums
from tests.conftest import ROOT, SCENARIOS, run_cli

SCHEMA = json.loads((ROOT / "docs" / "mutate-report.schema.json").read_text())

# the mutations a person once wrote by hand for this test, and the test of the revision that must notice each
CAUGHT = {
    "d1a0023f9a61:upgrade:32:op_removed": "test_upgrade_creates_index_ix_products_name",
    "d1a004c81e95:downgrade:43:op_removed": "test_downgrade_restores_products",
    "d1a0023f9a61:upgrade:27:nullable_flipped": "test_upgrade_creates_table_products",
    "d1a008e2a5c9:upgrade:29:type_changed": "test_upgrade_changes_type_of_orders_status",
    "d1a004c81e95:upgrade:27:server_default_changed": "test_upgrade_adds_products_stock_not_null",
    "d1a006b94c27:upgrade:41:fk_action_removed":
        "test_upgrade_addresses_customer_id_references_customers_on_delete_cascade",
    "d1a010a6f352:upgrade:26:unique_removed": "test_upgrade_makes_customers_phone_unique",
    "d1a0055ad3f0:upgrade:54:data_statement_removed": "test_rows_through_upgrade_and_downgrade_as_observed",
    "d1a0055ad3f0:upgrade:57:data_statement_removed": "test_rows_through_upgrade_and_downgrade_as_observed",
    "d1a0055ad3f0:downgrade:68:data_statement_removed": "test_rows_through_upgrade_and_downgrade_as_observed",
    "d1a0055ad3f0:upgrade:58:where_removed": "test_rows_through_upgrade_and_downgrade_as_observed",
    "d1a0037b2d48:upgrade:42:index_made_unique": "test_upgrade_creates_index_ix_orders_customer_id",
}
EQUIVALENT = "d1a0023f9a61:downgrade:37:op_removed"  # drop_index right before drop_table: the table takes it along
# pytest-alembic hands env.py its `alembic_engine` as config.attributes["connection"]; the demo's env.py
# (Alembic's cookbook) expects a Connection there
PYTEST_ALEMBIC_ENGINE = """import pytest
import sqlalchemy


@pytest.fixture
def alembic_engine():
    engine = sqlalchemy.create_engine("sqlite:///")
    with engine.connect() as connection:
        yield connection
    engine.dispose()
"""


@pytest.fixture
def generated(generated_demo) -> Path:
    """The demo with its generated suite: `localmig generate --no-model` once per session (tests/conftest.py),
    shared with tests/plugin; the tests here copy it and never change it."""
    return generated_demo


def copy_of(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.db", ".localmig"))
    return target


def mutate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["mutate", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_the_demo_suite_kills_the_mistakes_people_make_and_the_project_is_untouched(generated, tmp_path):
    root = copy_of(generated, tmp_path / "demo")
    before = checksums(root)
    chosen = [arg for prefix in [*CAUGHT, EQUIVALENT] for arg in ("--mutant", prefix)]

    code, output = mutate(str(root), *chosen, "--jobs", "2", "--report", str(tmp_path / "report.json"))

    assert code == 0, output
    assert checksums(root) == before, "localmig mutate changed the project's files"
    assert sorted(p.name for p in (root / ".localmig").iterdir()) == ["mutate-report.json"]
    document = json.loads((tmp_path / "report.json").read_text())
    jsonschema.validate(document, SCHEMA)
    report = MutationReport.model_validate(document)
    by_prefix = {prefix: [m for m in report.mutants if m.id.startswith(prefix)] for prefix in CAUGHT}
    for prefix, test in CAUGHT.items():
        assert by_prefix[prefix], prefix
        for mutant in by_prefix[prefix]:
            assert mutant.status == "killed", (prefix, mutant.detail)
            assert any(t.endswith(f"::{test}") and f"test_{mutant.revision}_" in t for t in mutant.killed_by), \
                (prefix, mutant.killed_by)
            assert mutant.killed_by_source == {"generated": True}
            assert mutant.diff.startswith(f"--- a/{mutant.file}\n+++ b/{mutant.file}\n@@ ")
    (equivalent,) = [m for m in report.mutants if m.id.startswith(EQUIVALENT)]
    assert equivalent.status == "equivalent" and not equivalent.tests_ran
    assert '-    op.drop_index("ix_products_name", table_name="products")\n+    pass\n' in equivalent.diff
    assert report.totals.killed == len(report.mutants) - 1 and report.totals.rate == 1.0
    assert report.by_operator["data_statement_removed"].killed == 3
    assert report.by_revision["d1a0023f9a61"].model_dump() == {
        "killed": 2, "survived": 0, "equivalent": 1, "errors": 0, "current": True, "rate": 1.0}
    # a mutant runs its revision's module and the later modules that name its tables, not the whole suite
    (backfill,) = by_prefix["d1a0055ad3f0:upgrade:54:data_statement_removed"]
    modules = {t.split("::")[0].rsplit("/", 1)[-1] for t in backfill.tests_ran}
    every = {p.name for p in (root / "tests" / "migrations").glob("test_*.py")}
    assert modules < every, "the whole suite ran for one mutant"
    assert {m[5:17] for m in modules} >= {"d1a0055ad3f0", "d1a008e2a5c9"}  # its own, and the one that alters orders.status
    assert not {m[5:17] for m in modules} & {"d1a001e4c7b2", "d1a0023f9a61", "d1a006b94c27"}  # earlier or unrelated
    assert "kill rate 100.0%: 13 of 13 mutants killed (1 equivalent, not counted" in output
    assert "per operator" in output and "per revision" in output and "no mutant survived" in output
    assert kill_rates(root)["d1a0055ad3f0"].killed == 4


def test_a_survivor_is_shown_with_its_diff_and_your_own_tests_are_judged_beside_the_generated_ones(generated, tmp_path):
    """Your own tests count too (--tests, here pytest-alembic's built-in ones). The demo's broken
    downgrade makes a survivor: without the statement that raises, the downgrade runs, and the tests
    that would see it already failed on the original (they expose the defect), so none can notice."""
    root = copy_of(generated, tmp_path / "demo")
    mine = root / "tests" / "mine"
    mine.mkdir()
    (mine / "test_pytest_alembic.py").write_text(
        "from pytest_alembic.tests import test_single_head_revision, test_upgrade  # noqa: F401\n")
    (mine / "conftest.py").write_text(PYTEST_ALEMBIC_ENGINE)

    code, output = mutate(str(root), "--mutant", "d1a0094d7b13:downgrade:41:op_removed",
                          "--mutant", "d1a006b94c27:upgrade:26:op_removed", "--tests", str(mine),
                          "--report", str(tmp_path / "report.json"))

    assert code == 0, output
    report = MutationReport.model_validate_json((tmp_path / "report.json").read_text())
    assert report.baseline == {"generated": 52, "given": 2}
    (survivor,) = report.survivors
    assert survivor.revision == "d1a0094d7b13" and not survivor.killed_by
    assert survivor.detail == "the mutant's downgrade runs (the original's fails)"
    assert len(survivor.tests_ran) == 7 + 2  # its module, and your two tests
    (table_removed,) = [m for m in report.mutants if m.revision == "d1a006b94c27"]
    assert table_removed.killed_by_source == {"generated": True, "given": True}
    assert "tests/mine/test_pytest_alembic.py::test_upgrade" in table_removed.killed_by
    assert report.by_source["given"].rate == 0.5 and report.by_source["generated"].rate == 0.5
    assert "survived d1a0094d7b13:downgrade:41:op_removed:" in output
    assert '-    op.drop_index("ix_order_items_product", table_name="order_items")' in output
    assert "given tests: 50.0%" in output


NOTES = '''"""create notes"""
from alembic import op
import sqlalchemy as sa

revision = "5e1f00000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notes"),
    )


def downgrade():
    op.drop_table("notes")
'''


def test_check_keeps_to_the_kept_result_until_the_tests_change(tmp_path):
    root = copy_of(SCENARIOS / "linear", tmp_path / "notes")
    for old in (root / "migrations" / "versions").glob("*.py"):
        old.unlink()
    (root / "migrations" / "versions" / "5e1f00000001_create_notes.py").write_text(NOTES)
    assert run_cli("generate", str(root), "--no-model", "-q").returncode == 0
    code, output = mutate(str(root), "-q")
    assert code == 0, output
    kept = MutationReport.model_validate_json((root / ".localmig" / "mutate-report.json").read_text())
    assert kept.totals.model_dump() == {"killed": 5, "survived": 0, "equivalent": 0, "errors": 0, "current": True,
                                        "rate": 1.0}, output

    checked = CliRunner().invoke(cli, ["check", str(root), "--min-kill-rate", "0.9"])
    assert checked.exit_code == 0, checked.output
    assert "kill rate 100.0% (5 of 5 mutants, kept result) is at least the minimum 90.0%" in checked.output

    module = next((root / "tests" / "migrations").glob("test_5e1f00000001_*.py"))
    text = module.read_text()
    start = text.index("def test_upgrade_creates_table_notes")
    module.write_text(text[:start] + text[text.index("\ndef ", start + 1) + 1:])  # a weaker suite, edited by hand
    checked = CliRunner().invoke(cli, ["check", str(root), "--min-kill-rate", "0.9", "--json"])
    assert checked.exit_code == 1, checked.output
    document = json.loads(checked.output)
    gate = document["kill_rate"]
    assert gate["cached"] is False and gate["counted"] == 5 and gate["rate"] < 0.9, gate
    (problem,) = document["problems"]
    assert problem["kind"] == "kill_rate" and "below the minimum 90.0%; survivors: 5e1f00000001 line" in problem["message"]


def test_mutate_without_any_test_to_judge_says_what_to_do(tmp_path):
    root = copy_of(SCENARIOS / "linear", tmp_path / "linear")
    completed = run_cli("mutate", str(root))
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert "no tests to judge" in completed.stderr and "localmig generate" in completed.stderr
    assert "Traceback" not in completed.stderr
    completed = run_cli("mutate", str(root), "--operators", "nullable_flipped,no_such_operator")
    assert completed.returncode == 2 and "unknown mutation operator(s): no_such_operator" in completed.stderr


@pytest.mark.postgres
def test_mutants_run_on_postgresql_and_leave_no_database_behind(tmp_path, pg_url):
    from tests.e2e.test_postgres import assert_none_left, scratch_databases

    root = copy_of(SCENARIOS / "pg_server_default", tmp_path / "pg")
    generated = run_cli("generate", str(root), "--no-model", "-q", "--db-url", pg_url)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    before = scratch_databases(pg_url)
    code, output = mutate(str(root), "--db-url", pg_url, "--jobs", "2", "--report", str(tmp_path / "report.json"),
                          "--mutant", "5def01a7b9c1:upgrade:32:server_default_removed",
                          "--mutant", "5def02c3d5e7:upgrade:42:unique_removed",
                          "--mutant", "5def02c3d5e7:downgrade:50:data_statement_removed")
    assert code == 0, output
    report = MutationReport.model_validate_json((tmp_path / "report.json").read_text())
    assert report.dialect == "postgresql"
    assert {m.id.rsplit(":", 1)[0]: m.status for m in report.mutants} == {
        "5def01a7b9c1:upgrade:32:server_default_removed": "killed",
        "5def02c3d5e7:upgrade:42:unique_removed": "killed",
        "5def02c3d5e7:downgrade:50:data_statement_removed": "killed",  # the sequence stays behind
    }, [(m.id, m.detail) for m in report.mutants]
    assert_none_left(pg_url, before)


def test_every_revisions_tests_from_its_parents_template_do_what_they_do_on_the_whole_history(generated, tmp_path):
    """The foundation of the cost model: the tests a mutant of a revision runs (its module and the
    later ones that name its tables), started at the parent's template, pass and fail exactly as
    they do when the whole history is built; checked on the unchanged demo, revision by revision."""
    from localmig.mutate.plugin import OPTION
    from localmig.mutate.runner import reference_for
    from localmig.mutate.seed import seed_from
    from localmig.mutate.selection import generated_suite, modules_for
    from localmig.mutate.worker import FAST, PLUGIN
    from localmig.options import SessionOptions
    from localmig.pipeline import Session
    from localmig.verify import run_suite
    from tests.unit.test_mutate_selection import mutant

    root = copy_of(generated, tmp_path / "demo")
    with Session.open(SessionOptions(path=root)) as session:
        targets = {r.id: session.target(r) for r in session.revisions}
        suite = generated_suite(session.project, session.out, list(session.shared_files()), targets)
        whole = run_suite({**suite.shared, **suite.texts}, suite.expected, project_root=root, findings=[])
        expected = {(o.revision, o.name): o.outcome for o in whole.outcomes}
        assert list(expected.values()).count("failed") == 5  # the demo's broken downgrade, seen the same either way
        history = session.live_capture.history
        for revision in history.applied:
            reference = reference_for(session, revision)
            tables = {k.partition(":")[2] for k in (*reference.before, *reference.after) if k.startswith("table:")}
            modules = modules_for(mutant(revision), suite, session.revisions, reference.touched, tables)
            if not modules:
                continue
            seed, database = seed_from(history, revision, snapshots=tmp_path, server=None)
            path = seed.write(tmp_path / f"{revision}.json")
            try:
                seeded = run_suite({**suite.shared, **{m: suite.texts[m] for m in modules}},
                                   {m: suite.expected[m] for m in modules}, project_root=root, findings=[],
                                   extra_args=[*FAST, "-p", PLUGIN, OPTION, str(path)])
            finally:
                database.dispose()
                history.scratch.drop(database.name)
            found = {(o.revision, o.name): o.outcome for o in seeded.outcomes}
            assert found == {test: expected[test] for test in found}, revision
            assert len(found) == sum(len(suite.expected[m].tests) for m in modules)
