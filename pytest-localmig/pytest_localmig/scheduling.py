"""Spreading a generated suite over pytest-xdist workers: contiguous runs of the history, then work stealing.

Under pytest-xdist's default ``--dist load`` every worker gets tests of every revision, so every
worker builds the whole history and walks most of its downgrades. When the collection holds a
generated suite, :class:`HistoryScheduling` (what ``--dist load``, the default of ``-n``, becomes)
hands the tests out as xdist's ``--dist worksteal`` does: each worker first gets one contiguous
run of the collection (the suites' tests are in history order; the first workers get longer runs,
see :func:`front_loaded_shares`), and a worker that runs out takes the last half of the pending
tests of the busiest one. So a worker builds the history only up to the end of what it runs and
walks only its own blocks of downgrades, and whatever the estimate missed still ends up shared. A collection without a
generated suite is scheduled exactly as ``--dist load`` would; any other ``--dist`` is xdist's.

The controller imports no conftest: a test module belongs to a suite when the nearest
``conftest.py`` above it assigns ``LOCALMIG_SUITE``.
"""

from __future__ import annotations

import ast
import math
import os
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScheduling, WorkStealingScheduling
from xdist.scheduler.worksteal import MIN_PENDING

from .settings import SETTINGS_NAME


def declares_suite(conftest: Path) -> bool:
    """Whether ``conftest`` assigns ``LOCALMIG_SUITE`` at module level (read, not imported)."""
    try:
        tree = ast.parse(conftest.read_bytes(), str(conftest))
    except (OSError, SyntaxError, ValueError):
        return False
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(target, ast.Name) and target.id == SETTINGS_NAME for target in targets):
            return True
    return False


class SuiteFolders:
    """The suite folder (if any) of each test module of a collection, found from the file system."""

    def __init__(self, root: Path) -> None:
        self.root = root  # what node ids are relative to (they may start with ../)
        self._declares: dict[Path, bool] = {}

    def of(self, nodeid: str) -> Path | None:
        module = Path(os.path.normpath(self.root / nodeid.split("::", 1)[0]))
        for folder in module.parents:  # the nearest conftest.py that declares a suite
            if folder not in self._declares:
                conftest = folder / "conftest.py"
                self._declares[folder] = conftest.is_file() and declares_suite(conftest)
            if self._declares[folder]:
                return folder
        return None


def holds_suite(collection: list[str], root: Path) -> bool:
    """Whether a test of ``collection`` (node ids, relative to ``root``) belongs to a generated suite."""
    folders = SuiteFolders(root)
    modules = {nodeid.split("::", 1)[0] for nodeid in collection}
    return any(folders.of(module) is not None for module in modules)


GROWTH = 5  # the cost of a test at the end of the history over one at its start, as scheduling assumes


def front_loaded_shares(count: int, workers: int) -> list[int]:
    """How many of ``count`` tests (in history order) each worker gets first: equal shares of a cost per
    test growing linearly from 1 at the first to :data:`GROWTH` at the last (a later revision's steps work
    on a larger schema, and a later worker first builds the history up to its run). The first workers get
    more, so a later one runs out first and takes work from before its run, whose states it has, instead
    of the reverse. (At 1,000 synthetic revisions, equal halves cost 80 and 135 CPU seconds.)"""
    slope = (GROWTH - 1) / 2  # the cost of the first x of the history is x + slope * x**2
    total = 1 + slope
    ends = [round(count * (math.sqrt(1 + 4 * slope * total * share / workers) - 1) / (2 * slope))
            for share in range(1, workers + 1)]
    return [end - start for start, end in zip([0, *ends], ends)]


STEAL_REACH = 10  # a worker takes n tests only if they lie at most n * STEAL_REACH tests past its last one


class HistoryStealing(WorkStealingScheduling):
    """xdist's work stealing, with the first runs handed out by :func:`front_loaded_shares`, and no steal of
    a few tests far ahead of the idle worker: to run them it would first build the history up to them (at
    1,000 revisions the first worker took the last 2 tests and built the 330 revisions before them)."""

    collection: list[str] | None

    def __init__(self, config: pytest.Config, log: Any) -> None:
        super().__init__(config, log)
        self.last_sent: dict[Any, int] = {}  # worker -> the furthest test (index in the collection) it was given

    def _send_tests(self, node: Any, num: int) -> None:
        if self.pending[:num]:
            self.last_sent[node] = max(self.last_sent.get(node, -1), *self.pending[:num])
        super()._send_tests(node, num)

    def check_schedule(self) -> None:
        if not self.pending and self.steal_requested_from_node is None and self._far_steal():
            for node, pending in self.node2pending.items():
                if len(pending) < MIN_PENDING and not node.shutting_down:
                    node.shutdown()  # it runs what it has and stops; the busy one finishes the rest
            return
        super().check_schedule()

    def _far_steal(self) -> bool:
        """Whether the steal xdist would now make (the last half of the longest queue, to an idle worker)
        takes few tests far past what the idle worker has run."""
        working = {node: pending for node, pending in self.node2pending.items() if not node.shutting_down}
        idle = [node for node, pending in working.items() if len(pending) < MIN_PENDING]
        if not idle or not working:
            return False
        victim = max(working.values(), key=len)
        count = min(len(victim) // 2, max(0, len(victim) - MIN_PENDING))
        if not count:
            return False
        reach = victim[-count] - max(self.last_sent.get(node, -1) for node in idle)
        return reach > count * STEAL_REACH

    def schedule(self) -> None:
        if self.collection is None and self.node2collection:
            collection = next(iter(self.node2collection.values()))
            if collection and self._check_nodes_have_same_collection():
                self.collection = collection
                self.pending[:] = range(len(collection))
                for node, share in zip(self.nodes, front_loaded_shares(len(collection), len(self.nodes))):
                    self._send_tests(node, share)
        super().schedule()  # the rest is xdist's: steal when a worker runs out


class HistoryScheduling:
    """xdist's load scheduling until the collection is known; work stealing if that holds a suite."""

    def __init__(self, config: pytest.Config, log: Any) -> None:
        self.config = config
        self.log = log
        self.scheduler: Any = LoadScheduling(config, log)  # every call but schedule() goes to it

    def __getattr__(self, name: str) -> Any:
        return getattr(self.scheduler, name)

    def schedule(self) -> None:
        loading = self.scheduler
        if isinstance(loading, LoadScheduling) and loading.collection is None and loading.node2collection:
            collection = next(iter(loading.node2collection.values()))
            if holds_suite(collection, self.config.rootpath):
                stealing = HistoryStealing(self.config, self.log)
                stealing.node2pending = loading.node2pending  # the workers added so far and their collections
                stealing.node2collection = loading.node2collection
                self.scheduler = stealing
        self.scheduler.schedule()


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> HistoryScheduling | None:
    """Take over ``--dist load`` (the default of ``-n``); any other ``--dist`` stays xdist's."""
    if config.getvalue("dist") != "load":
        return None
    return HistoryScheduling(config, log)
