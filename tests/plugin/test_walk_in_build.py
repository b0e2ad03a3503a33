"""Downgrades and round trips run during the build (SQLite, with round trips): the same results as
the walk, one downgrade fewer per revision, and templates with the schema and rows a plain upgrade leaves."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_localmig import MigrationFailed, MigrationHistory, Snapshot

from localmig.project import load
from tests.conftest import DEMO, SCENARIOS

PROJECTS = [DEMO, *(SCENARIOS / name for name in (
    "linear", "branch_merge", "downgrade_leaves_table", "failing_downgrade", "round_trip_fails", "data_migration",
    "batch_sqlite", "orm_session_data", "module_state", "pass_downgrade"))]


def _history(project: Path, folder: Path, *, in_build: bool) -> MigrationHistory:
    history = MigrationHistory(load(project).config(), folder=str(folder))
    history.WALK_IN_BUILD = in_build
    return history


def _outcome(read, revision: str):
    try:
        return read(revision).objects
    except MigrationFailed as error:
        return f"failed: {error}"


def _state(history: MigrationHistory, revision: str) -> tuple[dict, list[str]]:
    """The schema (reflected afresh) and every row of the database right after ``revision``.
    Not sqlite_master's text: SQLite rewrites a table's CREATE statement on DROP COLUMN (it quotes
    the name), so a table dropped a column of and given it back reads the same but is spelled otherwise."""
    database = history.database_after(revision)
    try:
        engine = sa.create_engine(database.url, poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            schema = Snapshot.take(connection).objects
        engine.dispose()
        path = database.url.database
        assert path
        with sqlite3.connect(path) as connection:
            rows = sorted(line for line in connection.iterdump() if line.startswith("INSERT"))
        return schema, rows
    finally:
        history.discard(database)


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_downgrades_run_in_the_build_give_what_the_walk_gives(project: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(project, root)
    in_build = _history(root, tmp_path / "in_build", in_build=True)
    walked = _history(root, tmp_path / "walked", in_build=False)
    try:
        for history in (in_build, walked):
            history.walk_downgrades()
        assert in_build.applied == walked.applied and in_build.upgrade_errors == walked.upgrade_errors
        for revision in walked.applied:
            for kind in ("schema_after_downgrade", "schema_after_round_trip"):
                assert _outcome(getattr(in_build, kind), revision) == _outcome(getattr(walked, kind), revision), \
                    (kind, revision)
            assert _state(in_build, revision) == _state(walked, revision), revision
        assert in_build.downgrade_errors == walked.downgrade_errors
        assert in_build.round_trip_errors == walked.round_trip_errors
    finally:
        in_build.close()
        walked.close()


def test_a_revision_whose_steps_change_only_the_version_row_runs_its_downgrade_once(tmp_path: Path) -> None:
    in_build = _history(SCENARIOS / "linear", tmp_path / "in_build", in_build=True)
    walked = _history(SCENARIOS / "linear", tmp_path / "walked", in_build=False)
    try:
        for history in (in_build, walked):
            history.walk_downgrades()
        for revision in in_build.applied:
            assert in_build.runner.step_runs[f"downgrade {revision}"] == 1
            assert in_build.runner.step_runs[f"upgrade {revision}"] == 2
            assert walked.runner.step_runs[f"downgrade {revision}"] == 2  # down, up, down in the walk
        assert in_build.runner.env_runs < walked.runner.env_runs
    finally:
        in_build.close()
        walked.close()


def test_a_revision_that_changes_rows_is_left_to_the_walk(tmp_path: Path) -> None:
    """The demo's backfill inserts rows: down and up again here could leave other rows than its
    upgrade does, so its downgrade runs in the walk, from a template built by upgrades only."""
    history = _history(DEMO, tmp_path / "h", in_build=True)
    try:
        history.build()
        backfill = next(r for r in history.applied if "backfill" in
                        (history.runner.script.get_revision(r).doc or ""))
        assert backfill not in history._downgraded
        assert history.runner.step_runs[f"downgrade {backfill}"] == 0
        assert history.runner.step_runs[f"downgrade {history.applied[0]}"] == 1
        history.schema_after_round_trip(backfill)
        assert history.runner.step_runs[f"downgrade {backfill}"] == 2
    finally:
        history.close()


def test_no_downgrade_runs_in_the_build_without_round_trips_or_for_revisions_no_test_needs(tmp_path: Path) -> None:
    config = load(SCENARIOS / "linear").config()
    plain = MigrationHistory(config, folder=str(tmp_path / "plain"), round_trips=False)
    order = plain.order
    some = MigrationHistory(load(SCENARIOS / "linear").config(), folder=str(tmp_path / "some"), needed=order[:1])
    try:
        plain.build()
        some.build()
        assert not any(plain.runner.step_runs[f"downgrade {r}"] for r in order)
        assert [r for r in order if some.runner.step_runs[f"downgrade {r}"]] == order[:1]
    finally:
        plain.close()
        some.close()


def test_walking_as_the_tests_come_a_build_far_ahead_walks_in_place_only_near_the_state_asked_for(tmp_path: Path) -> None:
    """An xdist worker collects every test and runs a part: the history before its first test is
    built by upgrades alone (one step per revision), the downgrades there wait for the block walk."""
    history = MigrationHistory(load(DEMO).config(), folder=str(tmp_path / "h"), walk_in_blocks=True)
    history.KEEP_REACH = 2
    try:
        order = history.order
        history.build(order[-1])
        walked = [r for r in order if history.runner.step_runs[f"downgrade {r}"]]
        assert walked and set(walked) <= set(order[-3:])
        first = order[0]
        history.schema_after_downgrade(first)  # the block walk still gives the rest
        assert history.runner.step_runs[f"downgrade {first}"] >= 1
    finally:
        history.close()
