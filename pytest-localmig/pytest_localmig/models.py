"""Do the application's models match the history at head? Alembic's autogenerate compares them.

env.py's ``target_metadata`` (localmig's built-in env.py sets it from ``--metadata``) is compared
with a database the history built, through ``alembic.autogenerate.compare_metadata``, as
pytest-alembic's ``model_definitions_match_ddl`` does. Each difference is said in words.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata

from .runner import MigrationRunner


def differences_from_models(runner: MigrationRunner, url: sa.URL | str) -> list[str] | None:
    """The differences between env.py's ``target_metadata`` and the database at ``url`` (which env.py
    is run on, with no step), in words; None when env.py sets no ``target_metadata`` or one without
    tables (a MetaData given only for its naming conventions)."""
    found: list[list[str]] = []

    def steps(context: Any) -> Iterator[Any]:
        metadata = context.opts.get("target_metadata")
        every = metadata if isinstance(metadata, (list, tuple)) else [metadata] if metadata is not None else []
        if any(getattr(m, "tables", None) for m in every):  # a MetaData with no table (naming conventions) is no model
            with warnings.catch_warnings():  # SQLite: expression-based indexes cannot be compared
                warnings.filterwarnings("ignore", message="autogenerate skipping metadata-specified expression-based")
                warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
                found.append([describe(d) for d in compare_metadata(context, metadata)])
        return iter(())

    runner.run(url, steps)
    return found[0] if found else None


def describe(difference: Any) -> str:
    """One entry of ``compare_metadata`` as a sentence (what the models have against the database)."""
    if isinstance(difference, list):  # modify_* entries come grouped per column
        return "; ".join(describe(d) for d in difference)
    kind = difference[0]
    if kind in ("add_table", "remove_table"):
        where = "the models only" if kind == "add_table" else "the database only"
        return f"table {difference[1].name} is in {where}"
    if kind in ("add_column", "remove_column"):
        where = "the models only" if kind == "add_column" else "the database only"
        return f"column {difference[2]}.{difference[3].name} is in {where}"
    if kind in ("add_index", "remove_index", "add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        item = difference[1]
        where = "the models only" if kind.startswith("add") else "the database only"
        what = {"index": "index", "constraint": "constraint", "fk": "foreign key"}[kind.split("_", 1)[1]]
        table = getattr(getattr(item, "table", None), "name", None) or getattr(item, "parent", None)
        columns = ", ".join(c.name for c in getattr(item, "columns", []))
        return f"{what} {item.name or ''} on {table}({columns}) is in {where}".replace("  ", " ")
    if kind.startswith("modify_"):
        _, _schema, table, column, _options, database, models = difference
        what = kind.removeprefix("modify_")
        return f"{table}.{column} {what}: {database!r} in the database, {models!r} in the models"
    return repr(difference)
