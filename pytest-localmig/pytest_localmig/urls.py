"""Database URLs: as text for env.py, compared by the database they name, and engines that pool nothing."""

from __future__ import annotations

import os
import sqlite3
import sys
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


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


def new_engine(url: sa.URL | str) -> sa.Engine:
    """An engine that keeps no connection open between uses (templates must be closed to copy);
    on SQLite, its connections refuse ``ATTACH``."""
    engine = sa.create_engine(url, poolclass=NullPool)
    if engine.dialect.name == "sqlite" and engine.dialect.driver == "pysqlite":
        sa.event.listen(engine, "connect", _no_attach)
    return engine


def reusing_engine(url: sa.URL | str) -> sa.Engine:
    """For a database no one copies (a test's or a probe's): on SQLite it keeps its connection between
    uses, since every new SQLite connection parses the whole schema before its first statement (at
    1,000 revisions that made each ``rows()`` cost ~7 ms), and refuses ``ATTACH`` like the others;
    elsewhere it pools nothing."""
    if make_url(url).get_backend_name() != "sqlite":
        return new_engine(url)
    engine = sa.create_engine(url)
    if engine.dialect.driver == "pysqlite":
        sa.event.listen(engine, "connect", _no_attach)
    return engine
