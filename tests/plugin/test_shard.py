"""``--migration-shard I/N``: a generated suite cut over CI machines, and xdist workers that walk only their blocks.

The shards run as CI runs them (pytest in a subprocess on the generated demo suite, pytester's folder
as the repository root); the block walk is checked on the runtime itself against a full walk.
"""

from __future__ import annotations

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from pytest_localmig import MigrationHistory, topological_order

from localmig.project import load

from .conftest import into, outcomes
from .test_plugin import add_user_tests, run


def test_shards_partition_the_suite_in_history_order_and_each_runs_as_in_the_whole(pytester, generated_demo):
    into(pytester, generated_demo)
    add_user_tests(pytester)
    whole = outcomes(run(pytester, "tests", "-v", "-p", "no:randomly"))
    suite = {test for test in whole if test.startswith("tests/migrations/")}
    assert len(suite) == 57
    history = topological_order(ScriptDirectory.from_config(Config(str(pytester.path / "alembic.ini"))))
    shards = []
    for index in (1, 2, 3):
        result = run(pytester, "tests", "-v", "-p", "no:randomly", "--migration-shard", f"{index}/3")
        found = outcomes(result)
        assert f"{len(whole) - len(found)} deselected" in result.stdout.str()
        # the user's own tests are left alone: every shard runs them
        assert {test for test in found if not test.startswith("tests/migrations/")} == set(whole) - suite
        ran = {test: outcome for test, outcome in found.items() if test in suite}
        assert all(outcome == whole[test] for test, outcome in ran.items()), ran  # as in the whole run
        shards.append(ran)
    assert set().union(*shards) == suite
    assert sum(len(shard) for shard in shards) == len(suite)  # disjoint
    assert all(12 <= len(shard) <= 26 for shard in shards), [len(shard) for shard in shards]  # balanced
    # contiguous runs of whole revisions: every revision of shard 1 comes before every one of shard 2, ...
    ranks = [sorted({history.index(test.split("/")[-1].split("_")[1]) for test in shard}) for shard in shards]
    assert ranks[0][-1] < ranks[1][0] and ranks[1][-1] < ranks[2][0], ranks


@pytest.mark.parametrize("value", ["0/2", "3/2", "two/3", "1-2"])
def test_a_malformed_shard_is_a_usage_error(pytester, generated_demo, value):
    into(pytester, generated_demo)
    result = run(pytester, "tests", "--migration-shard", value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"--migration-shard {value}: expected I/N with 1 <= I <= N" in result.stderr.str()


def test_a_shard_under_xdist_runs_the_same_tests(pytester, generated_demo):
    into(pytester, generated_demo)
    alone = outcomes(run(pytester, "tests/migrations", "-v", "-p", "no:randomly", "--migration-shard", "2/2"))
    result = run(pytester, "tests/migrations", "-n", "2", "--migration-shard", "2/2",
                 plugins=("pytest_localmig.plugin", "xdist.plugin"))
    counts = result.parseoutcomes()
    assert counts.get("passed", 0) + counts.get("failed", 0) == len(alone)
    assert counts.get("failed", 0) == sum(outcome == "FAILED" for outcome in alone.values())


def test_a_worker_walks_only_the_blocks_its_tests_ask_for(generated_demo, tmp_path):
    """walk_in_blocks (what an xdist worker uses): one revision's downgrade walks its block of
    CHECKPOINT_EVERY revisions only, with the same results as the full walk."""
    config = load(generated_demo).config()
    full = MigrationHistory(config, folder=str(tmp_path / "full"))
    blocks = MigrationHistory(load(generated_demo).config(), folder=str(tmp_path / "blocks"), walk_in_blocks=True)
    try:
        full.walk_downgrades()
        first = blocks.order[0]
        blocks.schema_after_downgrade(first)
        size = MigrationHistory.CHECKPOINT_EVERY
        walked = set(blocks._downgraded) | set(blocks.downgrade_errors)
        assert first in walked and walked <= set(blocks.applied[:size]) and blocks.blocks_walked == 1
        for revision in blocks.applied:
            try:
                assert blocks.schema_after_downgrade(revision).objects == full.schema_after_downgrade(revision).objects
            except Exception as error:  # the demo's broken downgrade fails the same way in both
                assert type(error).__name__ == "MigrationFailed"
                assert blocks.downgrade_errors[revision] == full.downgrade_errors[revision]
        assert blocks.blocks_walked == -(-len(blocks.applied) // size)  # each block once
    finally:
        full.close()
        blocks.close()
