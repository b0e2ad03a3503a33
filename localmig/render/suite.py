"""The shared files of a suite: a conftest of settings for pytest-localmig (or, vendored, a copy of the runtime)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel, Field
from pytest_localmig import API_VERSION, ENV_FOLDER, FIRST_RELEASE
from pytest_localmig import __version__ as RUNTIME_VERSION
from pytest_localmig.vendor import runtime_source

from ..project import BUILTIN_ENV, ProjectSettings
from ..wrap import LIMIT, wrap_code
from .headers import CONFTEST, FileHeader, with_header


class SuiteLayout(BaseModel):
    """Where the suite's files point to, relative to the suite folder (so it runs on any clone)."""

    kind: str
    project_root: str = Field(description="The project root, relative to the suite folder.")
    config_file: str | None = Field(None, description="alembic.ini / pyproject.toml, relative to the project root.")
    ini_section: str = "alembic"
    version_folders: list[str] = Field(default_factory=list, description="Relative to the project root.")
    builtin_env: bool = False
    metadata: str | None = None
    initial_schema: list[str] = Field(default_factory=list, description="MODULE:ATTR the history starts from.")
    measured_on: str = Field("sqlite", description="The dialect the tests' expectations were measured on.")

    @classmethod
    def for_project(cls, settings: ProjectSettings, out: Path, dialect: str = "sqlite") -> SuiteLayout:
        root = settings.root.resolve()
        return cls(
            kind=settings.kind,
            project_root=_posix(os.path.relpath(root, out.resolve())),
            config_file=_posix(os.path.relpath(settings.config_file, root)) if settings.config_file else None,
            ini_section=settings.ini_section,
            version_folders=[_posix(os.path.relpath(Path(p).resolve(), root)) for p in settings.version_folders],
            builtin_env=settings.builtin_env or settings.kind == "versions",
            metadata=settings.metadata,
            initial_schema=settings.initial_schema,
            measured_on=dialect,
        )


def _posix(path: str) -> str:
    return path.replace(os.sep, "/")


VENDORED_RUNTIME = "_localmig_runtime.py"


def _requires() -> str:
    """The requirement a suite written now needs: a pytest-localmig that provides its API version."""
    return f"pytest-localmig>={FIRST_RELEASE.get(API_VERSION, RUNTIME_VERSION)}"


# LOCALMIG_SUITE: (key, the comment after its value); pytest-localmig's README describes every key.
_SETTINGS = [
    ("api_version", "the pytest-localmig fixture API these tests call"),
    ("requires", "a runtime that provides it"),
    ("project_root", "the Alembic project, from this folder (or --migration-project-root)"),
    ("config_kind", '"ini", "pyproject" or "versions" (a folder of revision files)'),
    ("config_file", "from project_root"),
    ("ini_section", ""),
    ("version_folders", "from project_root"),
    ("builtin_env", f"True: run on the env.py in ./{ENV_FOLDER} instead of the project's"),
    ("metadata", "module:attribute of a MetaData for the built-in env.py"),
    ("initial_schema", "MODULE:ATTR the history starts from (a create_all() base)"),
    ("measured_on", "the database the tests' expectations were measured on"),
]


def _literal(value: object) -> str:
    """A settings value as Python source, strings in double quotes like the keys."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    return repr(value)


def _settings(values: dict[str, object]) -> str:
    lines = ["LOCALMIG_SUITE = {"]
    for key, comment in _SETTINGS:
        if key not in values:
            continue
        line = f"    {json.dumps(key)}: {_literal(values[key])},"
        if comment and len(line) + 3 + len(comment) <= LIMIT:
            line += f"  # {comment}"
        lines.append(line)
    return "\n".join([*lines, "}"])


CONFTEST_TEMPLATE = '''"""Settings of the migration tests that localmig generated; the pytest-localmig plugin runs them.

Install it where the tests run: pip install '{requires}'. Database: a temporary SQLite file; on a
PostgreSQL server the suite creates and drops its own databases (never the project's sqlalchemy.url):

    pytest {suite} --migration-db-url postgresql+psycopg://user@localhost/postgres

(or MIGRATION_TEST_DATABASE_URL). Options, fixtures and these settings: pytest-localmig's README.
"""

import importlib.util

import pytest

{settings}

if importlib.util.find_spec("pytest_localmig") is None:  # say so, not "fixture 'migrations' not found"

    @pytest.fixture
    def migrations():
        pytest.fail(f"these tests need the pytest-localmig plugin: pip install '{{LOCALMIG_SUITE['requires']}}'")
'''

VENDORED_CONFTEST_TEMPLATE = '''"""Settings of the migration tests that localmig generated, and their runtime (pytest-localmig).

The installed pytest-localmig runs them if it provides their API; else its copy in {runtime} here
does (localmig generate --vendor). Database: SQLite; or a PostgreSQL server, where the suite creates
and drops its own databases: pytest {suite} --migration-db-url postgresql+psycopg://user@host/postgres
"""

import importlib.util
import pathlib
import sys

{settings}


def _runtime():
    path = pathlib.Path(__file__).with_name({runtime!r})
    spec = importlib.util.spec_from_file_location(f"_localmig_runtime_{{abs(hash(path))}}", path)
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LOCALMIG_RUNTIME = _runtime()
pytest_addoption, pytest_configure, migrations = LOCALMIG_RUNTIME.vendored_conftest(__file__, LOCALMIG_SUITE)
'''


def render_conftest(layout: SuiteLayout, suite: str = "tests/migrations", *, vendor: bool = False) -> str:
    """The suite's conftest.py: its settings (LOCALMIG_SUITE) and, vendored, the loading of its own runtime."""
    requires = _requires()
    settings = _settings({
        "api_version": API_VERSION,
        "requires": requires,
        "project_root": layout.project_root,
        "config_kind": layout.kind,
        "config_file": layout.config_file,
        "ini_section": layout.ini_section,
        "version_folders": layout.version_folders,
        "builtin_env": layout.builtin_env,
        "metadata": layout.metadata,
        **({"initial_schema": layout.initial_schema} if layout.initial_schema else {}),
        "measured_on": layout.measured_on,
    })
    template = VENDORED_CONFTEST_TEMPLATE if vendor else CONFTEST_TEMPLATE
    body = wrap_code(template.format(suite=suite, requires=requires, settings=settings, runtime=VENDORED_RUNTIME))
    compile(body, CONFTEST, "exec")
    return with_header(FileHeader(engines=["settings"], api_version=API_VERSION), body)


def render_runtime() -> str:
    """The vendored runtime: pytest-localmig's modules as one module (``localmig generate --vendor``)."""
    body = runtime_source()
    compile(body, VENDORED_RUNTIME, "exec")
    header = FileHeader(engines=["runtime"], runtime=f"pytest-localmig {RUNTIME_VERSION}", api_version=API_VERSION)
    return with_header(header, body)


def suite_files(layout: SuiteLayout, suite: str = "tests/migrations", *, vendor: bool = False) -> dict[str, str]:
    """The shared files of a suite: conftest.py, for the built-in env its env.py, and with ``vendor`` the
    runtime (for repositories that cannot install pytest-localmig)."""
    files = {CONFTEST: render_conftest(layout, suite, vendor=vendor)}
    if vendor:
        files[VENDORED_RUNTIME] = render_runtime()
    if layout.builtin_env:
        for name in ("env.py", "script.py.mako"):
            files[f"{ENV_FOLDER}/{name}"] = (BUILTIN_ENV / name).read_text(encoding="utf-8")
    return files


