"""States kept for data tests are copied as the build's run passes them (SQLite), instead of the
run ending there: one env.py run per checkpoint, and copies with the schema and rows a plain
upgrade leaves. Where the file cannot be copied mid-run (a transaction held open across steps, a
write-ahead log), no copy is made and the state is made on demand, as for any state not kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytest_localmig import MigrationHistory

from localmig.project import load
from tests.conftest import DEMO, SCENARIOS
from tests.plugin.test_walk_in_build import contents

# (project, the revision whose state before is kept, the one whose state after is kept): by index in
# the history's order; two states, neither the last of a run (at a checkpoint or the head)
CASES = [(DEMO, 3, 5), (SCENARIOS / "data_migration", 3, 1)]


def _copy(project: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(project, root, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    return root


def _histories(root: Path, tmp_path: Path, before: int, after: int):
    """A history keeping nothing, one keeping the states of two revisions, and one keeping them by
    ending its runs there; and those two revisions."""
    plain = MigrationHistory(load(root).config(), folder=str(tmp_path / "plain"))
    order = plain.order
    assert before - 1 != after and 0 < before < len(order) and after < len(order) - 1
    assert max(before, after) < MigrationHistory.CHECKPOINT_EVERY - 1
    keep = {"keep_before": [order[before]], "keep_after": [order[after]]}
    kept = MigrationHistory(load(root).config(), folder=str(tmp_path / "kept"), **keep)
    ended = MigrationHistory(load(root).config(), folder=str(tmp_path / "ended"), **keep)
    ended.scratch.COPIES_OPEN = False  # what a server does: the run ends at each state kept
    return plain, kept, ended, order[before], order[after]


def _made(history: MigrationHistory, before: str, after: str) -> list:
    return [contents(history, history.database_before(before)), contents(history, history.database_after(after))]


@pytest.mark.parametrize(("project", "before", "after"), CASES, ids=lambda case: getattr(case, "name", str(case)))
def test_kept_states_are_copied_as_the_run_passes_them(project, before, after, tmp_path):
    plain, kept, ended, before_revision, after_revision = _histories(_copy(project, tmp_path), tmp_path, before, after)
    try:
        for history in (plain, kept, ended):
            history.build()
        assert kept.runner.env_runs == plain.runner.env_runs  # no run ended at a kept state
        assert ended.runner.env_runs == plain.runner.env_runs + 2  # one more run for each
        runs = kept.runner.env_runs
        made = {id(history): _made(history, before_revision, after_revision) for history in (plain, kept, ended)}
        assert kept.runner.env_runs == runs  # plain copies of the kept states: nothing replayed
        assert made[id(kept)] == made[id(plain)] == made[id(ended)]  # plain's replayed from a checkpoint
    finally:
        for history in (plain, kept, ended):
            history.close()


ENV_CHANGES = {
    # one transaction for the whole run (uncommitted changes are not in the file between steps)
    "one_transaction": ("connection=connection, target_metadata=target_metadata",
                        "connection=connection, target_metadata=target_metadata, transactional_ddl=True"),
    # commits stay in the -wal file until a checkpoint
    "write_ahead_log": ("def do_run_migrations(connection) -> None:\n",
                        "def do_run_migrations(connection) -> None:\n"
                        "    connection.exec_driver_sql('PRAGMA journal_mode=WAL')\n"),
}


@pytest.mark.parametrize("change", sorted(ENV_CHANGES))
def test_a_state_that_cannot_be_copied_mid_run_is_made_on_demand(change, tmp_path):
    root = _copy(DEMO, tmp_path)
    env = root / "migrations" / "env.py"
    old, new = ENV_CHANGES[change]
    assert old in env.read_text()
    env.write_text(env.read_text().replace(old, new, 1))
    plain, kept, ended, before_revision, after_revision = _histories(root, tmp_path, 3, 5)
    try:
        for history in (plain, kept):
            history.build()
        runs = kept.runner.env_runs
        assert runs == plain.runner.env_runs
        made = [_made(history, before_revision, after_revision) for history in (plain, kept)]
        assert kept.runner.env_runs == runs + 2  # no copy was made: each state replayed from a checkpoint
        assert made[0] == made[1]
    finally:
        for history in (plain, kept, ended):
            history.close()
