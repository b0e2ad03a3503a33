"""Database URLs: as text for env.py, compared by the database they name, and engines that pool nothing."""

from __future__ import annotations

import os

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


def new_engine(url: sa.URL | str) -> sa.Engine:
    """An engine that keeps no connection open between uses (templates must be closed to copy)."""
    return sa.create_engine(url, poolclass=NullPool)


def reusing_engine(url: sa.URL | str) -> sa.Engine:
    """For a database no one copies (a test's or a probe's): on SQLite it keeps its connection between
    uses, since every new SQLite connection parses the whole schema before its first statement (at
    1,000 revisions that made each ``rows()`` cost ~7 ms); elsewhere it pools nothing."""
    if make_url(url).get_backend_name() == "sqlite":
        return sa.create_engine(url)
    return new_engine(url)
