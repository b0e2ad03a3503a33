"""The errors the runtime raises."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager


class HarnessError(RuntimeError):
    """Base of the errors raised by the harness."""


class EnvironmentIgnoresURL(HarnessError):
    """env.py connected to a database other than the scratch one it was given."""


class MigrationFailed(HarnessError):
    """A revision's upgrade or downgrade raised; the message says which and why."""


class InitialSchemaError(HarnessError):
    """An --initial-schema that cannot be imported, is of the wrong kind, or failed on the scratch database."""


class ScratchFull(HarnessError):
    """The scratch databases' disk ran out of space (or quota): the machine's limit, never a migration's failure."""


FULL_MARK = "the scratch space is full"  # the start of every ScratchFull message (localmig looks for it in reports)
SCRATCH_DIR_ENV = "LOCALMIG_SCRATCH_DIR"  # where the SQLite scratch folders go, if set
_OUT_OF_SPACE = (errno.ENOSPC, errno.EDQUOT)
_SQLITE_FULL = 13  # sqlite3.SQLITE_FULL: "database or disk is full"
_POSTGRES_DISK_FULL = "53100"  # SQLSTATE disk_full


def as_scratch_full(error: BaseException, where: str, *, server: bool = False) -> ScratchFull | None:
    """A :class:`ScratchFull` for ``error`` when it or what caused it says the space ran out (ENOSPC or
    EDQUOT, SQLite's SQLITE_FULL, PostgreSQL's disk_full), else None. ``where``: the folder, or with
    ``server`` the database server, the scratch databases are on."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if ((isinstance(current, OSError) and current.errno in _OUT_OF_SPACE)
                or getattr(current, "sqlite_errorcode", None) == _SQLITE_FULL
                or getattr(current, "sqlstate", None) == _POSTGRES_DISK_FULL):
            text = str(current).strip()
            reason = text.splitlines()[0] if text else type(current).__name__
            hint = ("free disk space on that server" if server else
                    f"free space there, or set {SCRATCH_DIR_ENV} to a folder with more room")
            return ScratchFull(f"{FULL_MARK} ({where}): {reason}; {hint}")
        pending += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return None


@contextmanager
def scratch_space(where: str, *, server: bool = False) -> Iterator[None]:
    """Raise :class:`ScratchFull` for an error of the block that says the space ran out (see
    :func:`as_scratch_full`); any other error passes unchanged."""
    try:
        yield
    except HarnessError:
        raise
    except Exception as error:
        full = as_scratch_full(error, where, server=server)
        if full is None:
            raise
        raise full from error
