"""Where a DBAPI connect would go, told from its arguments alone (nothing is sent to find out).

SQLite: the file a name or a ``file:`` URI names (``mode=memory`` is no file). PostgreSQL: the
server and database libpq would pick, with libpq's defaults (host from ``host=`` / ``PGHOST`` or the
unix-socket folder, port 5432 or ``PGPORT``, database ``PGDATABASE`` or the user name). A target
that cannot be told (a ``service=`` file, several hosts) is ``None``: the guard refuses it.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import make_url

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
SOCKET_FOLDERS = ("/var/run/postgresql", "/run/postgresql", "/tmp")


@dataclass(frozen=True)
class Target:
    """A database as the guard compares them; ``memory`` is an in-memory SQLite database."""

    backend: str
    path: str = ""  # SQLite: the resolved file
    host: str = ""  # PostgreSQL: "loopback", an address or name, or "socket:<folder>"
    port: int = 0
    database: str = ""
    memory: bool = False
    how: str = ""  # how the database was picked, when a default did it (for the message)

    def describe(self) -> str:
        if self.backend == "sqlite":
            return "an in-memory SQLite database" if self.memory else f"the SQLite file {self.path}"
        if self.host.startswith("socket:"):
            where = f"the unix socket in {self.host[len('socket:'):]} (port {self.port})"
        else:
            where = f"{self.host}:{self.port}"
        text = f"PostgreSQL database {self.database!r} on {where}"
        return f"{text} ({self.how})" if self.how else text

    def same(self, other: Target) -> bool:
        if self.backend != other.backend:
            return False
        if self.backend == "sqlite":
            return self.memory == other.memory and (self.memory or self.path == other.path)
        return (self.host, self.port, self.database) == (other.host, other.port, other.database)


# --------------------------------------------------------------------------- SQLite


def sqlite_target(name: Any, uri: bool = False) -> Target | None:
    """The target of ``sqlite3.connect(name, uri=uri)``."""
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    elif isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str):
        return None
    if name in ("", ":memory:"):
        return Target("sqlite", memory=True)
    if uri and name.startswith("file:"):
        parts = urlsplit(name)
        if parts.netloc not in ("", "localhost"):
            return None
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        path = unquote(parts.path)
        if query.get("mode") == "memory" or path in ("", ":memory:"):
            return Target("sqlite", memory=True)
        if "vfs" in query:
            return None
        name = path
    return Target("sqlite", path=os.path.realpath(name))


# --------------------------------------------------------------------------- PostgreSQL


def _socket_folder() -> str:
    for folder in SOCKET_FOLDERS:
        if os.path.isdir(folder) and any(n.startswith(".s.PGSQL.") for n in _listing(folder)):
            return folder
    return SOCKET_FOLDERS[0]


def _listing(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _host(text: str) -> str:
    if text.startswith("/"):
        return "socket:" + os.path.realpath(text)
    if text.startswith("@"):  # an abstract unix socket
        return "socket:" + text
    if text.lower() in LOOPBACK_NAMES:
        return "loopback"
    try:
        return "loopback" if ipaddress.ip_address(text.strip("[]")).is_loopback else text.strip("[]")
    except ValueError:
        return text.lower()


def pg_target(params: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Target | None:
    """The server and database libpq would connect to for these keyword parameters."""
    env = os.environ if environ is None else environ
    values = {key: str(value) for key, value in params.items() if value not in (None, "")}
    if "service" in values or env.get("PGSERVICE") or "dsn" in values:
        return None  # a service file or an unparsed string decides: cannot be told here
    hostaddr = values.get("hostaddr") or env.get("PGHOSTADDR", "")
    host = hostaddr or values.get("host") or env.get("PGHOST", "")
    port = values.get("port") or env.get("PGPORT", "") or "5432"
    if "," in host or "," in port:
        return None
    try:
        port_number = int(port)
    except ValueError:
        return None
    how = ""
    database = values.get("dbname") or values.get("database") or env.get("PGDATABASE", "")
    if not database:
        user = values.get("user") or env.get("PGUSER") or _login()
        database, how = user, "no database name given: libpq's default is the user name"
    resolved = _host(host) if host else "socket:" + _socket_folder()
    return Target("postgresql", host=resolved, port=port_number, database=database, how=how)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def conninfo_params(conninfo: str = "", **kwargs: Any) -> dict[str, Any] | None:
    """``psycopg.connect(conninfo, **kwargs)``'s parameters as libpq reads them (None: unparsable)."""
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:  # pragma: no cover - psycopg is a dependency of the PostgreSQL support
        return None if conninfo else dict(kwargs)
    try:
        return dict(conninfo_to_dict(conninfo, **kwargs))
    except Exception:  # noqa: BLE001 - whatever libpq cannot parse cannot be told
        return None


# --------------------------------------------------------------------------- URLs and dialect arguments


def url_target(url: sa.URL | str) -> Target | None:
    """The target of a SQLAlchemy URL (the scratch database's, to compare with)."""
    url = make_url(url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return sqlite_target(url.database or "", uri=str(url.query.get("uri", "")).lower() in ("true", "1"))
    if backend == "postgresql":
        params: dict[str, Any] = {key: value for key, value in url.query.items() if isinstance(value, str)}
        params.update(host=url.host, port=url.port, dbname=url.database, user=url.username)
        return pg_target(params)
    return Target(backend, host=url.host or "", port=url.port or 0, database=url.database or "")


def dialect_target(backend: str, cargs: list | tuple, cparams: Mapping[str, Any]) -> Target | None:
    """The target of a dialect's ``connect(*cargs, **cparams)`` (what ``do_connect`` is handed)."""
    if backend == "sqlite":
        return sqlite_target(cargs[0] if cargs else cparams.get("database"), bool(cparams.get("uri")))
    if backend == "postgresql":
        params = conninfo_params(str(cargs[0]) if cargs else "", **dict(cparams))
        return None if params is None else pg_target(params)
    return Target(backend, host=str(cparams.get("host", "")), port=int(cparams.get("port") or 0),
                  database=str(cparams.get("database") or cparams.get("db") or ""))
