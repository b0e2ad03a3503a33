"""Turn test plans into pytest files: one module per revision plus a shared conftest.py.

Generated test modules import only pytest, alembic, sqlalchemy and the standard library; the
``migrations`` fixture they call comes from the pytest-localmig plugin, and the conftest holds
only the suite's settings (or, with ``vendor``, loads a copy of the runtime written beside it).
Each file starts with a header (``# localmig: {...}``, wrapped over a few comment lines)
recording the generator, the revision, the hash of the migration source and the hash of the
file's own body, so localmig can tell current, stale and hand-edited files apart without ever
hiding staleness inside the tests. Generated code is wrapped to ruff's line length of 120.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import sys
import textwrap
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pytest_localmig import API_VERSION, ENV_FOLDER, FIRST_RELEASE, SETTINGS_NAME, incompatibility
from pytest_localmig import __version__ as RUNTIME_VERSION
from pytest_localmig.vendor import runtime_source

from . import __version__
from .plan import TestPlan
from .project import BUILTIN_ENV, ProjectSettings, RevisionInfo
from .schema import SchemaDiff
from .wrap import LIMIT, wrap_code

HEADER_PREFIX = "# localmig: "
CONFTEST = "conftest.py"

FileStatus = Literal["missing", "current", "stale", "hand_edited", "not_generated"]


class FileHeader(BaseModel):
    """What a generated file records about how it was made."""

    generator: str = Field(default_factory=lambda: f"localmig {__version__}")
    revision: str | None = None
    source_sha256: str | None = Field(None, description="The migration file the tests were generated from.")
    engines: list[str] = Field(default_factory=list)
    model: str | None = None
    prompts_version: str | None = None
    options_sha256: str | None = Field(None, description="Model tag, options and prompts version the tests came from.")
    aspects: dict[str, str] = Field(default_factory=dict, description="test name -> what it exercises (for `check`).")
    runtime: str | None = Field(None, description="A vendored runtime: the pytest-localmig it is a copy of.")
    api_version: int | None = Field(None, description="The pytest-localmig fixture API a conftest or runtime is for.")
    body_sha256: str = ""


def module_name(revision: RevisionInfo) -> str:
    return f"test_{revision.id}_{revision.slug}.py"


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def with_header(header: FileHeader, body: str) -> str:
    """``body`` under its header: the header's JSON (fields that are None left out) on comment lines of
    at most 120 characters, each starting with ``# localmig: `` (broken after a comma between values)."""
    header = header.model_copy(update={"body_sha256": body_hash(body)})
    text = json.dumps(header.model_dump(exclude_none=True), separators=(", ", ": "))
    lines, current = [], ""
    for piece in _json_pieces(text):
        if current and len(HEADER_PREFIX) + len(current) + 1 + len(piece) > LIMIT:
            lines.append(HEADER_PREFIX + current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    lines.append(HEADER_PREFIX + current)
    return "\n".join(lines) + "\n" + body


def _json_pieces(text: str) -> list[str]:
    """JSON text cut after each ``, `` between values (never inside a string)."""
    pieces, start, in_string, escaped = [], 0, False, False
    for index, char in enumerate(text):
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char == "," and text[index + 1 : index + 2] == " ":
            pieces.append(text[start : index + 1])
            start = index + 2
    return [*pieces, text[start:]]


def read_header(text: str) -> tuple[FileHeader | None, str]:
    """The header of a generated file and the body after it (None if it has no header)."""
    lines = text.split("\n")
    count = 0
    while count < len(lines) - 1 and lines[count].startswith(HEADER_PREFIX):
        count += 1
    if not count:
        return None, text
    try:
        header = FileHeader.model_validate_json(" ".join(line[len(HEADER_PREFIX) :] for line in lines[:count]))
    except ValueError:
        return None, text
    return header, "\n".join(lines[count:])


def file_status(path: Path, revision: RevisionInfo | None = None) -> FileStatus:
    """Whether a generated file is missing, current, stale (migration changed) or hand-edited."""
    if not path.exists():
        return "missing"
    header, body = read_header(path.read_text(encoding="utf-8", errors="replace"))
    if header is None:
        return "not_generated"
    if body_hash(body) != header.body_sha256:
        return "hand_edited"
    if revision is not None and header.source_sha256 != revision.source_sha256:
        return "stale"
    return "current"


# --------------------------------------------------------------------------- test modules


def render_module(
    revision: RevisionInfo,
    diff: SchemaDiff | None,
    plan: TestPlan,
    *,
    dialect: str,
    findings: list[str] = (),  # type: ignore[assignment]
    model: str | None = None,
    prompts_version: str | None = None,
    options_sha256: str | None = None,
) -> str:
    """The pytest module of one revision, header included."""
    lines = [f'"""Tests for Alembic revision {revision.id}: {revision.message or "(no message)"}', ""]
    lines.append(f"Revision file: {revision.path}")
    if diff is not None and diff.changes:
        lines.append(f"What the upgrade changes (measured on {dialect}):")
        lines += [f"- {line}" for line in diff.describe()]
    elif diff is not None:
        lines.append(f"The upgrade changes no schema object (measured on {dialect}).")
    if findings:
        lines.append("Findings (defects of the migration that tests below expose):")
        lines += [f"- {finding}" for finding in findings]
    lines += [f"Note: {note}" for note in plan.notes]
    lines += ["", "Generated by localmig. Edit freely: localmig never overwrites a file whose body was edited.", '"""']
    docstring = "\n".join(_wrap_text(_escape_docstring(line)) for line in lines[1:-1])
    first = _wrap_text(lines[0], limit=LIMIT - 3)  # room for the closing quotes
    text = [first + ("\n" + docstring if docstring else "") + '\n"""', ""]
    imports = set(plan.imports) | ({"import pytest"} if any(t.xfail for t in plan.tests) else set())
    if imports:
        text += import_block(imports) + [""]
    else:
        text.append("")
    text += [f"REVISION = {revision.id!r}", ""]
    for test in plan.tests:
        text.append("")
        if test.xfail:
            text.append(f"@pytest.mark.xfail(reason={test.xfail!r}, strict=False)")
        text.append(f"def {test.name}(migrations):")
        if test.docstring:
            text.append(_test_docstring(_escape_docstring(test.docstring)))
        text += ["    " + line if line.strip() else "" for line in test.body.splitlines()]
        text.append("")
    body = wrap_code("\n".join(text).rstrip() + "\n")
    compile(body, module_name(revision), "exec")  # a rendering bug must never reach a user's disk
    engines = sorted({test.engine for test in plan.tests})
    header = FileHeader(
        revision=revision.id,
        source_sha256=revision.source_sha256,
        engines=engines,
        model=model,
        prompts_version=prompts_version,
        options_sha256=options_sha256,
        aspects={test.name: test.aspect for test in plan.tests},
    )
    return with_header(header, body)


def _escape_docstring(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _wrap_text(line: str, indent: str = "", limit: int = LIMIT) -> str:
    """A docstring line wrapped at ``limit`` (a ``- `` item's continuation lines indented under its text)."""
    if len(indent) + len(line) <= limit:
        return indent + line
    hanging = "  " if line.startswith("- ") else ""
    return "\n".join(textwrap.wrap(line, width=limit, initial_indent=indent, subsequent_indent=indent + hanging,
                                   break_long_words=False, break_on_hyphens=False))


def _test_docstring(text: str) -> str:
    """A test's docstring, indented in its function, its lines within the line length."""
    lines = []
    for number, line in enumerate(text.splitlines() or [""]):
        start = '    """' if number == 0 else "    "
        if len(start) + len(line) + 3 <= LIMIT:  # room for the closing quotes
            lines.append(start + line)
            continue
        lines += textwrap.wrap(line, width=LIMIT - 3, initial_indent=start, subsequent_indent="    ",
                               break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines) + '"""'


def import_block(imports: set[str] | list[str]) -> list[str]:
    """Import lines as isort (and ruff's I001) orders them: the standard library, then the rest;
    ``import x`` before ``from x import y``; imports from one module merged."""
    straight: dict[int, set[str]] = {0: set(), 1: set()}
    members: dict[int, dict[str, set[str]]] = {0: {}, 1: {}}
    for line in imports:
        for node in ast.parse(line).body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    section = _section(alias.name)
                    straight[section].add(alias.name + (f" as {alias.asname}" if alias.asname else ""))
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = members[_section(node.module)].setdefault(node.module, set())
                names.update(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
    block: list[str] = []
    for section in (0, 1):
        lines = [f"import {name}" for name in sorted(straight[section], key=str.lower)]
        for module in sorted(members[section], key=str.lower):
            names = sorted(members[section][module], key=_member_key)
            lines.append(f"from {module} import {', '.join(names)}")
        if lines and block:
            block.append("")
        block += lines
    return block


def _section(module: str) -> int:
    return 0 if module.split(".")[0] in sys.stdlib_module_names else 1


def _member_key(name: str) -> tuple[int, str]:
    """isort's order of imported names: CONSTANTS, then Classes, then functions."""
    bare = name.split(" ")[0]
    return (0 if bare.isupper() and len(bare) > 1 else 1 if bare[:1].isupper() else 2), bare.lower()


def plan_from_module(text: str) -> list[str]:
    """Names of the test functions in a generated module (for reports on existing files)."""
    tree = ast.parse(text)
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]


# --------------------------------------------------------------------------- conftest


class SuiteLayout(BaseModel):
    """Where the suite's files point to, relative to the suite folder (so it runs on any clone)."""

    kind: str
    project_root: str = Field(description="The project root, relative to the suite folder.")
    config_file: str | None = Field(None, description="alembic.ini / pyproject.toml, relative to the project root.")
    ini_section: str = "alembic"
    version_folders: list[str] = Field(default_factory=list, description="Relative to the project root.")
    builtin_env: bool = False
    metadata: str | None = None
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


_TEST_FILE = re.compile(r"^test_([0-9A-Za-z]+)_.*\.py$")


def revision_of_file(name: str) -> str | None:
    match = _TEST_FILE.match(name)
    return match.group(1) if match else None


# --------------------------------------------------------------------------- the runtime a suite was written for


class RuntimeProblem(BaseModel):
    """A suite written for another runtime than the installed pytest-localmig (``scan`` and ``check`` say so)."""

    message: str
    blocking: bool = Field(False, description="The installed runtime cannot run the suite at all.")


def suite_settings_of(text: str) -> dict | None:
    """The ``LOCALMIG_SUITE`` dict of a conftest's source (read, never run), or None."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == SETTINGS_NAME for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
    return None


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text.split()[-1])[:3])


def runtime_problems(out: Path) -> list[RuntimeProblem]:
    """What is wrong between the suite in ``out`` and the installed pytest-localmig (nothing if no suite)."""
    conftest = out / CONFTEST
    if not conftest.exists():
        return []
    text = conftest.read_text(encoding="utf-8", errors="replace")
    values = suite_settings_of(text)
    if values is None:
        header, _ = read_header(text)
        if header is not None and "harness" in header.engines:
            return [RuntimeProblem(message=f"{CONFTEST} carries a copy of the harness of an older localmig instead of "
                                           "using pytest-localmig: run `localmig generate` to rewrite it")]
        return []
    problems = []
    vendored = out / VENDORED_RUNTIME
    problem = incompatibility(values)
    if problem:
        problems.append(RuntimeProblem(message=f"{CONFTEST}: {problem}", blocking=not vendored.exists()))
    elif values.get("api_version") != API_VERSION:
        problems.append(RuntimeProblem(
            message=f"the suite was generated for the pytest-localmig fixture API {values.get('api_version')}; "
                    f"this localmig writes API {API_VERSION} (pytest-localmig {RUNTIME_VERSION}): "
                    "run `localmig generate` to bring it up to date"))
    if vendored.exists():
        header, _ = read_header(vendored.read_text(encoding="utf-8", errors="replace"))
        copied = header.runtime if header is not None and header.runtime else None
        if copied is None:
            problems.append(RuntimeProblem(message=f"{VENDORED_RUNTIME} has no localmig header: run "
                                                   "`localmig generate --vendor` to write it again"))
        elif _version(copied) < _version(RUNTIME_VERSION):
            problems.append(RuntimeProblem(
                message=f"{VENDORED_RUNTIME} is a copy of {copied}, older than the installed pytest-localmig "
                        f"{RUNTIME_VERSION}: run `localmig generate --vendor` to update it"))
    return problems
