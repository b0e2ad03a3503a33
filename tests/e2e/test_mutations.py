"""Mutation strength: the generated demo suite must notice when a migration is changed.

The suite is generated once; every mutation gets a fresh copy of the demo project with that
suite, one textual edit of one migration file, and a pytest run of that revision's test module
only. At least one test of the revision (and the one named here) must fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import DEMO, run_cli


@dataclass
class Mutation:
    revision: str
    old: str
    new: str
    catches: str  # a test of the revision that must fail

    @property
    def id(self) -> str:
        return self.catches.removeprefix("test_")


MUTATIONS = {
    "upgrade_op_removed": Mutation(
        "d1a0023f9a61",
        '    op.create_index("ix_products_name", "products", ["name"], unique=False)\n',
        "",
        "test_upgrade_creates_index_ix_products_name",
    ),
    "downgrade_op_removed": Mutation(
        "d1a004c81e95",
        '    with op.batch_alter_table("products", schema=None) as batch_op:\n        batch_op.drop_column("stock")\n',
        "    pass\n",
        "test_downgrade_restores_products",
    ),
    "nullable_flipped": Mutation(
        "d1a0023f9a61",
        'sa.Column("name", sa.String(length=200), nullable=False)',
        'sa.Column("name", sa.String(length=200), nullable=True)',
        "test_upgrade_creates_table_products",
    ),
    "type_changed": Mutation(
        "d1a008e2a5c9",
        "            type_=sa.String(length=32),\n",
        "            type_=sa.String(length=40),\n",
        "test_upgrade_changes_type_of_orders_status",
    ),
    "server_default_changed": Mutation(
        "d1a004c81e95",
        'sa.Column("stock", sa.Integer(), server_default=sa.text("0"), nullable=False)',
        'sa.Column("stock", sa.Integer(), server_default=sa.text("1"), nullable=False)',
        "test_upgrade_adds_products_stock_not_null",
    ),
    "ondelete_cascade_removed": Mutation(
        "d1a006b94c27",
        '            name="fk_addresses_customer_id_customers",\n            ondelete="CASCADE",\n',
        '            name="fk_addresses_customer_id_customers",\n',
        "test_upgrade_addresses_customer_id_references_customers_on_delete_cascade",
    ),
    "unique_constraint_removed": Mutation(
        "d1a010a6f352",
        '        batch_op.create_unique_constraint("uq_customers_phone", ["phone"])\n',
        "",
        "test_upgrade_makes_customers_phone_unique",
    ),
    "backfill_removed": Mutation(
        "d1a0055ad3f0",
        "    op.execute(\"UPDATE orders SET status = 'legacy-unknown' WHERE status IS NULL\")\n",
        "",
        "test_rows_through_upgrade_and_downgrade_as_observed",
    ),
    "backfill_undo_removed": Mutation(
        "d1a0055ad3f0",
        "    op.execute(\"UPDATE orders SET status = NULL WHERE status = 'legacy-unknown'\")\n",
        "",
        "test_rows_through_upgrade_and_downgrade_as_observed",
    ),
    "unique_index_flag_flipped": Mutation(
        "d1a0037b2d48",
        'op.create_index("ix_orders_customer_id", "orders", ["customer_id"], unique=False)',
        'op.create_index("ix_orders_customer_id", "orders", ["customer_id"], unique=True)',
        "test_upgrade_creates_index_ix_orders_customer_id",
    ),
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """The demo with its generated suite (generated once per module)."""
    root = tmp_path_factory.mktemp("generated") / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    completed = run_cli("generate", str(root), "--no-model", "-q")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return root


def copy_of(generated: Path, target: Path) -> Path:
    root = target / "demo"
    shutil.copytree(generated, root, ignore=shutil.ignore_patterns("__pycache__", "*.db", ".localmig"))
    return root


def run_module(root: Path, revisions: list[str], report: Path) -> dict[str, str]:
    """Run the test modules of ``revisions``; outcome per test name (module-qualified if several)."""
    suite = root / "tests" / "migrations"
    files = [str(next(suite.glob(f"test_{revision}_*.py"))) for revision in revisions]
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", *files, "-q", "-p", "no:cacheprovider", "-p", "localmig",
         "--junitxml", str(report)],
        cwd=root, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},  # the generated suite needs only pytest-localmig
    )
    assert report.exists(), completed.stdout + completed.stderr
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        name = case.get("name") if len(revisions) == 1 else f"{case.get('classname')}::{case.get('name')}"
        outcomes[name] = "failed" if failed else "passed"
    return outcomes


def test_unmutated_modules_pass(generated, tmp_path):
    """The baseline: every module mutated below passes on the untouched project."""
    revisions = sorted({m.revision for m in MUTATIONS.values()})
    outcomes = run_module(copy_of(generated, tmp_path), revisions, tmp_path / "report.xml")
    assert outcomes and set(outcomes.values()) == {"passed"}, outcomes
    for mutation in MUTATIONS.values():
        assert any(name.endswith(f"::{mutation.catches}") for name in outcomes), mutation.catches


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_is_caught(generated, tmp_path, name):
    mutation = MUTATIONS[name]
    root = copy_of(generated, tmp_path)
    (migration,) = (root / "migrations" / "versions").glob(f"{mutation.revision}_*.py")
    source = migration.read_text()
    assert source.count(mutation.old) == 1, "the mutation no longer applies to the demo"
    migration.write_text(source.replace(mutation.old, mutation.new))
    outcomes = run_module(root, [mutation.revision], tmp_path / "report.xml")
    failed = sorted(test for test, outcome in outcomes.items() if outcome == "failed")
    assert failed, f"no test of {mutation.revision} noticed the mutation {name}"
    assert mutation.catches in failed, failed


def test_data_update_on_customers_is_noticed(generated, tmp_path):
    """d1a0055ad3f0 also deactivates legacy customers (``UPDATE customers SET is_active = 0 WHERE
    email LIKE '%@legacy-shop.invalid' AND id < 4242``): removing that statement must fail a test."""
    root = copy_of(generated, tmp_path)
    (migration,) = (root / "migrations" / "versions").glob("d1a0055ad3f0_*.py")
    source = migration.read_text()
    old = (
        '    op.execute(\n        "UPDATE customers SET is_active = 0 "\n'
        "        \"WHERE email LIKE '%@legacy-shop.invalid' AND id < 4242\"\n    )\n"
    )
    assert source.count(old) == 1
    migration.write_text(source.replace(old, ""))
    outcomes = run_module(root, ["d1a0055ad3f0"], tmp_path / "report.xml")
    assert outcomes.get("test_rows_through_upgrade_and_downgrade_as_observed") == "failed", outcomes
