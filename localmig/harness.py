"""Migration harness: run single Alembic revisions on throwaway databases and read their schema.

This module is the part of localmig that generated test suites carry with them: its source is
copied verbatim into every generated ``conftest.py``, so it imports nothing but the standard
library, alembic and sqlalchemy. localmig's own capture runs on the same code, so what a
generated test sees is exactly what localmig measured.

* :class:`MigrationRunner` loads the project's Alembic configuration once and runs the upgrade or
  the downgrade of one revision through the project's own ``env.py``, on a URL it hands over (as
  ``sqlalchemy.url`` and as ``config.attributes["connection"]``). It stops if ``env.py`` connects
  anywhere else.
* :class:`ScratchServer` creates, copies and drops databases: SQLite files in a folder, or
  databases on a PostgreSQL server (copies through ``CREATE DATABASE ... TEMPLATE``).
* :class:`MigrationHistory` builds a template database at every point of the history once, runs
  every downgrade (and a re-upgrade) in one pass, and hands out fresh copies, so a suite over
  hundreds of revisions never replays the history per test.
* :func:`reflect` and :class:`Snapshot` turn SQLAlchemy's Inspector output into plain,
  comparable dictionaries, re-reading only what changed between two points.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationStep
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


class HarnessError(RuntimeError):
    """Base of the errors raised by the harness."""


class EnvironmentIgnoresURL(HarnessError):
    """env.py connected to a database other than the scratch one it was given."""


class MigrationFailed(HarnessError):
    """A revision's upgrade or downgrade raised; the message says which and why."""


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


def describe_error(error: BaseException, folders: Iterable[str] = ()) -> str:
    """``Type: first line of the message (at versions/x.py:12)`` for a migration's exception."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    sql = getattr(error, "statement", None)
    text = f"{type(error).__name__}: {message}"
    if sql and sql not in text:
        text += f" [SQL: {' '.join(str(sql).split())}]"
    roots = [os.path.realpath(folder) for folder in folders]
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        path = os.path.realpath(frame.filename)
        if any(path.startswith(root + os.sep) for root in roots):
            text += f" (at {os.path.basename(path)}:{frame.lineno})"
            break
    return text


# --------------------------------------------------------------------------- reading the schema


# Dialect types whose generic form would hide a real difference (JSONB is not JSON).
_NO_GENERIC = {"JSONB", "HSTORE", "INET", "CIDR", "MACADDR", "TSVECTOR", "CITEXT", "MONEY", "BIT", "ARRAY", "INTERVAL"}


def type_of(column: dict[str, Any]) -> str:
    """A column's type as a dialect-neutral string, e.g. ``String(length=50)``."""
    type_ = column["type"]
    if isinstance(type_, str):
        return type_
    if type(type_).__name__ in _NO_GENERIC:
        return repr(type_)
    try:
        return repr(type_.as_generic())
    except NotImplementedError:
        return repr(type_)


_CAST = re.compile(r"::[a-z_][\w ]*(\(\d+(,\s*\d+)?\))?(\[\])?$", re.IGNORECASE)


def default_of(column: dict[str, Any]) -> str | None:
    """A column's server default as text without dialect noise (outer parentheses, ``::casts``)."""
    text = column.get("default")
    if text is None:
        return None
    text = str(text).strip()
    while True:
        stripped = _CAST.sub("", text).strip()
        if stripped.startswith("(") and stripped.endswith(")") and _balanced(stripped[1:-1]):
            stripped = stripped[1:-1].strip()
        if stripped == text:
            return text
        text = stripped


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _words(text: Any) -> str:
    return " ".join(str(text).split())


def _sorted(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: repr(sorted(item.items())))


def qualified(name: str, schema: str | None) -> str:
    """``schema.name`` outside the default schema, else ``name``."""
    return f"{schema}.{name}" if schema else name


def user_schemas(inspector: sa.Inspector) -> list[str | None]:
    """The default schema (as ``None``) and, on servers with schemas, every non-system one."""
    if inspector.dialect.name == "sqlite":
        return [None]
    system = {"information_schema", inspector.default_schema_name}
    names = [s for s in inspector.get_schema_names() if s not in system and not s.startswith("pg_")]
    return [None, *sorted(names)]


def _column(column: dict[str, Any]) -> dict[str, Any]:
    computed = column.get("computed")
    return {
        "type": type_of(column),
        "nullable": bool(column["nullable"]),
        "default": default_of(column),
        "autoincrement": column.get("autoincrement") is True,
        "computed": _words(computed["sqltext"]) if computed else None,
    }


def _foreign_key(fk: dict[str, Any]) -> dict[str, Any]:
    options = fk.get("options") or {}
    return {
        "name": fk.get("name"),
        "columns": list(fk["constrained_columns"]),
        "referred_schema": fk.get("referred_schema"),
        "referred_table": fk["referred_table"],
        "referred_columns": list(fk["referred_columns"]),
        "ondelete": (options.get("ondelete") or "").upper() or None,
        "onupdate": (options.get("onupdate") or "").upper() or None,
    }


def _index(index: dict[str, Any]) -> dict[str, Any]:
    options = index.get("dialect_options") or {}
    where = options.get("postgresql_where", options.get("sqlite_where"))
    return {
        "name": index["name"],
        "columns": [c for c in index["column_names"] if c is not None],
        "expressions": [_words(e) for e in index.get("expressions") or [] if e is not None],
        "unique": bool(index["unique"]),
        "where": _words(where) if where is not None else None,
        "using": options.get("postgresql_using"),  # gin, gist, hash... (btree is the default: None)
    }


def reflect_tables(
    inspector: sa.Inspector, schema: str | None, names: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Tables of one schema as plain data: columns by name, keys, indexes and constraints, sorted.

    Uses the Inspector's ``get_multi_*`` calls: one query per kind on PostgreSQL.
    """
    if names == []:
        return {}
    multi = {
        kind: _multi(inspector, kind, schema, names)
        for kind in ("columns", "pk_constraint", "foreign_keys", "indexes", "unique_constraints", "check_constraints")
    }
    multi["primary_key"] = multi.pop("pk_constraint")
    tables = {}
    for key, columns in multi["columns"].items():
        primary_key = multi["primary_key"].get(key) or {}
        tables[qualified(key[1], schema)] = {
            "columns": {column["name"]: _column(column) for column in columns},
            "primary_key": {
                "name": primary_key.get("name"),
                "columns": list(primary_key.get("constrained_columns") or []),
            },
            "foreign_keys": _sorted(_foreign_key(fk) for fk in multi["foreign_keys"].get(key, [])),
            "indexes": _sorted(
                _index(index)
                for index in multi["indexes"].get(key, [])
                if not index.get("duplicates_constraint")
            ),
            "unique_constraints": _sorted(
                {"name": unique.get("name"), "columns": list(unique["column_names"])}
                for unique in multi["unique_constraints"].get(key, [])
            ),
            "check_constraints": _sorted(
                {"name": check.get("name"), "sqltext": _words(check["sqltext"])}
                for check in multi["check_constraints"].get(key, [])
            ),
        }
    return tables


def _multi(inspector: sa.Inspector, kind: str, schema: str | None, names: list[str] | None) -> dict:
    """``get_multi_<kind>``, except for a few SQLite tables, where per-table calls are cheaper."""
    if names is not None and inspector.dialect.name == "sqlite":
        single = getattr(inspector, f"get_{kind}")
        return {(schema, name): single(name, schema=schema) for name in names}
    return getattr(inspector, f"get_multi_{kind}")(schema=schema, filter_names=names)


def reflect(bind: sa.Engine | sa.Connection, only: Iterable[str] | None = None) -> dict[str, Any]:
    """The schema as plain data, keyed by object: ``table:[schema.]name``, ``view:...``,
    ``enum:...`` (PostgreSQL), ``sequence:...``. ``only`` limits it to some of those keys."""
    inspector = sa.inspect(bind)
    wanted = None if only is None else set(only)
    objects: dict[str, Any] = {}

    def keep(key: str) -> bool:
        return wanted is None or key in wanted

    for schema in user_schemas(inspector):
        tables = [t for t in inspector.get_table_names(schema=schema) if keep(f"table:{qualified(t, schema)}")]
        for name, table in reflect_tables(inspector, schema, tables).items():
            objects[f"table:{name}"] = table
        for view in inspector.get_view_names(schema=schema):
            if keep(f"view:{qualified(view, schema)}"):
                definition = inspector.get_view_definition(view, schema=schema)
                objects[f"view:{qualified(view, schema)}"] = {"definition": _words(definition)}
        if inspector.dialect.name != "sqlite":
            for sequence in inspector.get_sequence_names(schema=schema):
                if keep(f"sequence:{qualified(sequence, schema)}"):
                    objects[f"sequence:{qualified(sequence, schema)}"] = {}
    if hasattr(inspector, "get_enums"):
        for enum in inspector.get_enums(schema="*"):
            schema = None if enum["schema"] == inspector.default_schema_name else enum["schema"]
            key = f"enum:{qualified(enum['name'], schema)}"
            if keep(key):
                objects[key] = {"labels": list(enum["labels"])}
    return objects


_SQLITE_FINGERPRINT = "SELECT type, name, tbl_name, sql FROM sqlite_master"

# One row per object with a text that changes whenever the object's definition changes. The
# Inspector has no call for "what changed"; this catalog query exists only so that a snapshot
# after each revision reflects the few objects that changed instead of the whole schema.
_POSTGRES_FINGERPRINT = """
SELECT CASE WHEN c.relkind IN ('v', 'm') THEN 'view:' WHEN c.relkind = 'S' THEN 'sequence:'
            ELSE 'table:' END
       || CASE WHEN n.nspname = current_schema() THEN '' ELSE n.nspname || '.' END || c.relname,
       md5(concat_ws('|',
         (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' '
                 || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), ''),
                 ',' ORDER BY a.attname)
          FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
         (SELECT string_agg(k.conname || ' ' || pg_get_constraintdef(k.oid), ',' ORDER BY k.conname)
          FROM pg_constraint k WHERE k.conrelid = c.oid),
         (SELECT string_agg(pg_get_indexdef(i.indexrelid), ',' ORDER BY 1)
          FROM pg_index i WHERE i.indrelid = c.oid),
         CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname <> 'information_schema'
  AND left(n.nspname, 3) <> 'pg_'
UNION ALL
SELECT 'enum:' || CASE WHEN n.nspname = current_schema() THEN '' ELSE n.nspname || '.' END
       || t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
GROUP BY n.nspname, t.typname
"""


def fingerprint(connection: sa.Connection) -> dict[str, str] | None:
    """Object key -> a text that changes when the object changes; None if the dialect has none.

    Read through the DBAPI cursor: it runs after every migration step, on every table.
    """
    dialect = connection.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return None
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(_SQLITE_FINGERPRINT if dialect == "sqlite" else _POSTGRES_FINGERPRINT)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if dialect == "postgresql":
        return dict(rows)
    prints: dict[str, str] = {}
    for type_, name, table, sql in rows:
        if sql is None or name.startswith("sqlite_"):
            continue
        key = f"view:{name}" if type_ == "view" else f"table:{table}"
        prints[key] = prints.get(key, "") + sql + ";"
    return prints


class Snapshot:
    """The schema at one point: reflected objects plus the fingerprint they were read at."""

    def __init__(self, objects: dict[str, Any], prints: dict[str, str] | None) -> None:
        self.objects = objects
        self.prints = prints

    @classmethod
    def take(
        cls, connection: sa.Connection, *known: Snapshot | None, skip: Iterable[str] = ()
    ) -> Snapshot:
        """Reflect the schema, re-reading only the objects whose fingerprint matches none of the
        ``known`` snapshots (an object with the same definition text has the same schema)."""
        prints = fingerprint(connection)
        if prints is not None:
            prints = {key: value for key, value in prints.items() if key not in skip}
        known = tuple(k for k in known if k is not None and k.prints is not None)
        if prints is None or not known:
            objects = reflect(connection, prints)
            return cls({k: v for k, v in objects.items() if k not in skip}, prints)
        objects, changed = {}, set()
        for key, value in prints.items():
            match = next((k for k in known if k.prints.get(key) == value and key in k.objects), None)  # type: ignore[union-attr]
            if match is None:
                changed.add(key)
            else:
                objects[key] = match.objects[key]
        objects.update(reflect(connection, changed) if changed else {})
        return cls(objects, prints)

    def view(self) -> SchemaView:
        return SchemaView(self.objects)


class SchemaView:
    """A frozen reflection of a database, with small accessors for readable assertions."""

    def __init__(self, objects: dict[str, Any]) -> None:
        self.objects = objects

    @property
    def tables(self) -> set[str]:
        return {key[6:] for key in self.objects if key.startswith("table:")}

    @property
    def views(self) -> set[str]:
        return {key[5:] for key in self.objects if key.startswith("view:")}

    @property
    def sequences(self) -> set[str]:
        return {key[9:] for key in self.objects if key.startswith("sequence:")}

    @property
    def enums(self) -> dict[str, list[str]]:
        return {key[5:]: value["labels"] for key, value in self.objects.items() if key.startswith("enum:")}

    def __contains__(self, table: str) -> bool:
        return f"table:{table}" in self.objects

    def table(self, table: str) -> dict[str, Any]:
        assert table in self, f"table {table!r} does not exist; tables: {sorted(self.tables)}"
        return self.objects[f"table:{table}"]

    def columns(self, table: str) -> dict[str, dict[str, Any]]:
        return self.table(table)["columns"]

    def column(self, table: str, column: str) -> dict[str, Any]:
        columns = self.columns(table)
        assert column in columns, f"{table}.{column} does not exist; columns: {sorted(columns)}"
        return columns[column]

    def primary_key(self, table: str) -> list[str]:
        return self.table(table)["primary_key"]["columns"]

    def foreign_keys(self, table: str) -> list[dict[str, Any]]:
        return self.table(table)["foreign_keys"]

    def indexes(self, table: str) -> dict[str, dict[str, Any]]:
        return {index["name"]: index for index in self.table(table)["indexes"]}

    def unique_constraints(self, table: str) -> list[dict[str, Any]]:
        return self.table(table)["unique_constraints"]

    def check_constraints(self, table: str) -> list[dict[str, Any]]:
        return self.table(table)["check_constraints"]

    def find_foreign_key(self, table: str, columns: list[str]) -> dict[str, Any] | None:
        """The foreign key of ``table`` on exactly these columns, if any."""
        return next((fk for fk in self.foreign_keys(table) if fk["columns"] == columns), None)

    def find_unique(self, table: str, columns: list[str]) -> dict[str, Any] | None:
        """The unique constraint (or unique index) of ``table`` on exactly these columns, if any."""
        found = [u for u in self.unique_constraints(table) if u["columns"] == columns]
        found += [i for i in self.table(table)["indexes"] if i["unique"] and i["columns"] == columns]
        return found[0] if found else None

    def find_check(self, table: str, name_or_sql: str) -> dict[str, Any] | None:
        """The check constraint of ``table`` with this name (or this SQL text), if any."""
        wanted = " ".join(name_or_sql.split())
        return next((c for c in self.check_constraints(table) if wanted in (c["name"], c["sqltext"])), None)


# --------------------------------------------------------------------------- running revisions


class MigrationRunner:
    """Runs revisions one migration step at a time through the project's env.py.

    ``alembic.command.upgrade`` re-reads every revision file on each call; with hundreds of
    revisions a per-revision loop would be quadratic. The runner reads the ScriptDirectory once
    and hands env.py the steps to run, built with Alembic's ``MigrationStep``.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.script = ScriptDirectory.from_config(config)
        self.order = topological_order(self.script)
        self.version_table = "alembic_version"
        # (table, its fingerprint) -> the table reflected for reading and writing rows
        self.row_tables: dict[tuple[str, str], sa.Table] = {}

    @property
    def version_key(self) -> str:
        """The key of the version table in a reflection (left out of every snapshot)."""
        return f"table:{self.version_table}"

    def step(self, revision: str, *, upgrade: bool) -> MigrationStep:
        script = self.script.get_revision(revision)
        if upgrade:
            return MigrationStep.upgrade_from_script(self.script.revision_map, script)
        return MigrationStep.downgrade_from_script(self.script.revision_map, script)

    def upgrade(self, url: sa.URL | str, revision: str) -> None:
        """Run the upgrade of ``revision`` alone (what it needs must already be applied)."""
        self.run(url, lambda context: iter([self.step(revision, upgrade=True)]))

    def downgrade(self, url: sa.URL | str, revision: str) -> None:
        """Run the downgrade of ``revision`` alone (it must be a current head)."""
        self.run(url, lambda context: iter([self.step(revision, upgrade=False)]))

    def parents(self, revision: str) -> set[str]:
        """The revisions ``revision`` directly needs: its down revisions and its depends_on."""
        script = self.script.get_revision(revision)
        needed = itertools.chain(_as_tuple(script.down_revision), _as_tuple(script.dependencies))
        return {self.script.get_revision(parent).revision for parent in needed}

    def folders(self) -> list[str]:
        """The folders holding revision files."""
        return [str(p) for p in self.script.version_locations] or [os.path.join(self.script.dir, "versions")]

    def run(self, url: sa.URL | str, steps: Callable[[Any], Iterator[MigrationStep]]) -> None:
        """One run of env.py on ``url``; ``steps(migration_context)`` yields the steps to run.

        The steps are taken one at a time, so the iterator may look at the database (through
        ``migration_context.connection``) between two steps.
        """
        ran: list[bool] = []

        def migrations(heads: Any, context: Any) -> Iterator[MigrationStep]:
            connected_to = context.connection.engine.url
            if not same_database(connected_to, url):
                raise EnvironmentIgnoresURL(
                    "env.py connected to "
                    f"{connected_to.render_as_string(hide_password=True)} instead of the scratch "
                    f"database {make_url(url).render_as_string(hide_password=True)} it was given"
                )
            self.version_table = context.version_table
            ran.append(True)
            return steps(context)

        self.config.set_main_option("sqlalchemy.url", url_to_string(url).replace("%", "%%"))
        engine = new_engine(url)
        try:
            with engine.connect() as connection:
                self.config.attributes["connection"] = connection
                guard = _connect_guard(url)
                sa.event.listen(sa.Engine, "do_connect", guard)
                try:
                    with EnvironmentContext(self.config, self.script, fn=migrations):
                        self.script.run_env()
                finally:
                    sa.event.remove(sa.Engine, "do_connect", guard)
                if connection.in_transaction():
                    connection.commit()
        finally:
            self.config.attributes.pop("connection", None)
            engine.dispose()
        if not ran:
            raise HarnessError("env.py returned without running migrations (is it in offline mode?)")


def _connect_guard(url: sa.URL | str) -> Callable[..., None]:
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


def topological_order(script: ScriptDirectory) -> list[str]:
    """Every revision id, each after all it needs (down revisions and depends_on).

    Alembic's own walk order (reversed) decides between revisions that do not depend on
    each other, so the order is stable for a given history.
    """
    walk = [s.revision for s in reversed(list(script.walk_revisions()))]
    rank = {revision: index for index, revision in enumerate(walk)}
    needs = {}
    for revision in walk:
        found = script.get_revision(revision)
        parents = itertools.chain(_as_tuple(found.down_revision), _as_tuple(found.dependencies))
        needs[revision] = {script.get_revision(p).revision for p in parents}
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(walk):
        ready = min((r for r in walk if r not in done and needs[r] <= done), key=rank.__getitem__)
        order.append(ready)
        done.add(ready)
    return order


def _as_tuple(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


# --------------------------------------------------------------------------- scratch databases


class ScratchServer:
    """Creates, copies and drops throwaway databases; :meth:`close` drops all it made."""

    def __init__(self) -> None:
        self.prefix = "mig_" + uuid.uuid4().hex[:10]
        self.created: list[str] = []

    @staticmethod
    def for_url(server_url: str | None, folder: str) -> ScratchServer:
        """SQLite files in ``folder`` when no URL (or a SQLite one) is given, else a server."""
        backend = make_url(server_url).get_backend_name() if server_url else "sqlite"
        if backend == "sqlite":
            return SQLiteScratch(folder)
        if backend == "postgresql":
            return PostgresScratch(server_url)
        raise HarnessError(f"scratch databases on {backend} are not supported (use SQLite or PostgreSQL)")

    def url(self, name: str) -> sa.URL:
        raise NotImplementedError

    def create(self, name: str) -> sa.URL:
        raise NotImplementedError

    def copy(self, source: str, name: str) -> sa.URL:
        raise NotImplementedError

    def drop(self, name: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        for name in reversed(list(self.created)):
            self.drop(name)


class SQLiteScratch(ScratchServer):
    """SQLite files in one folder; a copy is a file copy."""

    def __init__(self, folder: str) -> None:
        super().__init__()
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    def _path(self, name: str) -> str:
        return os.path.join(self.folder, f"{self.prefix}_{name}.db")

    def url(self, name: str) -> sa.URL:
        return sa.URL.create("sqlite", database=self._path(name))

    def create(self, name: str) -> sa.URL:
        open(self._path(name), "wb").close()
        self.created.append(name)
        return self.url(name)

    def copy(self, source: str, name: str) -> sa.URL:
        shutil.copyfile(self._path(source), self._path(name))
        self.created.append(name)
        return self.url(name)

    def drop(self, name: str) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                os.remove(self._path(name) + suffix)
            except FileNotFoundError:
                pass
        if name in self.created:
            self.created.remove(name)


class PostgresScratch(ScratchServer):
    """Databases on a PostgreSQL server; a copy is ``CREATE DATABASE ... TEMPLATE``."""

    def __init__(self, server_url: str) -> None:
        super().__init__()
        self.server_url = make_url(server_url)
        self.admin = sa.create_engine(self.server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")

    def url(self, name: str) -> sa.URL:
        return self.server_url.set(database=f"{self.prefix}_{name}")

    def _execute(self, statement: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(statement)

    def create(self, name: str) -> sa.URL:
        self._execute(f'CREATE DATABASE "{self.prefix}_{name}"')
        self.created.append(name)
        return self.url(name)

    def copy(self, source: str, name: str) -> sa.URL:
        self._execute(f'CREATE DATABASE "{self.prefix}_{name}" TEMPLATE "{self.prefix}_{source}"')
        self.created.append(name)
        return self.url(name)

    def drop(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.prefix}_{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def close(self) -> None:
        super().close()
        self.admin.dispose()


def scratch_folder() -> str:
    """A new temporary folder, in memory (/dev/shm) where the system has one."""
    memory = "/dev/shm"
    base = memory if os.path.isdir(memory) and os.access(memory, os.W_OK) else None
    return tempfile.mkdtemp(prefix="migrations-", dir=base)


# --------------------------------------------------------------------------- one database


class Database:
    """One scratch database: run a revision on it, read its schema, seed and read rows."""

    def __init__(self, runner: MigrationRunner, url: sa.URL, name: str = "") -> None:
        self.runner = runner
        self.url = url
        self.name = name
        self.engine = new_engine(url)
        self._tables: dict[str, sa.Table] = {}  # reflected for rows; forgotten when the schema may change
        self._prints: dict[str, str] | None = None  # the fingerprint they were reflected at

    def _schema_may_change(self) -> None:
        self._tables.clear()
        self._prints = None

    def upgrade(self, revision: str) -> None:
        """Run the upgrade of ``revision`` on this database."""
        self._schema_may_change()
        self.runner.upgrade(self.url, revision)

    def downgrade(self, revision: str) -> None:
        """Run the downgrade of ``revision`` on this database."""
        self._schema_may_change()
        self.runner.downgrade(self.url, revision)

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
        columns); ``without`` leaves out columns whose values are not reproducible (timestamps)."""
        with self.engine.connect() as connection:
            reflected = self._table(connection, table)
            order = list(reflected.primary_key.columns) or list(reflected.columns)
            columns = [c for c in reflected.columns if c.name not in set(without)]
            result = connection.execute(sa.select(*columns).order_by(*order))
            return [dict(row) for row in result.mappings()]

    def execute(self, statement: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one SQL statement in its own transaction; return its rows, if any, as dicts."""
        self._schema_may_change()
        with self.engine.begin() as connection:
            result = connection.execute(sa.text(statement), parameters or {})
            return [dict(row) for row in result.mappings()] if result.returns_rows else []

    def dispose(self) -> None:
        self.engine.dispose()


# --------------------------------------------------------------------------- the whole history


class MigrationHistory:
    """Databases at every point of a history, built once, plus every downgrade run once.

    Revisions are taken in topological order (bases first). ``after(r)`` is the state after
    every revision up to ``r`` in that order, ``before(r)`` the state just before ``r``. A
    revision whose upgrade fails is skipped with everything that needs it; other branches go on.

    The history is applied in runs of :attr:`CHECKPOINT_EVERY` revisions (one env.py run each,
    reading the schema between steps) and a template database is kept after each run; any
    other state is made on demand from the nearest template.

    Downgrades run newest first in one env.py run: for each revision its downgrade, then (with
    ``round_trips``) an upgrade again and the downgrade once more, reading the schema between
    steps. Where a downgrade raises or does not restore the previous schema, the walk starts
    again from the state just before that revision, so one broken downgrade hides nothing else.
    """

    CHECKPOINT_EVERY = 8
    EMPTY = ""  # the key of the state before any revision

    def __init__(
        self,
        config: Config,
        server_url: str | None = None,
        *,
        folder: str | None = None,
        round_trips: bool = True,
        needed: Iterable[str] | None = None,
        on_upgraded: Callable[[str], None] | None = None,
    ) -> None:
        self.runner = MigrationRunner(config)
        self.folder = folder or scratch_folder()
        self._own_folder = folder is None
        self.scratch = ScratchServer.for_url(server_url, self.folder)
        self.round_trips = round_trips
        self.needed = None if needed is None else set(needed) & set(self.runner.order)
        self.on_upgraded = on_upgraded
        self.upgrade_errors: dict[str, str] = {}  # revision -> why it has no state
        self.downgrade_errors: dict[str, str] = {}
        self.round_trip_errors: dict[str, str] = {}
        self.applied: list[str] = []  # revisions with a state, in order
        self._rank = {revision: index for index, revision in enumerate(self.runner.order)}
        self._applied_at: dict[str, int] = {}  # revision -> its index in applied
        self._snapshots: dict[str, Snapshot] = {self.EMPTY: Snapshot({}, {})}  # state key -> schema
        self._templates: dict[str, str] = {self.EMPTY: "empty"}  # state key -> template database
        self._downgraded: dict[str, Snapshot] = {}
        self._round_trips: dict[str, Snapshot] = {}
        self._position = 0  # index in order of the next revision to apply
        self._walked = False
        self._names = itertools.count()
        self.scratch.create("empty")

    @property
    def order(self) -> list[str]:
        return self.runner.order

    # ---- building the states

    def build(self, until: str | None = None) -> None:
        """Apply the history up to ``until`` (default: all of it), keeping templates."""
        index = len(self.order) - 1 if until is None else self._rank[until]
        while self._position <= index:
            chunk: list[str] = []
            while self._position < len(self.order) and len(chunk) < self.CHECKPOINT_EVERY:
                revision = self.order[self._position]
                self._position += 1
                blocked = sorted(self.runner.parents(revision) & set(self.upgrade_errors))
                if blocked:
                    self.upgrade_errors[revision] = f"needs {blocked[0]}, which could not be applied"
                else:
                    chunk.append(revision)
            if chunk:
                self._apply(chunk)

    def _apply(self, chunk: list[str]) -> None:
        start = self.applied[-1] if self.applied else self.EMPTY
        database = self._copy(self._templates[start])
        done: list[str] = []
        current = [chunk[0]]

        def steps(context: Any) -> Iterator[MigrationStep]:
            previous = self._snapshots[start]
            for revision in chunk:
                current[0] = revision
                yield self.runner.step(revision, upgrade=True)
                previous = Snapshot.take(context.connection, previous, skip=[self.runner.version_key])
                self._snapshots[revision] = previous
                done.append(revision)

        try:
            self.runner.run(database.url, steps)
        except EnvironmentIgnoresURL:
            self._discard(database)
            raise
        except Exception as error:  # the migration's own failure: record it, redo the rest
            self._discard(database)
            failed = current[0]
            self.upgrade_errors[failed] = describe_error(error, self.runner.folders())
            self._position = self._rank[failed] + 1
            if done:
                self._apply(done)
            return
        database.dispose()
        for revision in chunk:
            self._applied_at[revision] = len(self.applied)
            self.applied.append(revision)
        self._templates[chunk[-1]] = database.name
        if self.on_upgraded is not None:
            for revision in chunk:
                self.on_upgraded(revision)

    def _state_before(self, revision: str) -> str:
        self.build(revision)
        if revision in self.upgrade_errors:
            raise MigrationFailed(f"upgrade of {revision} failed: {self.upgrade_errors[revision]}")
        index = self._applied_at[revision]
        return self.applied[index - 1] if index else self.EMPTY

    def _state_after(self, revision: str) -> str:
        self._state_before(revision)
        return revision

    def _template(self, state: str) -> str:
        """The template database holding ``state``, made from the nearest one if needed."""
        if state not in self._templates:
            index = self._applied_at[state]
            base = next(
                (i for i in range(index - 1, -1, -1) if self.applied[i] in self._templates), -1
            )
            database = self._copy(self._templates[self.applied[base] if base >= 0 else self.EMPTY])
            missing = self.applied[base + 1 : index + 1]
            self.runner.run(database.url, lambda context: (self.runner.step(r, upgrade=True) for r in missing))
            database.dispose()
            self._templates[state] = database.name
        return self._templates[state]

    def _copy(self, template: str) -> Database:
        name = f"db{next(self._names)}"
        return Database(self.runner, self.scratch.copy(template, name), name)

    def _discard(self, database: Database) -> None:
        database.dispose()
        self.scratch.drop(database.name)

    # ---- what tests use

    def database_before(self, revision: str) -> Database:
        """A fresh database in the state just before ``revision``."""
        return self._copy(self._template(self._state_before(revision)))

    def database_after(self, revision: str) -> Database:
        """A fresh database in the state right after the upgrade of ``revision``."""
        return self._copy(self._template(self._state_after(revision)))

    def schema_before(self, revision: str) -> SchemaView:
        return self._snapshots[self._state_before(revision)].view()

    def schema_after(self, revision: str) -> SchemaView:
        return self._snapshots[self._state_after(revision)].view()

    def schema_after_downgrade(self, revision: str) -> SchemaView:
        """The schema after the downgrade of ``revision``, run right after its upgrade."""
        self._state_after(revision)
        self.walk_downgrades()
        if revision in self.downgrade_errors:
            raise MigrationFailed(f"downgrade of {revision} failed: {self.downgrade_errors[revision]}")
        return self._downgraded[revision].view()

    def schema_after_round_trip(self, revision: str) -> SchemaView:
        """The schema after upgrade, downgrade and upgrade again of ``revision`` (made on
        demand when the walk ran without round trips)."""
        self.schema_after_downgrade(revision)
        if revision not in self._round_trips and revision not in self.round_trip_errors:
            database = self._copy(self._template(revision))
            try:
                self._walk(database, [revision], round_trip=True)
            finally:
                self._discard(database)
        if revision in self.round_trip_errors:
            raise MigrationFailed(
                f"upgrade of {revision} after its downgrade failed: {self.round_trip_errors[revision]}"
            )
        return self._round_trips[revision].view()

    # ---- the downgrade walk

    def walk_downgrades(self) -> None:
        """Run every downgrade once, newest first (with a round trip each, if asked); with
        ``needed``, only the downgrades of those revisions."""
        if self._walked:
            return
        if self.needed is None:
            self.build()
        elif self.needed:
            self.build(max(self.needed, key=self._rank.__getitem__))
        self._walked = True
        pending = [r for r in reversed(self.applied) if self.needed is None or r in self.needed]
        while pending:
            database = self._copy(self._template(pending[0]))
            try:
                pending = self._walk(database, pending)
            finally:
                self._discard(database)

    def _walk(self, database: Database, pending: list[str], round_trip: bool | None = None) -> list[str]:
        """Walk down from the state after ``pending[0]``; return what is left to walk."""
        round_trip = self.round_trips if round_trip is None else round_trip
        position = {"revision": pending[0], "phase": "downgrade"}
        skip = [self.runner.version_key]

        def steps(context: Any) -> Iterator[MigrationStep]:
            here = pending[0]  # the database is in the state after this revision
            last = self._snapshots[here]  # ... whose schema was read as this
            for revision in pending:
                if revision != here:
                    return  # the next one to walk is further down: start again from its template
                here = self._state_before(revision)
                position.update(revision=revision, phase="downgrade")
                before, after = self._snapshots[here], self._snapshots[revision]
                yield self.runner.step(revision, upgrade=False)
                # Fingerprints are compared with this database's own last reading first: a table
                # batch mode rebuilt has other SQL text than in the forward pass, same schema.
                self._downgraded[revision] = last = Snapshot.take(context.connection, last, before, skip=skip)
                if last.objects != before.objects:
                    return  # off the known path: start again from the state before it
                if not round_trip:
                    continue
                position["phase"] = "round trip"
                yield self.runner.step(revision, upgrade=True)
                self._round_trips[revision] = again = Snapshot.take(context.connection, after, last, skip=skip)
                if again.objects != after.objects:
                    return
                position["phase"] = "downgrade"
                yield self.runner.step(revision, upgrade=False)

        try:
            self.runner.run(database.url, steps)
        except EnvironmentIgnoresURL:
            raise
        except Exception as error:
            errors = self.round_trip_errors if position["phase"] == "round trip" else self.downgrade_errors
            errors.setdefault(position["revision"], describe_error(error, self.runner.folders()))
        return pending[pending.index(position["revision"]) + 1 :]

    def close(self) -> None:
        self.scratch.close()
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)
