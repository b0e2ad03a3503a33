"""The runner's downgrade step answers what Alembic's own would, without walking the history."""

from __future__ import annotations

import itertools

import pytest
from alembic.runtime.migration import RevisionStep
from pytest_localmig.runner import Downgrade, MigrationRunner

from localmig.project import load
from tests.conftest import SCENARIOS

SHAPES = ["linear", "branch_merge", "several_heads", "labels_depends_on", "odd_revision_ids"]


@pytest.mark.parametrize("shape", SHAPES)
def test_the_downgrade_step_unmerges_to_what_alembic_unmerges_to_for_every_revision_and_heads(shape: str) -> None:
    runner = MigrationRunner(load(SCENARIOS / shape).config())
    revision_map = runner.script.revision_map
    compared = 0
    for revision in runner.order:
        script = runner.script.get_revision(revision)
        others = [other for other in runner.order if other != revision]
        # the revision alone as head, and beside any one or two other revisions
        for extra in itertools.chain([()], ((o,) for o in others), itertools.combinations(others, 2)):
            heads = {revision, *extra}
            ours = Downgrade(revision_map, script, False)._unmerge_to_revisions(heads)
            alembic = RevisionStep(revision_map, script, False)._unmerge_to_revisions(heads)
            assert sorted(ours) == sorted(alembic), (revision, heads)
            compared += 1
    assert compared > len(runner.order)


def test_the_runner_builds_its_downgrades_as_that_step_and_its_upgrades_as_alembic_does() -> None:
    runner = MigrationRunner(load(SCENARIOS / "branch_merge").config())
    revision = runner.order[-1]
    assert type(runner.step(revision, upgrade=False)) is Downgrade
    upgrade = runner.step(revision, upgrade=True)
    assert type(upgrade) is RevisionStep and upgrade.is_upgrade


def test_a_linear_downgrade_reads_no_ancestor_of_its_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = MigrationRunner(load(SCENARIOS / "linear").config())
    revision_map = runner.script.revision_map
    walked: list[object] = []
    original = type(revision_map)._get_ancestor_nodes
    monkeypatch.setattr(type(revision_map), "_get_ancestor_nodes",
                        lambda self, *a, **k: walked.append(a) or original(self, *a, **k))
    head = runner.order[-1]
    step = Downgrade(revision_map, runner.script.get_revision(head), False)
    assert not step.should_delete_branch({head})
    assert walked == []
    RevisionStep(revision_map, runner.script.get_revision(head), False).should_delete_branch({head})
    assert walked  # Alembic's own step walks them: the test above could fail
