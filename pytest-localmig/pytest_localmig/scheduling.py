"""Spreading a generated suite over pytest-xdist workers: contiguous runs of the history, then work stealing.

Under pytest-xdist's default ``--dist load`` every worker gets tests of every revision, so every
worker builds the whole history and walks most of its downgrades. When the collection holds a
generated suite, :class:`HistoryScheduling` (what ``--dist load``, the default of ``-n``, becomes)
hands the tests out as xdist's ``--dist worksteal`` does: each worker first gets one contiguous
run of the collection (the suites' tests are in history order), and a worker that runs out takes
the last half of the pending tests of the busiest one. So a worker builds the history only up to
the end of what it runs and walks only its own blocks of downgrades, and the later, costlier
revisions (a larger schema makes every step slower) still end up shared. A collection without a
generated suite is scheduled exactly as ``--dist load`` would; any other ``--dist`` is xdist's.

The controller imports no conftest: a test module belongs to a suite when the nearest
``conftest.py`` above it assigns ``LOCALMIG_SUITE``.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScheduling, WorkStealingScheduling

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


class HistoryScheduling:
    """xdist's load scheduling until the collection is known; its work stealing if that holds a suite."""

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
                stealing = WorkStealingScheduling(self.config, self.log)
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
