"""One scratch database, as generated tests use it: run a revision on it, read its schema, seed and read rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from .errors import scratch_space
from .plain import execute, schema_of
from .reflection import qualified, user_schemas
from .rows import read_rows, row_table
from .runner import MigrationRunner
from .snapshot import table_fingerprint
from .urls import reusing_engine, scratch_place
from .views import SchemaView


class Database:
    """One scratch database: run a revision on it, read its schema, seed and read rows."""

    def __init__(self, runner: MigrationRunner, url: sa.URL, name: str = "") -> None:
        self.runner = runner
        self.url = url
        self.name = name
        self.place = scratch_place(url)  # where it lives, in words, and whether on a server (for ScratchFull)
        self.engine = reusing_engine(url)
        self._tables: dict[str, sa.Table] = {}  # reflected for rows; forgotten when the schema may change

    def _schema_may_change(self) -> None:
        self._tables.clear()

    def upgrade(self, revision: str) -> None:
        """Run the upgrade of ``revision`` on this database."""
        self._schema_may_change()
        self.runner.upgrade(self.url, revision, engine=self.engine)

    def downgrade(self, revision: str) -> None:
        """Run the downgrade of ``revision`` on this database."""
        self._schema_may_change()
        self.runner.downgrade(self.url, revision, engine=self.engine)

    def schema(self) -> SchemaView:
        return schema_of(self.engine, self.runner.version_table)

    def tables(self) -> set[str]:
        """The names of the tables now in the database (cheaper than :meth:`schema`)."""
        with self.engine.connect() as connection:
            inspector = sa.inspect(connection)
            names = {qualified(t, s) for s in user_schemas(inspector) for t in inspector.get_table_names(schema=s)}
        return names - {self.runner.version_table}

    def _table(self, connection: sa.Connection, table: str) -> sa.Table:
        """The table's columns and primary key (all a row needs), reflected in two queries,
        or taken from another database of the session where the table had the same definition."""
        if table in self._tables:
            return self._tables[table]
        definition = table_fingerprint(connection, table)
        shared = self.runner.row_tables.get((table, definition)) if definition else None
        if shared is None:
            shared = row_table(connection, table)
            if definition:
                self.runner.row_tables[(table, definition)] = shared
        self._tables[table] = shared
        return shared

    def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert rows (dicts of column values) into ``[schema.]table`` and commit."""
        where, server = self.place
        with scratch_space(where, server=server), self.engine.begin() as connection:
            target = self._table(connection, table)
            for row in rows:
                connection.execute(sa.insert(target).values(**row))

    def rows(self, table: str, *, without: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Every row of ``[schema.]table`` as dicts (see :func:`read_rows`)."""
        with self.engine.connect() as connection:
            return read_rows(connection, self._table(connection, table), without)

    def execute(self, statement: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one SQL statement in its own transaction; return its rows, if any, as dicts."""
        self._schema_may_change()
        where, server = self.place
        with scratch_space(where, server=server):
            return execute(self.engine, statement, parameters)

    def dispose(self) -> None:
        self.engine.dispose()
