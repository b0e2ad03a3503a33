"""Seeded histories and the equivalence check, on real SQLite projects and localmig's real harness."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_localmig import MigrationHistory

from localmig.mutate.equivalence import compare
from localmig.mutate.operators import mutants_for
from localmig.mutate.runner import reference_for
from localmig.mutate.scratch import copy_project, mutant_copy, settings_for_copy
from localmig.mutate.seed import Seed, seed_from, seed_history, write_snapshot
from localmig.options import SessionOptions
from localmig.pipeline import Session
from localmig.project import alembic_config
from tests.conftest import DEMO

ENV = (DEMO / "migrations" / "env.py").read_text()
INI = """[alembic]
script_location = %(here)s/migrations
prepend_sys_path = %(here)s
path_separator = os
sqlalchemy.url = sqlite:///%(here)s/NEVER_USED.db

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = generic

[formatter_generic]
format = %(levelname)s %(message)s
"""
HEAD = '''from alembic import op
import sqlalchemy as sa

revision = {revision!r}
down_revision = {down!r}
branch_labels = None
depends_on = None

'''
ACCOUNTS = '''
def upgrade():
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=50), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("1"), nullable=False),
        sa.Column("note", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
    )
    op.create_index("ix_accounts_email", "accounts", ["email"], unique=False)


def downgrade():
    op.drop_index("ix_accounts_email", table_name="accounts")
    op.drop_table("accounts")
'''
BACKFILL = '''
def upgrade():
    op.execute("UPDATE accounts SET active = 1 WHERE active IS NOT NULL AND id > 0")
    op.execute("UPDATE accounts SET note = 'vip' WHERE email LIKE '%@vip.test'")


def downgrade():
    op.execute("UPDATE accounts SET note = NULL WHERE note = 'vip'")
'''


def write_project(root: Path) -> Path:
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic.ini").write_text(INI)
    (root / "migrations" / "env.py").write_text(ENV)
    (versions / "eq01_accounts.py").write_text(HEAD.format(revision="eq0100000001", down=None) + ACCOUNTS)
    (versions / "eq02_backfill.py").write_text(HEAD.format(revision="eq0200000002", down="eq0100000001") + BACKFILL)
    return root


@pytest.fixture
def demo_session(project):
    with Session.open(SessionOptions(path=project("demo"))) as session:
        yield session


def seeded(session: Session, revision: str, folder: Path, **kwargs) -> tuple[MigrationHistory, list[str], object]:
    history = session.live_capture.history
    seed, database = seed_from(history, revision, snapshots=folder, server=None)
    upgraded: list[str] = []
    fresh = MigrationHistory(session.project.config(), on_upgraded=upgraded.append, **kwargs)
    seed_history(fresh, Seed.model_validate_json(seed.model_dump_json()))  # as the plugin reads it from its file
    return fresh, upgraded, database


def test_a_seeded_history_starts_at_the_revision_and_sees_what_the_whole_history_sees(demo_session, tmp_path):
    history = demo_session.live_capture.history
    revision, later = "d1a004c81e95", "d1a008e2a5c9"
    fresh, upgraded, database = seeded(demo_session, revision, tmp_path, needed=[revision, later])
    try:
        assert fresh.schema_before(revision).objects == history.schema_before(revision).objects
        assert fresh.schema_after(revision).objects == history.schema_after(revision).objects
        assert fresh.schema_after_downgrade(revision).objects == history.schema_after_downgrade(revision).objects
        assert fresh.schema_after(later).objects == history.schema_after(later).objects
        assert fresh.database_before(revision).tables() == {"customers", "products", "orders", "order_items"}
        earlier = set(history.order[: history.order.index(revision)])
        assert upgraded[0] == revision and not earlier & set(upgraded), upgraded
    finally:
        fresh.close()
        database.dispose()


def test_an_earlier_state_a_test_asks_for_comes_from_the_seeds_folder(demo_session, tmp_path):
    history = demo_session.live_capture.history
    write_snapshot(tmp_path, "d1a001e4c7b2", history.schema_after("d1a001e4c7b2").objects)
    fresh, _, database = seeded(demo_session, "d1a004c81e95", tmp_path)
    try:
        assert fresh.schema_after("d1a001e4c7b2").objects == history.schema_after("d1a001e4c7b2").objects
        with pytest.raises(KeyError):
            fresh.schema_after("d1a0023f9a61")  # not written beside the seed
    finally:
        fresh.close()
        database.dispose()


def test_a_history_that_already_built_is_not_seeded(demo_session, tmp_path):
    history = demo_session.live_capture.history
    seed, database = seed_from(history, "d1a004c81e95", snapshots=tmp_path, server=None)
    built = MigrationHistory(demo_session.project.config())
    try:
        built.schema_after("d1a001e4c7b2")
        with pytest.raises(RuntimeError, match="already built"):
            seed_history(built, seed)
        with pytest.raises(RuntimeError, match="not at position"):
            seed_history(MigrationHistory(demo_session.project.config()), seed.model_copy(update={"position": 1}))
    finally:
        built.close()
        database.dispose()


@pytest.fixture
def accounts(tmp_path):
    root = write_project(tmp_path / "accounts")
    pristine = copy_project(root, tmp_path / "pristine")
    with Session.open(SessionOptions(path=root)) as session:
        yield session, pristine, tmp_path


def verdict(accounts, revision: str, operator: str, needle: str):
    session, pristine, folder = accounts
    info = session.project.by_id[revision]
    text = (pristine / info.path).read_text()
    (mutant,) = [m for m in mutants_for(text, revision=revision, file=info.path, operators={operator})
                 if needle in m.description]
    copy = mutant_copy(pristine, folder / f"mutant-{operator}", mutant.file, mutant.apply(text))
    seed, database = seed_from(session.live_capture.history, revision, snapshots=folder, server=None)
    try:
        return compare(alembic_config(settings_for_copy(session.project.settings, pristine)),
                       alembic_config(settings_for_copy(session.project.settings, copy)),
                       seed, reference_for(session, revision), db_url=None, folder=str(folder / f"db-{operator}"))
    finally:
        database.dispose()


def test_a_dropped_index_the_table_drop_takes_with_it_is_equivalent(accounts):
    found = verdict(accounts, "eq0100000001", "op_removed", "drop_index")
    assert found.equivalent, found.detail


def test_a_where_clause_that_selects_every_row_is_equivalent_by_the_rows(accounts):
    found = verdict(accounts, "eq0200000002", "where_removed", "SET active = 1")
    assert found.equivalent, found.detail


def test_a_where_clause_that_selects_some_rows_is_not_equivalent(accounts):
    found = verdict(accounts, "eq0200000002", "where_removed", "SET note = 'vip'")
    assert not found.equivalent
    assert found.detail.startswith("rows after the upgrade: accounts holds"), found.detail


def test_a_schema_change_is_not_equivalent_and_says_what_differs(accounts):
    found = verdict(accounts, "eq0100000001", "nullable_flipped", "nullable=False → nullable=True in sa.Column(\"email\"")
    assert not found.equivalent
    assert "accounts.email" in found.detail and "NULL" in found.detail, found.detail


def test_an_upgrade_that_fails_is_not_equivalent(accounts):
    found = verdict(accounts, "eq0100000001", "op_removed", "op.create_table")
    assert not found.equivalent
    assert found.detail.startswith("the mutant's upgrade fails:"), found.detail


def test_a_downgrade_that_leaves_data_behind_is_not_equivalent(accounts):
    found = verdict(accounts, "eq0200000002", "data_statement_removed", "SET note = NULL")
    assert not found.equivalent
    assert found.detail.startswith("rows after the downgrade:"), found.detail


def test_copies_are_of_the_project_and_never_write_through_to_it(tmp_path):
    root = write_project(tmp_path / "project")
    (root / "app.db").write_text("the user's database")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref")
    pristine = copy_project(root, tmp_path / "pristine")
    assert not (pristine / "app.db").exists() and not (pristine / ".git").exists()
    revision_file = "migrations/versions/eq01_accounts.py"
    copy = mutant_copy(pristine, tmp_path / "mutant", revision_file, "# mutated\n")
    assert (copy / revision_file).read_text() == "# mutated\n"
    assert (pristine / revision_file).read_text() == (root / revision_file).read_text() != "# mutated\n"
    assert (copy / "migrations" / "env.py").stat().st_ino == (pristine / "migrations" / "env.py").stat().st_ino
    moved = settings_for_copy(Session(SessionOptions(path=root)).project.settings, copy)
    assert moved.root == copy and moved.config_file == copy / "alembic.ini"
