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
    CHECKPOINT_EVERY revisions only, with the same results as the full walk (test_walk_in_build.py:
    the downgrades SQLite runs during the build)."""
    config = load(generated_demo).config()
    full = MigrationHistory(config, folder=str(tmp_path / "full"))
    blocks = MigrationHistory(load(generated_demo).config(), folder=str(tmp_path / "blocks"), walk_in_blocks=True)
    full.WALK_IN_BUILD = blocks.WALK_IN_BUILD = False  # the walk itself (what PostgreSQL and rows-changing revisions get)
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


def _by_worker(result: pytest.RunResult) -> dict[str, list[tuple[str, str]]]:
    """xdist's ``-v`` lines (``[gw0] [ 5%] PASSED path::test``): per worker, (test, outcome) in the order it ran them."""
    ran: dict[str, list[tuple[str, str]]] = {}
    for line in result.outlines:
        parts = line.split()
        if not parts or not parts[0].startswith("[gw"):
            continue
        for position, part in enumerate(parts[:-1]):
            if part in ("PASSED", "FAILED", "ERROR") and "::" in parts[position + 1]:
                ran.setdefault(parts[0].strip("[]"), []).append((parts[position + 1], part))
                break
    return ran


def test_xdist_workers_start_on_contiguous_runs_of_the_history(pytester, generated_demo):
    """Under -n 2 a session holding a suite is scheduled by work stealing: each worker first gets one
    contiguous run of the collection (the suite in history order), so one starts at the first revision and
    the other half-way; every test runs once, with the outcome it has without xdist."""
    into(pytester, generated_demo)
    add_user_tests(pytester)
    alone = outcomes(run(pytester, "tests", "-v"))
    history = [test for test in alone if test.startswith("tests/migrations/")]
    result = run(pytester, "tests", "-v", "-n", "2", plugins=("pytest_localmig.plugin", "xdist.plugin"))
    assert "scheduling tests via HistoryScheduling" in result.stdout.str()
    ran = _by_worker(result)
    assert sorted(ran) == ["gw0", "gw1"]
    assert dict(pair for tests in ran.values() for pair in tests) == alone  # each once, as without xdist
    assert sum(len(tests) for tests in ran.values()) == len(alone)
    starts = sorted(history.index(next(test for test, _ in tests if test in history)) for tests in ran.values())
    assert starts[0] == 0 and len(history) // 3 <= starts[1] <= 2 * len(history) // 3, starts


def test_xdist_runs_every_test_of_a_session_without_a_suite(pytester):
    """A session with no generated suite (the scheduler hands it to xdist's load scheduling) runs each test once."""
    add_user_tests(pytester)
    result = run(pytester, "tests", "-v", "-n", "2", plugins=("pytest_localmig.plugin", "xdist.plugin"))
    assert sum(len(tests) for tests in _by_worker(result).values()) == 5
    result.assert_outcomes(passed=4, failed=1)


def test_a_suite_is_recognised_by_its_conftest_without_importing_it(tmp_path):
    from pytest_localmig.scheduling import holds_suite

    (tmp_path / "suite" / "deeper").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    (tmp_path / "suite" / "conftest.py").write_text("import sys\nsys.exit('never imported')\nLOCALMIG_SUITE = {}\n")
    (tmp_path / "other" / "conftest.py").write_text("# LOCALMIG_SUITE = {}\nNOT_LOCALMIG_SUITE = 'LOCALMIG_SUITE'\n")
    assert holds_suite(["suite/deeper/test_x.py::test_a"], tmp_path)
    assert holds_suite(["../suite/test_y.py::test_b"], tmp_path / "other")  # node ids may leave the root
    assert not holds_suite(["other/test_z.py::test_c", "test_top.py::test_d"], tmp_path)
