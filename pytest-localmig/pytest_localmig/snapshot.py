"""Snapshots: the schema after a migration step, re-reading only the objects that changed.

A catalog fingerprint (one text per object that changes whenever its definition changes) tells
which objects a step touched; the others are taken from an earlier snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from .catalog import RELATION_KEY, USER_RELATIONS, CatalogState, prepared, read_changes
from .reflection import reflect
from .views import SchemaView

# Grouped in SQLite itself: the fingerprint runs after every step, over every table (a Python loop
# over sqlite_master's rows cost 4 ms per step at 1,000 revisions, more than most steps).
_SQLITE_FINGERPRINT = (
    "SELECT CASE WHEN type = 'view' THEN 'view:' || name ELSE 'table:' || tbl_name END, group_concat(sql, ';') "
    "FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite^_%' ESCAPE '^' GROUP BY 1"
)

# One row per object with a text that changes whenever the object's definition changes. The
# Inspector has no call for "what changed"; this catalog query exists only so that a snapshot
# after each revision reflects the few objects that changed instead of the whole schema.
# Indexes are read from pg_index's own columns (name, key columns, operator classes, collations,
# expression and predicate trees), not pg_get_indexdef: deparsing every index took 8 of the
# query's 21 ms at 200 revisions. An index expression calling a function renamed later is the
# one change this does not see (the tree holds the function's oid).
_POSTGRES_RELATIONS = f"""
SELECT {RELATION_KEY},
       md5(concat_ws('|',
         (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' '
                 || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), ''),
                 ',' ORDER BY a.attname)
          FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
         (SELECT string_agg(k.conname || ' ' || pg_get_constraintdef(k.oid), ',' ORDER BY k.conname)
          FROM pg_constraint k WHERE k.conrelid = c.oid),
         (SELECT string_agg(concat_ws(' ', i.indexrelid::regclass, i.indnkeyatts, i.indkey, i.indclass,
                                      i.indcollation, i.indoption, i.indisunique, i.indexprs, i.indpred),
                            ',' ORDER BY 1)
          FROM pg_index i WHERE i.indrelid = c.oid),
         CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END))
{USER_RELATIONS}"""
_POSTGRES_ENUMS = """
SELECT 'enum:' || CASE WHEN n.nspname = current_schema() THEN '' ELSE n.nspname || '.' END
       || t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
GROUP BY n.nspname, t.typname
"""
_POSTGRES_FINGERPRINT = _POSTGRES_RELATIONS + " UNION ALL " + _POSTGRES_ENUMS
_POSTGRES_SOME = _POSTGRES_RELATIONS + " AND c.oid = ANY(%(oids)s) UNION ALL " + _POSTGRES_ENUMS


def fingerprint(connection: sa.Connection) -> dict[str, str] | None:
    """Object key -> a text that changes when the object changes; None if the dialect has none.

    Read through the DBAPI cursor: it runs after every migration step, on every table.
    """
    dialect = connection.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return None
    return _read(connection, _SQLITE_FINGERPRINT if dialect == "sqlite" else _POSTGRES_FINGERPRINT)


def _read(connection: sa.Connection, query: str, parameters: dict[str, Any] | None = None) -> dict[str, str]:
    driver = connection.connection.driver_connection
    assert driver is not None  # a live connection
    cursor = driver.cursor()
    try:
        if parameters is None:
            cursor.execute(query)
        else:
            cursor.execute(query, parameters, **prepared(connection))
        return dict(cursor.fetchall())
    finally:
        cursor.close()


def _prints(
    connection: sa.Connection, base: Snapshot | None, skip: Iterable[str]
) -> tuple[dict[str, str] | None, CatalogState | None]:
    """The fingerprint now; on PostgreSQL read for the relations changed since ``base`` only, the
    others' taken from it (see :mod:`.catalog`), with the catalog state it was read at."""
    if connection.dialect.name != "postgresql":
        return fingerprint(connection), None
    state, changed = read_changes(connection, base.catalog if base is not None else None)
    if changed is None or base is None or base.prints is None:
        return fingerprint(connection), state
    carried = {key: base.prints[key] for key in state.relations.keys() - changed if key in base.prints}
    skipped = set(skip)
    wanted = [oid for key, oid in state.relations.items() if key not in carried and key not in skipped]
    return carried | _read(connection, _POSTGRES_SOME, {"oids": wanted}), state


_SQLITE_TABLE_PRINT = "SELECT group_concat(sql, ';') FROM sqlite_master WHERE sql IS NOT NULL AND type <> 'view' " \
    "AND tbl_name = ?"
_POSTGRES_TABLE_PRINT = (_POSTGRES_RELATIONS + " AND c.relname = %(table)s"
                         " AND n.nspname = coalesce(%(schema)s, current_schema())")


def table_fingerprint(connection: sa.Connection, table: str) -> str | None:
    """A text that changes when ``[schema.]table`` changes, read for that table only (the whole-schema
    :func:`fingerprint` reads every table: on PostgreSQL 19 ms at 200 revisions); None if the dialect has
    none or there is no such table. Comparable only with other results of this function."""
    dialect = connection.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return None
    schema, _, name = table.rpartition(".")
    driver = connection.connection.driver_connection
    assert driver is not None  # a live connection
    cursor = driver.cursor()
    try:
        if dialect == "sqlite":
            if schema:  # an attached database: not fingerprinted
                return None
            cursor.execute(_SQLITE_TABLE_PRINT, (name,))
        else:
            cursor.execute(_POSTGRES_TABLE_PRINT, {"table": name, "schema": schema or None})
        row = cursor.fetchone()
    finally:
        cursor.close()
    return None if row is None else row[-1]


class Snapshot:
    """The schema at one point: reflected objects plus the fingerprint they were read at."""

    def __init__(self, objects: dict[str, Any], prints: dict[str, str] | None, reread: int = 0,
                 catalog: CatalogState | None = None) -> None:
        self.objects = objects
        self.prints = prints
        self.reread = reread  # objects reflected to take it (the others came from a known snapshot)
        self.catalog = catalog  # PostgreSQL: where the catalog stood when it was read

    @classmethod
    def take(
        cls, connection: sa.Connection, *known: Snapshot | None, skip: Iterable[str] = ()
    ) -> Snapshot:
        """Reflect the schema, re-reading only the objects whose fingerprint matches none of the
        ``known`` snapshots (an object with the same definition text has the same schema)."""
        usable = [k for k in known if k is not None and k.prints is not None]
        prints, catalog = _prints(connection, usable[0] if usable else None, skip)
        if prints is not None:
            prints = {key: value for key, value in prints.items() if key not in skip}
        if prints is None or not usable:
            objects = reflect(connection, prints)
            return cls({k: v for k, v in objects.items() if k not in skip}, prints, len(objects), catalog)
        # Set operations and a dict copy, all in C: a step changes a few objects of hundreds, and a
        # loop in Python over every object after every step made the capture grow with N squared.
        first = usable[0]
        changed = dict(prints.items() - (first.prints or {}).items())
        objects = dict(first.objects)
        for key in objects.keys() - prints.keys():
            del objects[key]
        for key in changed:
            objects.pop(key, None)
        for key in prints.keys() - objects.keys() - changed.keys():  # same print, never reflected
            changed[key] = prints[key]
        for other in usable[1:]:
            other_prints = other.prints or {}  # known snapshots all have prints (filtered above)
            for key in [key for key in changed if other_prints.get(key) == changed[key] and key in other.objects]:
                objects[key] = other.objects[key]
                del changed[key]
        objects.update(reflect(connection, changed) if changed else {})
        return cls(objects, prints, len(changed), catalog)

    def view(self) -> SchemaView:
        return SchemaView(self.objects)

