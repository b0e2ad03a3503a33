"""Reading a schema: SQLAlchemy's Inspector output as plain, comparable dictionaries.

Types are dialect-neutral strings (``String(length=50)``), server defaults lose their dialect
noise (outer parentheses, ``::casts``), and every list is sorted, so two reflections of the same
schema compare equal and a test can assert on them with ``==``.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

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


_SKIPPED_INDEX = re.compile(r"Skipped unsupported reflection of expression-based index (\S+)")


def reflect_tables(
    inspector: sa.Inspector, schema: str | None, names: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Tables of one schema as plain data: columns by name, keys, indexes and constraints, sorted.

    Uses the Inspector's ``get_multi_*`` calls: one query per kind on PostgreSQL.
    """
    if names == []:
        return {}
    with warnings.catch_warnings():  # expression-based indexes are read from the catalog (_sqlite_indexes)
        warnings.filterwarnings("ignore", message=_SKIPPED_INDEX.pattern, category=sa.exc.SAWarning)
        multi = {
            kind: _multi(inspector, kind, schema, names)
            for kind in ("columns", "pk_constraint", "foreign_keys", "indexes", "unique_constraints",
                         "check_constraints")
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
    if kind == "indexes" and inspector.dialect.name == "sqlite":
        return _sqlite_indexes(inspector, schema, names)
    if names is not None and inspector.dialect.name == "sqlite":
        single = getattr(inspector, f"get_{kind}")
        return {(schema, name): single(name, schema=schema) for name in names}
    return getattr(inspector, f"get_multi_{kind}")(schema=schema, filter_names=names)


def _sqlite_indexes(inspector: sa.Inspector, schema: str | None, names: list[str] | None) -> dict:
    """Indexes as SQLAlchemy reflects them, plus the expression-based ones its SQLite dialect skips
    (with a warning per index and reflection): those are read from the catalog by name, their
    expressions the index's own SQL text, so they are compared and tested like any other index."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", sa.exc.SAWarning)
        if names is None:
            found = inspector.get_multi_indexes(schema=schema)
        else:
            found = {(schema, name): inspector.get_indexes(name, schema=schema) for name in names}
    skipped = []
    for warning in caught:
        match = _SKIPPED_INDEX.search(str(warning.message))
        if match:
            skipped.append(match.group(1))
        else:  # not ours to hide
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    if skipped:
        master = f"{inspector.dialect.identifier_preparer.quote(schema)}.sqlite_master" if schema else "sqlite_master"
        bind = inspector.bind
        with bind.connect() if isinstance(bind, sa.Engine) else contextlib.nullcontext(bind) as connection:
            rows = connection.exec_driver_sql(
                f"SELECT name, tbl_name, sql FROM {master} WHERE type = 'index' AND name IN "
                f"({', '.join('?' for _ in skipped)})", tuple(skipped)).all()
        for name, table, sql in rows:
            if (schema, table) in found:
                unique = _words(sql).upper().startswith("CREATE UNIQUE")
                found[(schema, table)].append({"name": name, "column_names": [], "unique": unique,
                                               "expressions": [_index_body(sql)], "dialect_options": {}})
    return found


def _index_body(sql: str) -> str:
    """What a CREATE INDEX indexes: the text between the parentheses after ``ON table``."""
    start = sql.find("(")
    return sql[start:] if start >= 0 else sql


def reflect(bind: sa.Engine | sa.Connection, only: Iterable[str] | None = None) -> dict[str, Any]:
    """The schema as plain data, keyed by object: ``table:[schema.]name``, ``view:...``,
    ``enum:...`` (PostgreSQL), ``sequence:...``. ``only`` limits it to some of those keys."""
    inspector = sa.inspect(bind)
    wanted = None if only is None else set(only)
    objects: dict[str, Any] = {}

    def keep(key: str) -> bool:
        return wanted is None or key in wanted

    if wanted is not None and inspector.dialect.name in ("sqlite", "postgresql"):
        return _reflect_named(inspector, wanted)
    for schema in user_schemas(inspector):
        tables = [t for t in inspector.get_table_names(schema=schema) if keep(f"table:{qualified(t, schema)}")]
        for name, table in reflect_tables(inspector, schema, tables).items():
            objects[f"table:{name}"] = table
        views = inspector.get_view_names(schema=schema)
        if inspector.dialect.name == "postgresql":  # the fingerprint keys them as views too
            views += inspector.get_materialized_view_names(schema=schema)
        for view in views:
            if keep(f"view:{qualified(view, schema)}"):
                definition = inspector.get_view_definition(view, schema=schema)
                objects[f"view:{qualified(view, schema)}"] = {"definition": _words(definition)}
        if inspector.dialect.name != "sqlite":
            for sequence in inspector.get_sequence_names(schema=schema):
                if keep(f"sequence:{qualified(sequence, schema)}"):
                    objects[f"sequence:{qualified(sequence, schema)}"] = {}
    objects.update(_enums(inspector, keep))
    return objects


def _enums(inspector: sa.Inspector, keep: Callable[[str], bool]) -> dict[str, Any]:
    """The enum types (PostgreSQL) whose keys ``keep`` accepts."""
    if not hasattr(inspector, "get_enums"):
        return {}
    found = {}
    for enum in inspector.get_enums(schema="*"):
        schema = None if enum["schema"] == inspector.default_schema_name else enum["schema"]
        key = f"enum:{qualified(enum['name'], schema)}"
        if keep(key):
            found[key] = {"labels": list(enum["labels"])}
    return found


def _reflect_named(inspector: sa.Inspector, wanted: set[str]) -> dict[str, Any]:
    """:func:`reflect` of the objects named, without listing the schema first: the keys come from
    the catalog fingerprint just read (listing every table, view, sequence and enum again to find
    the few asked for cost O(schema) per step, five queries on PostgreSQL)."""
    dotted = any("." in key for key in wanted)
    schemas = set(user_schemas(inspector)) if dotted and inspector.dialect.name != "sqlite" else {None}
    by_kind: dict[str, dict[str | None, list[str]]] = {}
    for key in sorted(wanted):
        kind, _, name = key.partition(":")
        prefix, _, bare = name.partition(".")
        schema: str | None = prefix
        if not bare or prefix not in schemas:  # a dot in a name of the default schema
            schema, bare = None, name
        by_kind.setdefault(kind, {}).setdefault(schema, []).append(bare)
    objects: dict[str, Any] = {}
    for in_schema, names in by_kind.get("table", {}).items():
        for name, table in reflect_tables(inspector, in_schema, names).items():
            objects[f"table:{name}"] = table
    for in_schema, names in by_kind.get("view", {}).items():
        for view in names:
            definition = inspector.get_view_definition(view, schema=in_schema)
            objects[f"view:{qualified(view, in_schema)}"] = {"definition": _words(definition)}
    for in_schema, names in by_kind.get("sequence", {}).items():
        objects.update({f"sequence:{qualified(name, in_schema)}": {} for name in names})
    if "enum" in by_kind:
        objects.update(_enums(inspector, wanted.__contains__))
    return objects
