"""What a migration step changed on PostgreSQL, read from the catalog rows' transaction ids.

The whole-schema fingerprint (:mod:`.snapshot`) deparses every table's columns, constraints and
indexes: 15 ms after every step at 200 revisions, most of a capture's server time. A step changes
a few objects, and every catalog row it writes carries its transaction id (``xmin``) and, within
that transaction, its command id (``cmin``), both later than those of any row there before. So
after each reading the catalog state keeps a *horizon* (the transaction and command reached); the
next reading asks only which relations have a catalog row beyond it (one scan of each catalog
with a cheap filter, ~2 ms) and deparses those alone. Rows deleted leave no trace of their own:
a dropped relation is missing from the list of relations, a dropped constraint or index changes
its table's count of them, a dropped column or default updates the column's row.

Everything else is deparsed again (the whole fingerprint) when the rule could be wrong: no
earlier reading, its transaction rolled back since, a type, schema or existing sequence changed
(their names appear in other objects' definitions: a renamed enum type, a sequence in a
``nextval`` default), or a relation that another one's foreign key names changed (that one is
deparsed again too). Catalog rows put back by a rollback to a savepoint keep their old ids:
the one change this does not see, besides transaction-id wraparound within one history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

# Shared with the fingerprint (snapshot.py): which relations a schema has, and their object keys.
USER_SCHEMA = "n.nspname <> 'information_schema' AND left(n.nspname, 3) <> 'pg_'"
USER_RELATIONS = f"""FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND {USER_SCHEMA}"""
RELATION_KEY = """CASE WHEN c.relkind IN ('v', 'm') THEN 'view:' WHEN c.relkind = 'S' THEN 'sequence:' ELSE 'table:' END
       || CASE WHEN n.nspname = current_schema() THEN '' ELSE n.nspname || '.' END || c.relname"""


def _beyond(alias: str, owner: str | None) -> str:
    """The row (of a user object: oid 16384 and up, FirstNormalObjectId) was written after the
    horizon: by a later transaction, or by a later command of the horizon's own."""
    user = f"{alias}.{owner} >= 16384 AND " if owner else ""
    return f"{user}(age({alias}.xmin) < h.age OR ({alias}.xmin = h.x AND {alias}.cmin::text::int > h.c))"


# One round trip. h: the earlier reading's horizon (no horizon: the current transaction's rows
# from its first command, which gives the new horizon's command id).
_CHANGES = f"""
WITH x AS (SELECT coalesce(%(xid)s::text::xid, (txid_current_if_assigned() %% 4294967296)::text::xid) AS x),
h AS MATERIALIZED (SELECT x, age(x) AS age, coalesce(%(cid)s, -1) AS c FROM x),
changed AS (
  SELECT 'changed' AS kind, coalesce(i.indrelid, r.oid) AS rel, r.xmin, r.cmin
    FROM pg_class r LEFT JOIN pg_index i ON i.indexrelid = r.oid, h WHERE {_beyond("r", "oid")}
  UNION ALL SELECT 'changed', a.attrelid, a.xmin, a.cmin FROM pg_attribute a, h WHERE {_beyond("a", "attrelid")}
  UNION ALL SELECT 'changed', d.adrelid, d.xmin, d.cmin FROM pg_attrdef d, h WHERE {_beyond("d", "adrelid")}
  UNION ALL SELECT 'changed', k.conrelid, k.xmin, k.cmin FROM pg_constraint k, h WHERE {_beyond("k", "oid")}
  UNION ALL SELECT 'changed', i.indrelid, i.xmin, i.cmin FROM pg_index i, h WHERE {_beyond("i", "indexrelid")}
  UNION ALL SELECT 'type', t.oid, t.xmin, t.cmin FROM pg_type t, h WHERE {_beyond("t", "oid")}
  UNION ALL SELECT 'schema', n.oid, n.xmin, n.cmin FROM pg_namespace n, h WHERE {_beyond("n", None)}
)
SELECT kind, rel::text, xmin::text, cmin::text FROM changed
UNION ALL
SELECT 'referrer', k.conrelid::text, NULL, NULL FROM pg_constraint k
 WHERE k.contype = 'f' AND k.confrelid IN (SELECT rel FROM changed WHERE kind = 'changed')
UNION ALL
SELECT 'relation', {RELATION_KEY}, c.oid::text, NULL {USER_RELATIONS}
UNION ALL
SELECT 'named', t.oid::text, NULL, NULL FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typrelid = 0 AND t.typelem = 0 AND {USER_SCHEMA}
UNION ALL
SELECT 'named', n.oid::text, NULL, NULL FROM pg_namespace n WHERE {USER_SCHEMA}
UNION ALL
SELECT 'constraints', conrelid::text, count(*)::text, NULL FROM pg_constraint GROUP BY conrelid
UNION ALL
SELECT 'indexes', indrelid::text, count(*)::text, NULL FROM pg_index GROUP BY indrelid
UNION ALL
SELECT 'now', txid_current_if_assigned()::text, (txid_snapshot_xmax(txid_current_snapshot()) - 1)::text,
       txid_status(%(full)s)
"""

def prepared(connection: sa.Connection) -> dict[str, Any]:
    """Keywords of ``cursor.execute`` that keep a query planned for the session (psycopg 3 only):
    planning this one takes 1.6 ms, a third of its run."""
    return {"prepare": True} if connection.dialect.driver == "psycopg" else {}


@dataclass(frozen=True)
class CatalogState:
    """Where a reading of the catalog stood: its horizon and the relations then."""

    xid: int  # catalog rows of a later transaction than this one are beyond the horizon ...
    cid: int  # ... and so are those of this transaction written by a later command than this
    full: int | None  # the transaction the horizon is in, with its epoch, if it was still running
    relations: dict[str, int]  # object key -> oid
    parts: dict[int, tuple[int, int]]  # relation oid -> its number of constraints and of indexes
    named: frozenset[int]  # oids of the user types (no arrays, no row types) and schemas


def read_changes(connection: sa.Connection, since: CatalogState | None) -> tuple[CatalogState, set[str] | None]:
    """The catalog state now, and the keys of the relations changed since ``since`` (None: every
    object must be read again, or there was no earlier state)."""
    driver = connection.connection.driver_connection
    assert driver is not None  # a live connection
    cursor = driver.cursor()
    try:
        cursor.execute(_CHANGES, {"xid": None if since is None else str(since.xid),
                                  "cid": None if since is None else since.cid,
                                  "full": None if since is None else since.full}, **prepared(connection))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    changed: set[int] = set()
    renamed: set[int] = set()  # types and schemas written (if they existed before: renamed, altered)
    named: set[int] = set()
    relations: dict[str, int] = {}
    constraints: dict[int, int] = {}
    indexes: dict[int, int] = {}
    current: int | None = None
    next_minus_one = 0
    status = None
    written: list[tuple[int, int]] = []  # (xid, cid) of the rows beyond the horizon
    for kind, first, second, third in rows:
        if kind in ("changed", "type", "schema"):
            (changed if kind == "changed" else renamed).add(int(first))
            written.append((int(second), int(third)))
        elif kind == "named":
            named.add(int(first))
        elif kind == "referrer":
            changed.add(int(first))
        elif kind == "relation":
            relations[first] = int(second)
        elif kind == "constraints":
            constraints[int(first)] = int(second)
        elif kind == "indexes":
            indexes[int(first)] = int(second)
        else:
            current = None if first is None else int(first)
            next_minus_one, status = int(second), third
    parts = {oid: (constraints.get(oid, 0), indexes.get(oid, 0)) for oid in relations.values()}
    if current is not None:  # in a transaction that has written: the horizon is its last command
        xid = current % 2**32
        earlier = since.cid if since is not None and since.xid == xid else -1
        latest = max([cid for row_xid, cid in written if row_xid == xid] + [earlier])
        state = CatalogState(xid, latest, current, relations, parts, frozenset(named))
    else:  # nothing pending: every later transaction is beyond
        state = CatalogState(next_minus_one % 2**32, 2**31 - 1, None, relations, parts, frozenset(named))
    if since is None or status == "aborted" or renamed & since.named:
        return state, None
    sequences = {oid for key, oid in since.relations.items() if key.startswith("sequence:")}
    if changed & sequences:  # an existing sequence: its name may be in a default (nextval)
        return state, None
    keys = {key for key, oid in relations.items()
            if oid in changed or since.relations.get(key) != oid or since.parts.get(oid) != parts[oid]
            or key.startswith("view:")}
    return state, keys
