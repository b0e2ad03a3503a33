"""The schema a history starts from: ``--initial-schema MODULE:ATTR`` for a base revision that expects tables.

Many applications create their first tables with ``metadata.create_all()`` and then ``alembic stamp``;
their first revision alters tables it never created. Such a history starts from the application's
own schema, named as ``MODULE:ATTR`` (importable from the project root): a ``MetaData``, a ``Table``,
an object with a ``.metadata`` (a declarative base), or a callable taking a SQLAlchemy Connection. Several
are applied in the order given.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from .errors import InitialSchemaError

HINT = ("give MODULE:ATTR importable from the project root: a sqlalchemy MetaData (app.models:metadata), a "
        "declarative base (app.models:Base), or a function taking a Connection (app.db:create_schema)")


def initial_schema(specs: Sequence[str], root: str) -> Callable[[sa.Connection], None]:
    """One function that applies every spec to a connection (each checked and imported now)."""
    makers = [_maker(spec, root) for spec in specs]

    def apply(connection: sa.Connection) -> None:
        for spec, make in zip(specs, makers):
            try:
                make(connection)
            except Exception as error:  # the application's code: said as what it is
                raise InitialSchemaError(f"--initial-schema {spec} failed on the scratch database: "
                                   f"{type(error).__name__}: {error}") from error

    return apply


def _maker(spec: str, root: str) -> Callable[[sa.Connection], Any]:
    value = _resolve(spec, root)
    if isinstance(value, sa.Table):
        return value.create
    metadata = value if isinstance(value, sa.MetaData) else getattr(value, "metadata", None)
    if isinstance(metadata, sa.MetaData):
        return metadata.create_all
    if callable(value):
        return value
    raise InitialSchemaError(f"--initial-schema {spec} is a {type(value).__name__}: not a MetaData, a declarative base "
                       f"or a function. {HINT}")


def _resolve(spec: str, root: str) -> Any:
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise InitialSchemaError(f"--initial-schema {spec!r} is not of the form MODULE:ATTR. {HINT}")
    added = root not in sys.path
    if added:
        sys.path.insert(0, root)
    try:
        value: Any = importlib.import_module(module_name)
    except (Exception, SystemExit) as error:  # noqa: BLE001 - the application's module: its failure said as is
        what = f"no module named {error.name!r}" if isinstance(error, ModuleNotFoundError) else (
            f"{type(error).__name__}: {error}")
        raise InitialSchemaError(f"--initial-schema {spec}: cannot import {module_name} ({what}). {HINT}") from None
    finally:
        if added:
            sys.path.remove(root)
    for part in attribute.split("."):
        if not hasattr(value, part):
            owner = getattr(value, "__name__", module_name)
            raise InitialSchemaError(f"--initial-schema {spec}: {owner} has no attribute {part!r}. {HINT}")
        value = getattr(value, part)
    return value
