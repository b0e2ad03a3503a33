"""Reading a database without the plugin: what suites written for pytest-alembic call
(``localmig generate --style pytest-alembic``), on the Engine or Connection of its ``alembic_engine``.

The schema and rows are read exactly as the plugin reads them, so the expected values localmig
measured hold in either style.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from .rows import read_rows, row_table
from .snapshot import Snapshot
from .views import SchemaView

VERSION_TABLE = "alembic_version"


@contextmanager
def _reading(bind: sa.Engine | sa.Connection) -> Iterator[sa.Connection]:
    """A connection to read through; a transaction this opened on a handed-over Connection is
    ended, so that env.py's own connections to the same SQLite file are not locked out."""
    if isinstance(bind, sa.Engine):
        with bind.connect() as connection:
            yield connection
        return
    was_open = bind.in_transaction()
    try:
        yield bind
    finally:
        if not was_open and bind.in_transaction():
            bind.rollback()


def schema_of(bind: sa.Engine | sa.Connection, version_table: str = VERSION_TABLE) -> SchemaView:
    """A :class:`SchemaView` of the database now (the version table left out)."""
    with _reading(bind) as connection:
        return Snapshot.take(connection, skip=[f"table:{version_table}"]).view()


def rows(bind: sa.Engine | sa.Connection, table: str, *, without: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Every row of ``[schema.]table`` as dicts, in the plugin's order (see :func:`read_rows`)."""
    with _reading(bind) as connection:
        return read_rows(connection, row_table(connection, table), without)


def execute(bind: sa.Engine | sa.Connection, statement: str,
            parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run one SQL statement and commit; its rows, if any, as dicts."""
    if isinstance(bind, sa.Engine):
        with bind.begin() as connection:
            result = connection.execute(sa.text(statement), parameters or {})
            return [dict(row) for row in result.mappings()] if result.returns_rows else []
    result = bind.execute(sa.text(statement), parameters or {})
    found = [dict(row) for row in result.mappings()] if result.returns_rows else []
    bind.commit()
    return found
