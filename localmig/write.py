"""Putting files on disk: atomically, with the user's umask, never over a hand-edited file unless forced.

A file is written to a temporary file beside it (``.<name>.localmig-<pid>-<random>.tmp``) and
moved over the target, so a reader never sees half a file. A run that was killed leaves its
temporary file behind; the next run that writes into that folder removes the temporary files
of processes that are gone (only files matching that pattern). Failures to write (read-only
folder, a file where a folder is needed, full disk) are :class:`OutputError` with the path.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import OutputError
from .items import WriteResult
from .render import file_status

TEMPORARY = re.compile(r"^\..+\.localmig-(?P<pid>\d+)-[A-Za-z0-9_]+\.tmp$")
_swept: set[Path] = set()  # folders whose stale temporary files this process removed already


def write_file(path: Path, text: str, *, force: bool = False, dry_run: bool = False) -> WriteResult:
    """Write ``text`` to ``path`` unless it is already there or the file was edited by hand."""
    shown = os.path.relpath(path, Path.cwd())
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder", hint="remove it or choose another path")
    if path.is_file() and path.read_text(encoding="utf-8", errors="replace") == text:
        return WriteResult(path=shown, action="unchanged")
    if path.name.endswith(".py") and file_status(path) in ("hand_edited", "not_generated") and not force:
        return WriteResult(path=shown, action="kept_hand_edited")
    if dry_run:
        return WriteResult(path=shown, action="dry_run")
    atomic_write(path, text)
    return WriteResult(path=shown, action="written")


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader never sees half a file; the file gets the mode
    a plain ``open()`` would give it (0o666 less the umask). A symlink is written through (its
    target is replaced, the link stays); a device, FIFO or socket is refused, never replaced."""
    path = Path(os.path.realpath(path))
    if path.exists() and not path.is_file() and not path.is_dir():
        raise OutputError(f"cannot write {path}: it is not a regular file (a device, FIFO or socket)",
                          hint="give the path of a regular file")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _output_error(folder, error) from None
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder", hint="remove it or choose another path")
    remove_stale_temporaries(folder)
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.localmig-{os.getpid()}-", suffix=".tmp")
    except OSError as error:
        raise _output_error(folder, error) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fchmod(stream.fileno(), _mode_for(path))
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        if os.path.exists(temporary):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise _output_error(path, error) from None
        raise


def _mode_for(path: Path) -> int:
    """What ``open()`` makes under the current umask (``mkstemp`` makes 0600)."""
    return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process's umask, read without changing it where the system tells it (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for entry in status:
                if entry.startswith("Umask:"):
                    return int(entry.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)  # elsewhere: read it by setting it (briefly), then put it back
    os.umask(umask)
    return umask


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files that a killed localmig run left in ``folder`` (once per process
    and folder); a file whose process still runs is another run's, and stays."""
    folder = Path(os.path.realpath(folder))
    if folder in _swept:
        return []
    _swept.add(folder)
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        match = TEMPORARY.match(name)
        if match is None or _running(int(match.group("pid"))):
            continue
        try:
            os.unlink(folder / name)
            removed.append(folder / name)
        except OSError:
            pass
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process writes one file at a time: a leftover of its own is stale
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_suite_folder(out: Path, version_folders: Iterable[Path]) -> Path:
    """``out`` as a usable suite folder, or an OutputError before any work is done: not a file,
    not inside a folder of revision files (Alembic would load the tests as revisions). A folder
    that cannot be written is an OutputError when the first file is written."""
    out = Path(os.path.realpath(out))
    for folder in version_folders:
        versions = Path(os.path.realpath(folder))
        if out == versions or versions in out.parents:
            raise OutputError(
                f"--out {out} is inside the versions folder {versions}: Alembic would load the test files as "
                "revisions",
                hint="put the suite elsewhere, e.g. tests/migrations (the default)",
            )
    existing = next((p for p in (out, *out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise OutputError(f"--out {out}: {existing} is a file, not a folder",
                          hint="give a folder for the suite (it is created if it does not exist)")
    return out


def _output_error(path: Path, error: OSError) -> OutputError:
    reason = error.strerror or str(error)
    hint = {
        errno.EACCES: "choose another --out (or --report), or change the folder's permissions",
        errno.EPERM: "choose another --out (or --report), or change the folder's permissions or attributes",
        errno.EROFS: "the file system is read-only: choose another --out (or --report)",
        errno.ENOSPC: "the disk is full: free some space and run again (finished files are kept)",
        errno.EEXIST: "a file is in the way where a folder is needed: remove it or choose another path",
        errno.ENOTDIR: "a file is in the way where a folder is needed: remove it or choose another path",
    }.get(error.errno or 0, "check the path and its permissions")
    where = f"into {path}" if path.is_dir() else str(path)
    return OutputError(f"cannot write {where}: {reason}", hint=hint)
