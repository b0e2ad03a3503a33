"""pytest-localmig: the runtime of the Alembic migration tests that localmig generates.

Generated tests call the ``migrations`` fixture (a :class:`MigrationHistory`), the
:class:`Database` objects it hands out and :class:`SchemaView`; that is the fixture API, versioned
as ``API_VERSION`` (see the README). The rest is the harness localmig's own capture runs on, so
what a generated test sees is exactly what localmig measured.

Importing this package imports neither pytest nor alembic nor sqlalchemy: each name below loads its
module on first use (PEP 562), so the plugin costs nothing in a session without a generated suite.
The pytest glue is :mod:`pytest_localmig.plugin`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import API_VERSION, FIRST_RELEASE, MIN_API_VERSION, __version__

if TYPE_CHECKING:
    from .database import Database
    from .errors import FULL_MARK, EnvironmentIgnoresURL, HarnessError, InitialSchemaError, MigrationFailed, ScratchFull
    from .guard import connect_guard
    from .history import MigrationHistory
    from .initial import initial_schema
    from .reflection import default_of, qualified, reflect, reflect_tables, type_of, user_schemas
    from .rows import ordered_rows
    from .runner import MigrationRunner, describe_error, topological_order
    from .scratch import PostgresScratch, ScratchServer, SQLiteScratch, scratch_folder
    from .settings import ENV_FOLDER, RUNTIME_NAME, SETTINGS_NAME, SuiteSettings, incompatibility
    from .snapshot import Snapshot, fingerprint
    from .urls import new_engine, same_database, url_to_string
    from .views import SchemaView

_LAZY = {
    "Database": "database",
    "ordered_rows": "rows",
    "EnvironmentIgnoresURL": "errors",
    "HarnessError": "errors",
    "InitialSchemaError": "errors",
    "MigrationFailed": "errors",
    "ScratchFull": "errors",
    "FULL_MARK": "errors",
    "connect_guard": "guard",
    "MigrationHistory": "history",
    "initial_schema": "initial",
    "default_of": "reflection",
    "qualified": "reflection",
    "reflect": "reflection",
    "reflect_tables": "reflection",
    "type_of": "reflection",
    "user_schemas": "reflection",
    "MigrationRunner": "runner",
    "describe_error": "runner",
    "topological_order": "runner",
    "PostgresScratch": "scratch",
    "ScratchServer": "scratch",
    "SQLiteScratch": "scratch",
    "scratch_folder": "scratch",
    "ENV_FOLDER": "settings",
    "RUNTIME_NAME": "settings",
    "SETTINGS_NAME": "settings",
    "SuiteSettings": "settings",
    "incompatibility": "settings",
    "Snapshot": "snapshot",
    "fingerprint": "snapshot",
    "new_engine": "urls",
    "same_database": "urls",
    "url_to_string": "urls",
    "SchemaView": "views",
}

__all__ = [
    "API_VERSION",
    "ENV_FOLDER",
    "FIRST_RELEASE",
    "FULL_MARK",
    "MIN_API_VERSION",
    "RUNTIME_NAME",
    "SETTINGS_NAME",
    "Database",
    "EnvironmentIgnoresURL",
    "HarnessError",
    "InitialSchemaError",
    "MigrationFailed",
    "MigrationHistory",
    "MigrationRunner",
    "PostgresScratch",
    "SQLiteScratch",
    "SchemaView",
    "ScratchFull",
    "ScratchServer",
    "Snapshot",
    "SuiteSettings",
    "__version__",
    "connect_guard",
    "default_of",
    "describe_error",
    "fingerprint",
    "incompatibility",
    "initial_schema",
    "new_engine",
    "ordered_rows",
    "qualified",
    "reflect",
    "reflect_tables",
    "same_database",
    "scratch_folder",
    "topological_order",
    "type_of",
    "url_to_string",
    "user_schemas",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
