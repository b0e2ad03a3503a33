"""The connect guard: env.py may open connections to the scratch database it was given, and nowhere else.

Two layers, both checked before the DBAPI is called (so no packet leaves and no SQLite file is
created): a ``do_connect`` listener for every engine SQLAlchemy builds from a URL, and, for the
length of one env.py run, wrappers around the DBAPI module functions (``sqlite3.connect``,
``psycopg.connect``, ``psycopg2.connect``) for engines built with ``creator=`` and raw connects.
A target that cannot be told from the arguments (a ``service=`` file, several hosts) is refused.
The wrappers check calls from the thread that runs env.py; other threads (localmig's own store)
pass through.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from .errors import EnvironmentIgnoresURL
from .targets import Target, conninfo_params, dialect_target, pg_target, sqlite_target, url_target

# (module whose `connect` is wrapped, the backend it reaches)
DBAPI_CONNECTS = (
    ("sqlite3", "sqlite"),
    ("sqlite3.dbapi2", "sqlite"),
    ("_sqlite3", "sqlite"),
    ("psycopg", "postgresql"),
    ("psycopg2", "postgresql"),
)


def _refusal(tried: str, target: Target | None, url: sa.URL | str) -> EnvironmentIgnoresURL:
    given = make_url(url).render_as_string(hide_password=True)
    where = target.describe() if target is not None else "a database whose location cannot be told from its arguments"
    return EnvironmentIgnoresURL(f"the project's code tried to connect ({tried}) to {where} instead of the "
                                 f"scratch database {given} it was given; refused before connecting")


def check_target(tried: str, target: Target | None, url: sa.URL | str) -> None:
    """Raise :class:`EnvironmentIgnoresURL` unless ``target`` is the scratch database at ``url``
    (an in-memory SQLite database is allowed: it touches no file)."""
    if target is not None and target.backend == "sqlite" and target.memory:
        return
    expected = url_target(url)
    if target is None or expected is None or not target.same(expected):
        raise _refusal(tried, target, url)


def connect_guard(url: sa.URL | str) -> Callable[..., None]:
    """A ``do_connect`` listener that refuses, before the DBAPI connects, any database but ``url``
    (for connects made in the thread that created it: other threads' engines are not env.py's)."""
    thread = threading.get_ident()

    def check(dialect: Any, record: Any, cargs: list, cparams: dict) -> None:
        if threading.get_ident() != thread:
            return
        backend = dialect.name
        check_target(f"create_engine with a {backend} URL", dialect_target(backend, cargs, cparams), url)

    return check


def _sqlite_call(args: tuple, kwargs: dict) -> Target | None:
    name = args[0] if args else kwargs.get("database")
    uri = kwargs.get("uri", args[7] if len(args) > 7 else False)
    return sqlite_target(name, bool(uri))


def _pg_call(args: tuple, kwargs: dict) -> Target | None:
    conninfo = args[0] if args else kwargs.pop("conninfo", kwargs.pop("dsn", ""))
    options = {k: v for k, v in kwargs.items() if k not in ("autocommit", "prepare_threshold", "context",
                                                           "row_factory", "cursor_factory", "connection_factory",
                                                           "async_")}
    params = conninfo_params(str(conninfo or ""), **options)
    return None if params is None else pg_target(params)


_active = threading.local()  # .url: the scratch database of the env.py run in this thread
_install_lock = threading.Lock()
_installed: set[str] = set()


def _wrapped(module: str, original: Callable[..., Any], backend: str) -> Callable[..., Any]:
    describe = _sqlite_call if backend == "sqlite" else _pg_call

    def connect(*args: Any, **kwargs: Any) -> Any:
        url = getattr(_active, "url", None)
        if url is not None:
            check_target(f"{module.split('.')[0]}.connect, as a creator= engine or a raw connect does",
                         describe(args, dict(kwargs)), url)
        return original(*args, **kwargs)

    connect.__wrapped__ = original  # type: ignore[attr-defined]
    connect.__localmig_guard__ = True  # type: ignore[attr-defined]
    return connect


def _install() -> None:
    """Wrap each importable DBAPI module's ``connect`` once; the wrapper only checks in a thread
    inside :func:`guarded_connects`, and passes every other call straight through."""
    with _install_lock:
        for name, backend in DBAPI_CONNECTS:
            if name in _installed:
                continue
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            original = getattr(module, "connect", None)
            if original is None or getattr(original, "__localmig_guard__", False):
                continue
            module.connect = _wrapped(name, original, backend)  # type: ignore[attr-defined]
            _installed.add(name)


@contextmanager
def guarded_connects(url: sa.URL | str) -> Iterator[None]:
    """For the length of the block: every engine's ``do_connect`` and, in this thread, every call
    of a DBAPI module's ``connect`` is checked against the scratch database at ``url``."""
    _install()
    listener = connect_guard(url)
    outer = getattr(_active, "url", None)
    _active.url = url
    sa.event.listen(sa.Engine, "do_connect", listener)
    try:
        yield
    finally:
        sa.event.remove(sa.Engine, "do_connect", listener)
        _active.url = outer
