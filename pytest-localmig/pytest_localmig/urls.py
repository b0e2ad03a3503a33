"""Database URLs: as text for env.py, compared by the database they name, and engines that pool nothing."""

from __future__ import annotations

import os
import sqlite3
import sys
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.pool import NullPool
from sqlalchemy.util import LRUCache


def url_to_string(url: sa.URL | str) -> str:
    """A URL as text, password included (for handing over to env.py)."""
    return make_url(url).render_as_string(hide_password=False)


def same_database(a: sa.URL | str, b: sa.URL | str) -> bool:
    """True when two URLs name the same database (driver and password may differ)."""
    a, b = make_url(a), make_url(b)
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return os.path.realpath(a.database or "") == os.path.realpath(b.database or "")
    default_port = {"postgresql": 5432, "mysql": 3306}.get(a.get_backend_name(), 0)
    return (a.host, a.port or default_port, a.database) == (b.host, b.port or default_port, b.database)


ATTACH_EVENT = "localmig.sqlite.attach"  # audited before ATTACH is refused (localmig's policy records it)


def scratch_place(url: sa.URL | str) -> tuple[str, bool]:
    """Where the database at ``url`` lives, in words, and whether that is a server (for messages)."""
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        return f"in {os.path.dirname(url.database or '') or os.getcwd()}", False
    return f"on the {url.get_backend_name()} server {url.host or 'localhost'}:{url.port or 'default port'}", True


def refuse_attach(action: int, first: str | None, second: str | None, database: str | None,
                  trigger: str | None) -> int:
    """A SQLite authorizer: a scratch database may not ``ATTACH`` another one (``VACUUM INTO`` is
    an ATTACH too), the one way from a scratch connection to another SQLite file."""
    if action != sqlite3.SQLITE_ATTACH:
        return sqlite3.SQLITE_OK
    sys.audit(ATTACH_EVENT, first)  # a runtime policy may refuse (and record) it here: denied either way
    return sqlite3.SQLITE_DENY


def _no_attach(dbapi_connection: Any, record: Any) -> None:
    dbapi_connection.set_authorizer(refuse_attach)


# Per server and user: one compiled cache, and the dialects of its engines made before one had connected.
_SHARED: dict[str, tuple[LRUCache[Any, Any], list[Dialect]]] = {}


def _sharing(engine: sa.Engine) -> sa.Engine:
    """``engine``, compiling its statements with the dialect and cache of the others on its server.

    A session makes a new engine for every scratch database (384 at 200 revisions on PostgreSQL),
    and SQLAlchemy keys its compiled statements by dialect object, in a cache of each engine's:
    every new engine compiled the Inspector's catalog queries again (2-3 ms each, 3,248 compiles,
    a third of the suite's client CPU). The dialect shared is one already initialized (server
    version, default schema) by a connection of the same user to the same server; the engine's
    pool and its connect-time set-up are its own."""
    url = engine.url
    key = sa.URL.create(url.drivername, url.username, None, url.host, url.port, None, url.query).render_as_string()
    cache, dialects = _SHARED.setdefault(key, (LRUCache(1000), []))
    ready = next((dialect for dialect in dialects if dialect.server_version_info is not None), None)
    if ready is None:  # none has connected yet: this one may be the first
        del dialects[:-7]
        dialects.append(engine.dialect)
        engine.update_execution_options(compiled_cache=cache)
        return engine
    dialects[:] = [ready]
    return sa.Engine(engine.pool, ready, engine.url, query_cache_size=0, execution_options={"compiled_cache": cache})


def new_engine(url: sa.URL | str) -> sa.Engine:
    """An engine that keeps no connection open between uses (templates must be closed to copy);
    on SQLite, its connections refuse ``ATTACH``."""
    engine = sa.create_engine(url, poolclass=NullPool)
    if engine.dialect.name == "sqlite" and engine.dialect.driver == "pysqlite":
        sa.event.listen(engine, "connect", _no_attach)
    return _sharing(engine)


def reusing_engine(url: sa.URL | str) -> sa.Engine:
    """For a database no one copies (a test's or a probe's): it keeps its connection between uses.

    On SQLite every new connection parses the whole schema before its first statement (at 1,000
    revisions that made each ``rows()`` cost ~7 ms); its connections refuse ``ATTACH`` like the
    others. On PostgreSQL a new session starts with cold catalog caches: a ``rows()`` on a new
    connection cost 15 ms of client and server CPU at 200 revisions, 2 ms on a kept one. A kept
    PostgreSQL session is reset when it goes back to the pool (rolled back, then ``CLOSE ALL``,
    ``RESET ALL``, ``DISCARD TEMP``, advisory locks released: after SQLAlchemy's custom reset recipe), so a
    migration's ``SET search_path`` or temporary table does not reach the next use; other
    dialects pool nothing."""
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        engine = sa.create_engine(url, pool_size=1, max_overflow=4, pool_reset_on_return=None)
        sa.event.listen(engine, "reset", _reset_postgres_session)
        return _sharing(engine)
    if backend != "sqlite":
        return new_engine(url)
    engine = sa.create_engine(url)
    if engine.dialect.driver == "pysqlite":
        sa.event.listen(engine, "connect", _no_attach)
    return _sharing(engine)


def _reset_postgres_session(dbapi_connection: Any, record: Any, reset_state: Any) -> None:
    dbapi_connection.rollback()  # what the connection's user left uncommitted is not kept
    if reset_state.terminate_only:
        return
    cursor = dbapi_connection.cursor()
    try:
        for statement in ("CLOSE ALL", "RESET ALL", "DISCARD TEMP", "SELECT pg_advisory_unlock_all()"):
            cursor.execute(statement)
    finally:
        cursor.close()
    dbapi_connection.commit()  # RESET ALL is undone by a rollback, like SET
