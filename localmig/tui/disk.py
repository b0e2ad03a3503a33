"""Following the suite folder on disk: the list shows what is there now, edited by hand or not.

The app looks at the folder's listing every second (cheap: one ``scandir``) and reads the files
again, on a thread, only when a name, size or time changed.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..render import FileStatus, file_status
from .facts import ProjectFacts

Signature = tuple[tuple[str, int, int], ...]


def suite_signature(folder: Path) -> Signature:
    """Names, sizes and modification times of the Python files in ``folder`` (empty if it does not exist)."""
    try:
        with os.scandir(folder) as entries:
            found = []
            for entry in entries:
                if entry.name.endswith(".py") and entry.is_file():
                    stat = entry.stat()
                    found.append((entry.name, stat.st_size, stat.st_mtime_ns))
    except OSError:
        return ()
    return tuple(sorted(found))


def read_statuses(facts: ProjectFacts) -> dict[str, FileStatus]:
    """Every revision's test file status as it is on disk now."""
    statuses: dict[str, FileStatus] = {}
    for revision in facts.revisions:
        try:
            statuses[revision.id] = file_status(facts.target(revision), revision)
        except OSError:  # unreadable: shown as missing until it can be read
            statuses[revision.id] = "missing"
    return statuses
