"""Reading rows in an order generated tests can write down, whatever the database and its collation."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa


def row_table(connection: sa.Connection, table: str) -> sa.Table:
    """``[schema.]table``'s columns and primary key (all a row needs), reflected in two queries."""
    schema, _, name = table.rpartition(".")
    inspector = sa.inspect(connection)
    primary_key = set(inspector.get_pk_constraint(name, schema=schema or None).get("constrained_columns") or [])
    columns = [sa.Column(c["name"], c["type"], primary_key=c["name"] in primary_key)
               for c in inspector.get_columns(name, schema=schema or None)]
    return sa.Table(name, sa.MetaData(), *columns, schema=schema or None)


def read_rows(connection: sa.Connection, table: sa.Table, without: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Every row of ``table`` as dicts, ordered by the primary key (else all columns); ``without``
    leaves out columns whose values are not reproducible (timestamps, random ids), and the rows are
    then in :func:`ordered_rows` order, which depends only on the values kept (a left-out random key
    does not make it random); with every column left out, one empty dict per row."""
    left_out = set(without)
    columns = [c for c in table.columns if c.name not in left_out]
    if not columns:
        count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        return [{} for _ in range(count)]
    order = list(table.primary_key.columns) or columns
    found = [dict(row) for row in connection.execute(sa.select(*columns).order_by(*order)).mappings()]
    return ordered_rows(found) if left_out else found


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
