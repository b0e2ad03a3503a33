"""Putting files on disk: atomically, with the user's umask, never over a hand-edited file unless forced."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .items import WriteResult
from .render import file_status


def write_file(path: Path, text: str, *, force: bool = False, dry_run: bool = False) -> WriteResult:
    """Write ``text`` to ``path`` unless it is already there or the file was edited by hand."""
    shown = os.path.relpath(path, Path.cwd())
    if path.exists() and path.read_text(encoding="utf-8", errors="replace") == text:
        return WriteResult(path=shown, action="unchanged")
    if path.name.endswith(".py") and file_status(path) in ("hand_edited", "not_generated") and not force:
        return WriteResult(path=shown, action="kept_hand_edited")
    if dry_run:
        return WriteResult(path=shown, action="dry_run")
    atomic_write(path, text)
    return WriteResult(path=shown, action="written")


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
