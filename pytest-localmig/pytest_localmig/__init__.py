"""pytest-localmig: the runtime of the Alembic migration tests that localmig generates.

Generated tests call the ``migrations`` fixture (a :class:`MigrationHistory`), the
:class:`Database` objects it hands out and :class:`SchemaView`; that is the fixture API, versioned
as ``API_VERSION`` (see the README). The rest is the harness localmig's own capture runs on, so
what a generated test sees is exactly what localmig measured.

Importing this package does not import pytest: the pytest glue is :mod:`pytest_localmig.plugin`.
"""

from .database import Database
from .errors import EnvironmentIgnoresURL, HarnessError, MigrationFailed
from .guard import connect_guard
from .history import MigrationHistory
from .reflect import default_of, qualified, reflect, reflect_tables, type_of, user_schemas
from .runner import MigrationRunner, describe_error, topological_order
from .scratch import PostgresScratch, ScratchServer, SQLiteScratch, scratch_folder
from .settings import ENV_FOLDER, RUNTIME_NAME, SETTINGS_NAME, SuiteSettings, incompatibility
from .snapshot import Snapshot, fingerprint
from .urls import new_engine, same_database, url_to_string
from .version import API_VERSION, FIRST_RELEASE, MIN_API_VERSION, __version__
from .views import SchemaView

__all__ = [
    "API_VERSION",
    "ENV_FOLDER",
    "FIRST_RELEASE",
    "MIN_API_VERSION",
    "RUNTIME_NAME",
    "SETTINGS_NAME",
    "Database",
    "EnvironmentIgnoresURL",
    "HarnessError",
    "MigrationFailed",
    "MigrationHistory",
    "MigrationRunner",
    "PostgresScratch",
    "SQLiteScratch",
    "SchemaView",
    "ScratchServer",
    "Snapshot",
    "SuiteSettings",
    "__version__",
    "connect_guard",
    "default_of",
    "describe_error",
    "fingerprint",
    "incompatibility",
    "new_engine",
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
