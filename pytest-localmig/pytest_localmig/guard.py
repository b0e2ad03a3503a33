"""The connect guard: env.py may open connections to the scratch database it was given, and nowhere else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from .errors import EnvironmentIgnoresURL
from .urls import same_database


def connect_guard(url: sa.URL | str) -> Callable[..., None]:
    """A ``do_connect`` listener that refuses, before the DBAPI connects, any database but
    ``url``: an env.py that builds its own engine must not touch (or, on SQLite, create) the
    project's real database. Connections whose target cannot be told are let through; the
    check in :meth:`MigrationRunner.run` still sees where env.py's migrations run."""
    expected = make_url(url)

    def check(dialect: Any, record: Any, cargs: list, cparams: dict) -> None:
        if dialect.name == "sqlite":
            name = cargs[0] if cargs else cparams.get("database")
            if not isinstance(name, str) or name in ("", ":memory:") or name.startswith("file:"):
                return
            target = sa.URL.create("sqlite", database=name)
            refused = not same_database(target, expected)
        else:
            database = cparams.get("dbname", cparams.get("database"))
            if not database:
                return
            host, port = cparams.get("host"), cparams.get("port")
            target = sa.URL.create(dialect.name, host=host, port=int(port) if port else None, database=database)
            refused = (
                dialect.name != expected.get_backend_name()
                or database != expected.database
                or bool(host and expected.host and host != expected.host)
                or bool(port and expected.port and int(port) != expected.port)
            )
        if refused:
            raise EnvironmentIgnoresURL(
                f"env.py connected to {target.render_as_string(hide_password=True)} instead of the scratch "
                f"database {expected.render_as_string(hide_password=True)} it was given"
            )

    return check
