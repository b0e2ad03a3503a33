"""One scratch database, as generated tests use it: run a revision on it, read its schema, seed and read rows."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from .reflection import qualified, user_schemas
from .runner import MigrationRunner
from .snapshot import Snapshot, fingerprint
from .urls import reusing_engine
from .views import SchemaView


class Database:
    """One scratch database: run a revision on it, read its schema, seed and read rows."""

    def __init__(self, runner: MigrationRunner, url: sa.URL, name: str = "") -> None:
        self.runner = runner
        self.url = url
        self.name = name
        self.engine = reusing_engine(url)
        self._tables: dict[str, sa.Table] = {}  # reflected for rows; forgotten when the schema may change
        self._prints: dict[str, str] | None = None  # the fingerprint they were reflected at

    def _schema_may_change(self) -> None:
        self._tables.clear()
        self._prints = None

    def upgrade(self, revision: str) -> None:
        """Run the upgrade of ``revision`` on this database."""
        self._schema_may_change()
        self.runner.upgrade(self.url, revision, engine=self.engine)

    def downgrade(self, revision: str) -> None:
        """Run the downgrade of ``revision`` on this database."""
        self._schema_may_change()
        self.runner.downgrade(self.url, revision, engine=self.engine)

    def schema(self) -> SchemaView:
        with self.engine.connect() as connection:
            return Snapshot.take(connection, skip=[self.runner.version_key]).view()

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
        if self._prints is None:
            self._prints = fingerprint(connection) or {}
        definition = self._prints.get(f"table:{table}")
        shared = self.runner.row_tables.get((table, definition)) if definition else None
        if shared is None:
            schema, _, name = table.rpartition(".")
            inspector = sa.inspect(connection)
            primary_key = set(inspector.get_pk_constraint(name, schema=schema or None).get("constrained_columns") or [])
            columns = [sa.Column(c["name"], c["type"], primary_key=c["name"] in primary_key)
                       for c in inspector.get_columns(name, schema=schema or None)]
            shared = sa.Table(name, sa.MetaData(), *columns, schema=schema or None)
            if definition:
                self.runner.row_tables[(table, definition)] = shared
        self._tables[table] = shared
        return shared

    def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert rows (dicts of column values) into ``[schema.]table`` and commit."""
        with self.engine.begin() as connection:
            target = self._table(connection, table)
            for row in rows:
                connection.execute(sa.insert(target).values(**row))

    def rows(self, table: str, *, without: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Every row of ``[schema.]table`` as dicts, ordered by the primary key (else all
        columns); ``without`` leaves out columns whose values are not reproducible (timestamps,
        random ids), and the rows are then in :func:`ordered_rows` order, which depends only on the
        values kept (a left-out random key does not make it random); with every column left out,
        one empty dict per row."""
        left_out = set(without)
        with self.engine.connect() as connection:
            reflected = self._table(connection, table)
            columns = [c for c in reflected.columns if c.name not in left_out]
            if not columns:
                count = connection.execute(sa.select(sa.func.count()).select_from(reflected)).scalar_one()
                return [{} for _ in range(count)]
            order = list(reflected.primary_key.columns) or columns
            found = [dict(row) for row in connection.execute(sa.select(*columns).order_by(*order)).mappings()]
        return ordered_rows(found) if left_out else found

    def execute(self, statement: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one SQL statement in its own transaction; return its rows, if any, as dicts."""
        self._schema_may_change()
        with self.engine.begin() as connection:
            result = connection.execute(sa.text(statement), parameters or {})
            return [dict(row) for row in result.mappings()] if result.returns_rows else []

    def dispose(self) -> None:
        self.engine.dispose()


_ORDERABLE = (bool, int, float, decimal.Decimal, str, bytes, datetime.date, datetime.time, datetime.timedelta)


def ordered_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows sorted by their values (columns by name, NULL first, other values by repr when Python
    cannot order them): the order ``rows(table, without=...)`` returns, which generated tests
    write their expected rows in, whatever the database and its collation."""
    def value_key(value: Any) -> tuple[int, str, Any]:
        if value is None:
            return (0, "", "")
        if isinstance(value, _ORDERABLE):  # values of one kind compare with each other only
            kind = "number" if isinstance(value, (int, float, decimal.Decimal)) else type(value).__name__
            return (1, kind, value)
        return (2, type(value).__name__, repr(value))

    def key(row: dict[str, Any]) -> list[tuple[int, str, Any]]:
        return [value_key(row[column]) for column in sorted(row)]

    return sorted(rows, key=key)
