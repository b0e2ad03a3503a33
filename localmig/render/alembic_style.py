"""Suites for pytest-alembic (``localmig generate --style pytest-alembic``): the same tests, run by its
``alembic_runner`` on its ``alembic_engine``, with no plugin of localmig's.

Beside the test modules: a conftest with the two fixtures pytest-alembic asks a project for (a
database per test; the project's Alembic config pointed at it) and ``localmig_schema.py``,
pytest-localmig's reading code (schema views, rows in a stable order) copied as one module, so
expected values measured by localmig hold. What pytest-alembic's runner cannot express — a
revision of a branched history (it walks one linear order), the models-vs-head test (pytest-alembic
has ``test_model_definitions_match_ddl``) — stays out, with the reason in the module's docstring.
"""

from __future__ import annotations

from pytest_localmig import __version__ as RUNTIME_VERSION
from pytest_localmig.vendor import PLAIN_HEAD, PLAIN_MODULES, runtime_source

from ..plan import TestCase
from ..wrap import wrap_code
from .headers import CONFTEST, FileHeader, with_header
from .suite import SuiteLayout
from .text import escape_docstring, function_docstring
from .translate import Translation, Untranslatable, translate

STYLE = "pytest-alembic"
SCHEMA_MODULE = "localmig_schema"
SCHEMA_FILE = f"{SCHEMA_MODULE}.py"


def alembic_function(test: TestCase) -> tuple[str, Translation]:
    """The test function for pytest-alembic and what its body calls (:class:`Untranslatable` if it cannot be)."""
    if test.aspect == "models":
        raise Untranslatable("pytest-alembic checks the models itself (test_model_definitions_match_ddl)")
    translation = translate(test.body)
    fixtures = "alembic_runner, alembic_engine" if translation.uses_engine else "alembic_runner"
    lines = [f"def {test.name}({fixtures}):"]
    if test.docstring:
        lines.append(function_docstring(escape_docstring(test.docstring)))
    lines += ["    " + line if line.strip() else "" for line in translation.body.splitlines()]
    return wrap_code("\n".join(lines) + "\n").rstrip("\n"), translation


def schema_import(helpers: set[str]) -> list[str]:
    return [f"from {SCHEMA_MODULE} import {', '.join(sorted(helpers))}"] if helpers else []


CONFTEST_TEMPLATE = '''"""Fixtures of the migration tests that localmig generated for pytest-alembic, which runs them.

pip install pytest-alembic; no other plugin. Each test gets its own database: a temporary SQLite file or, when
MIGRATION_TEST_DATABASE_URL names a PostgreSQL server, a database this conftest creates there and drops after the
test (never the project's sqlalchemy.url):

    MIGRATION_TEST_DATABASE_URL=postgresql+psycopg://user@localhost/postgres pytest {suite}

The tests' expected values were measured on {measured_on}. {schema_module}.py beside this file reads schemas and rows
as localmig does. Regenerate with: localmig generate --style pytest-alembic
"""

import os
import uuid
from pathlib import Path

import alembic.config
import pytest
import sqlalchemy

PROJECT_ROOT = Path(os.environ.get("MIGRATION_TEST_PROJECT_ROOT") or Path(__file__).parent / {project_root!r}).resolve()
CONFIG_FILE = {config_file!r}  # from PROJECT_ROOT
CONFIG_KIND = {kind!r}  # "ini" (alembic.ini) or "pyproject" (pyproject.toml)
INI_SECTION = {ini_section!r}


@pytest.fixture
def alembic_engine(tmp_path):
    """A Connection to this test's own database; pytest-alembic hands it to env.py as config.attributes["connection"]."""
    server = os.environ.get("MIGRATION_TEST_DATABASE_URL")
    admin = None
    if server:
        admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sqlalchemy.pool.NullPool)
        url = admin.url.set(database=f"migration_test_{{uuid.uuid4().hex[:16]}}")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{{url.database}}"')
    else:
        url = sqlalchemy.make_url(f"sqlite:///{{tmp_path / 'migrations.db'}}")
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{{url.database}}" WITH (FORCE)')
            admin.dispose()


@pytest.fixture
def alembic_config(alembic_engine):
    """The project's Alembic config, its sqlalchemy.url set to this test's database (for an env.py that reads it)."""
    if CONFIG_KIND == "pyproject":
        config = alembic.config.Config(toml_file=str(PROJECT_ROOT / CONFIG_FILE))
    else:
        config = alembic.config.Config(str(PROJECT_ROOT / CONFIG_FILE), ini_section=INI_SECTION)
    location = config.get_main_option("script_location")
    if location and ":" not in location and not Path(location).is_absolute():  # relative to the project, not cwd
        config.set_main_option("script_location", str(PROJECT_ROOT / location))
    url = alembic_engine.engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
'''


def refusal(layout: SuiteLayout) -> str | None:
    """Why this project cannot have a pytest-alembic suite; None when it can."""
    if layout.kind not in ("ini", "pyproject") or layout.builtin_env:
        return ("the pytest-alembic style runs the project's own env.py (an alembic.ini or pyproject.toml project "
                "without the built-in env)")
    if layout.initial_schema:
        return "the pytest-alembic style cannot start the history from --initial-schema"
    return None


def alembic_conftest(layout: SuiteLayout, suite: str = "tests/migrations") -> str:
    why = refusal(layout)
    if why:
        raise Untranslatable(why)
    body = CONFTEST_TEMPLATE.format(
        suite=suite, measured_on=layout.measured_on, schema_module=SCHEMA_MODULE, project_root=layout.project_root,
        config_file=layout.config_file or ("pyproject.toml" if layout.kind == "pyproject" else "alembic.ini"),
        kind=layout.kind, ini_section=layout.ini_section)
    body = wrap_code(body)
    compile(body, CONFTEST, "exec")
    return with_header(FileHeader(engines=["settings"], style=STYLE), body)


def schema_module() -> str:
    body = runtime_source(PLAIN_MODULES, PLAIN_HEAD)
    compile(body, SCHEMA_FILE, "exec")
    return with_header(FileHeader(engines=["runtime"], runtime=f"pytest-localmig {RUNTIME_VERSION}"), body)


def alembic_suite_files(layout: SuiteLayout, suite: str = "tests/migrations") -> dict[str, str]:
    """The shared files of a pytest-alembic suite: conftest.py and localmig_schema.py."""
    return {CONFTEST: alembic_conftest(layout, suite), SCHEMA_FILE: schema_module()}
