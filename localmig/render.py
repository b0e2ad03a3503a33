"""Turn test plans into pytest files: one module per revision plus a shared conftest.py.

Generated files import only pytest, alembic, sqlalchemy and the standard library. Each starts
with a one-line header (``# localmig: {...}``) recording the generator, the revision, the hash
of the migration source and the hash of the file's own body, so localmig can tell current,
stale and hand-edited files apart without ever hiding staleness inside the tests.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from . import __version__
from .outcomes import ExpectedModule, PlannedTest
from .plan import TestCase, TestPlan
from .project import BUILTIN_ENV, ProjectSettings, RevisionInfo
from .schema import SchemaDiff

HEADER_PREFIX = "# localmig: "
CONFTEST = "conftest.py"
ENV_FOLDER = "alembic_env"
MAX_LISTED = 25  # changes listed in a module's docstring

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
    edited_in_review: bool = Field(False, description="A person edited the body in the review app and accepted it; "
                                                      "the body hash covers the edited body, so the file is current.")
    body_sha256: str = ""


def module_name(revision: RevisionInfo) -> str:
    """``test_<id>_<slug>.py``, a valid module name for any revision id: characters other than
    letters, digits and ``_`` become ``_`` (plus a short hash then, so ``v1.4.0`` and ``v1_4_0``
    stay apart); the header and ``REVISION`` keep the real id."""
    safe = re.sub(r"[^0-9A-Za-z_]", "_", revision.id)
    if safe != revision.id:
        safe += "_" + hashlib.sha256(revision.id.encode()).hexdigest()[:6]
    return f"test_{safe}_{revision.slug}.py"


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def with_header(header: FileHeader, body: str) -> str:
    header = header.model_copy(update={"body_sha256": body_hash(body)})
    # edited_in_review is recorded only when true, so headers of generated files stay as they were
    fields = header.model_dump(exclude=set() if header.edited_in_review else {"edited_in_review"})
    return HEADER_PREFIX + json.dumps(fields, separators=(", ", ": ")) + "\n" + body


def read_header(text: str) -> tuple[FileHeader | None, str]:
    """The header of a generated file and the body after it (None if it has no header)."""
    first, _, body = text.partition("\n")
    if not first.startswith(HEADER_PREFIX):
        return None, text
    try:
        return FileHeader.model_validate_json(first[len(HEADER_PREFIX) :]), body
    except ValueError:
        return None, text


def generated_files(folder: Path) -> dict[str, Path]:
    """Revision id -> the generated test module in ``folder`` that its header names (a module
    keeps belonging to its revision when the revision's message, and so its slug, changes)."""
    found: dict[str, Path] = {}
    for path in sorted(folder.glob("test_*.py")) if folder.is_dir() else []:
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                first = handle.readline()
        except OSError:
            continue
        header, _ = read_header(first)
        if header is not None and header.revision and header.revision not in found:
            found[header.revision] = path
    return found


def file_status(path: Path, revision: RevisionInfo | None = None) -> FileStatus:
    """Whether a generated file is missing, current, stale (migration changed) or hand-edited
    (a body edited in the review app and accepted has a rewritten header: current)."""
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


class RenderedTest(BaseModel):
    """One test function as source, rendered once; ``xfail`` adds its marker when the module is put together."""

    name: str
    aspect: str
    engine: str
    source: str = Field(description="The def line, docstring and body.")


class RenderedModule(BaseModel):
    """A revision's module in parts: its tests are rendered once, and the file is put together
    from the tests that are kept (:meth:`text`), so what is written is what was run."""

    model_config = ConfigDict(frozen=True)

    revision: RevisionInfo
    intro: list[str] = Field(description="Docstring lines after the title: file, measured changes.")
    notes: list[str] = Field(default_factory=list)
    imports: list[str] = Field(default_factory=list)
    tests: list[RenderedTest] = Field(default_factory=list)
    header: FileHeader

    @property
    def filename(self) -> str:
        return module_name(self.revision)

    def expected(self, keep: Iterable[str] | None = None) -> ExpectedModule:
        """What verification must see of this module: every kept test, by name."""
        chosen = self._chosen(keep)
        return ExpectedModule(revision=self.revision.id, tests={
            t.name: PlannedTest(aspect=t.aspect, engine=t.engine) for t in chosen})

    def _chosen(self, keep: Iterable[str] | None) -> list[RenderedTest]:
        if keep is None:
            return list(self.tests)
        wanted = set(keep)
        return [t for t in self.tests if t.name in wanted]

    def text(self, findings: Iterable[str] = (), keep: Iterable[str] | None = None,
             xfail: dict[str, str] | None = None) -> str:
        """The module file, header included: the kept tests (all by default), ``xfail`` markers
        (test name -> reason), and the findings its tests expose in the docstring."""
        revision, xfail = self.revision, xfail or {}
        chosen = self._chosen(keep)
        lines = list(self.intro)
        findings = list(findings)
        if findings:
            lines.append("Findings (defects of the migration that tests below expose):")
            lines += [f"- {finding}" for finding in findings]
        lines += [f"Note: {note}" for note in self.notes]
        lines += ["", "Generated by localmig. Edit freely: localmig never overwrites a file whose body was edited."]
        title = f"Tests for Alembic revision {revision.id}: {revision.message or '(no message)'}"
        docstring = "\n".join(_escape_docstring(line) for line in [title, *lines])
        text = [f'"""{docstring}\n"""', ""]
        imports = set(self.imports) | ({"import pytest"} if any(t.name in xfail for t in chosen) else set())
        if imports:
            text += sorted(imports) + [""]
        text += ["", f"REVISION = {revision.id!r}", ""]
        for test in chosen:
            text.append("")
            if test.name in xfail:
                text.append(f"@pytest.mark.xfail(reason={xfail[test.name]!r}, strict=False)")
            text.append(test.source)
            text.append("")
        body = "\n".join(text).rstrip() + "\n"
        compile(body, self.filename, "exec")  # a rendering bug must never reach a user's disk
        header = self.header.model_copy(update={
            "engines": sorted({t.engine for t in chosen}),
            "aspects": {t.name: t.aspect for t in chosen},
        })
        return with_header(header, body)


def render_plan(
    revision: RevisionInfo,
    diff: SchemaDiff | None,
    plan: TestPlan,
    *,
    dialect: str,
    model: str | None = None,
    prompts_version: str | None = None,
    options_sha256: str | None = None,
) -> RenderedModule:
    """The module of one revision, each test rendered once."""
    intro = ["", f"Revision file: {revision.path}"]
    if diff is not None and diff.changes:
        intro.append(f"What the upgrade changes (measured on {dialect}):")
        changes = diff.describe()
        intro += [f"- {line}" for line in changes[:MAX_LISTED]]
        if len(changes) > MAX_LISTED:
            intro.append(f"- ... and {len(changes) - MAX_LISTED} more (each has its own test below)")
    elif diff is not None:
        intro.append(f"The upgrade changes no schema object (measured on {dialect}).")
    tests = [RenderedTest(name=test.name, aspect=test.aspect, engine=test.engine, source=_function(test))
             for test in plan.tests]
    header = FileHeader(revision=revision.id, source_sha256=revision.source_sha256, model=model,
                        prompts_version=prompts_version, options_sha256=options_sha256)
    return RenderedModule(revision=revision, intro=intro, notes=list(plan.notes), imports=list(plan.imports),
                          tests=tests, header=header)


def _function(test: TestCase) -> str:
    lines = [f"def {test.name}(migrations):"]
    if test.docstring:
        lines.append(f'    """{_escape_docstring(test.docstring)}"""')
    lines += ["    " + line if line.strip() else "" for line in test.body.splitlines()]
    return "\n".join(lines)


def render_module(revision: RevisionInfo, diff: SchemaDiff | None, plan: TestPlan, *, dialect: str,
                  findings: Iterable[str] = (), **model: str | None) -> str:
    """The pytest module of one revision as a file, every test kept (see :func:`render_plan`)."""
    rendered = render_plan(revision, diff, plan, dialect=dialect, **model)
    xfail = {t.name: t.xfail for t in plan.tests if t.xfail}
    return rendered.text(findings, xfail=xfail)


def _escape_docstring(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


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


HARNESS = Path(__file__).with_name("harness.py")


def _harness_code() -> str:
    """The harness module without its docstring and __future__ import (the conftest has its own)."""
    source = HARNESS.read_text(encoding="utf-8")
    tree = ast.parse(source)
    first = tree.body[1] if isinstance(tree.body[0], ast.Expr) else tree.body[0]
    lines = source.splitlines()[first.lineno - 1 :]
    return "\n".join(line for line in lines if line != "from __future__ import annotations").strip() + "\n"


CONFTEST_TEMPLATE = '''"""Fixtures for the migration tests that localmig generated.

The ``migrations`` fixture (one per session) applies the history once, keeping a template
database after every revision, runs every downgrade once, and gives tests fresh copies, so
the suite never replays the history per test. The code below the fixture's settings is
localmig's migration harness, copied here so that these tests need only pytest, alembic and
sqlalchemy.

Database: a temporary SQLite file by default. To run on PostgreSQL, point the suite at a
server where it may create databases (it creates and drops its own):

    pytest {suite} --migration-db-url postgresql+psycopg://user@localhost/postgres
    MIGRATION_TEST_DATABASE_URL=postgresql+psycopg://... pytest {suite}

The project's own sqlalchemy.url is never used.
"""

from __future__ import annotations

import pytest

# Where the Alembic project is, relative to this folder (override: --migration-project-root).
PROJECT_ROOT = {project_root!r}
CONFIG_KIND = {kind!r}  # "ini", "pyproject" or "versions"
CONFIG_FILE = {config_file!r}  # relative to PROJECT_ROOT
INI_SECTION = {ini_section!r}
VERSION_FOLDERS = {version_folders!r}  # relative to PROJECT_ROOT
BUILTIN_ENV = {builtin_env!r}  # run on the env.py in ./{env_folder} instead of the project's
METADATA = {metadata!r}  # module:attribute of a MetaData for the built-in env.py
# The database the tests' expectations were measured on (types and defaults differ between
# databases): the suite refuses to run on another one.
MEASURED_ON = {measured_on!r}


def pytest_addoption(parser):
    group = parser.getgroup("migrations", "generated migration tests")
    group.addoption("--migration-db-url", default=None, help="a PostgreSQL server URL for scratch databases")
    group.addoption("--migration-project-root", default=None, help="the Alembic project, if not at PROJECT_ROOT")


def migration_config(pytest_config) -> Config:
    """The project's Alembic Config (its database URL is replaced on every run)."""
    here = os.path.dirname(os.path.abspath(__file__))
    root = _option(pytest_config, "--migration-project-root") or os.path.join(here, PROJECT_ROOT)
    if CONFIG_KIND == "ini":
        config = Config(os.path.join(root, CONFIG_FILE), ini_section=INI_SECTION)
    elif CONFIG_KIND == "pyproject":
        config = Config(toml_file=os.path.join(root, CONFIG_FILE))
    else:
        config = Config()
    if BUILTIN_ENV:
        config.set_main_option("script_location", os.path.join(here, {env_folder!r}))
        config.set_main_option("path_separator", "os")
        folders = [os.path.join(root, folder) for folder in VERSION_FOLDERS]
        config.set_main_option("version_locations", os.pathsep.join(folders))
        if METADATA:
            config.set_main_option("localmig.metadata", METADATA)
    return config


_NEEDED = pytest.StashKey()


def pytest_collection_modifyitems(session, config, items):
    """Note the revisions the collected tests are about (the history builds and walks only
    those) and run the tests in history order, so each database state is made from the last."""
    revisions = [getattr(getattr(item, "module", None), "REVISION", None) for item in items]
    needed = set(revisions)
    needed.discard(None)
    config.stash[_NEEDED] = needed
    url = _database_url(config)
    running_on = make_url(url).get_backend_name() if url else "sqlite"
    if needed and running_on != MEASURED_ON:
        run = "without --migration-db-url" if MEASURED_ON == "sqlite" else f"with --migration-db-url set to a {{MEASURED_ON}} server"
        generate = "localmig generate PATH" + ("" if running_on == "sqlite" else " --db-url URL")
        raise pytest.UsageError(
            f"these migration tests were generated from a run of the migrations on {{MEASURED_ON}}; their "
            f"expectations (types, defaults) do not hold on {{running_on}}. Run them {{run}}, or generate "
            f"them again on {{running_on}}: {{generate}}"
        )
    if needed:
        order = topological_order(ScriptDirectory.from_config(migration_config(config)))
        rank = dict((revision, index) for index, revision in enumerate(order))
        position = dict((id(item), index) for index, item in enumerate(items))
        items.sort(key=lambda item: (rank.get(getattr(getattr(item, "module", None), "REVISION", None), -1),
                                     position[id(item)]))


def _option(pytest_config, name):
    try:
        return pytest_config.getoption(name)
    except ValueError:  # the options are registered only when this folder is given to pytest
        return None


def _database_url(pytest_config):
    """The PostgreSQL server to use, or None for SQLite."""
    return _option(pytest_config, "--migration-db-url") or os.environ.get("MIGRATION_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def migrations(request) -> MigrationHistory:
    """The history at every revision; see MigrationHistory below."""
    config = request.config
    history = MigrationHistory(migration_config(config), _database_url(config), needed=config.stash.get(_NEEDED, None))
    yield history
    history.close()


# ---------------------------------------------------------------------------------------------
# localmig's migration harness (localmig/harness.py), copied verbatim.
# ---------------------------------------------------------------------------------------------

'''


def render_conftest(layout: SuiteLayout, suite: str = "tests/migrations") -> str:
    head = CONFTEST_TEMPLATE.format(
        suite=suite,
        project_root=layout.project_root,
        kind=layout.kind,
        config_file=layout.config_file,
        ini_section=layout.ini_section,
        version_folders=layout.version_folders,
        builtin_env=layout.builtin_env,
        metadata=layout.metadata,
        measured_on=layout.measured_on,
        env_folder=ENV_FOLDER,
    )
    body = head + _harness_code()
    compile(body, CONFTEST, "exec")
    return with_header(FileHeader(engines=["harness"]), body)


def suite_files(layout: SuiteLayout, suite: str = "tests/migrations") -> dict[str, str]:
    """The shared files of a suite: conftest.py and, for the built-in env, its env.py."""
    files = {CONFTEST: render_conftest(layout, suite)}
    if layout.builtin_env:
        for name in ("env.py", "script.py.mako"):
            files[f"{ENV_FOLDER}/{name}"] = (BUILTIN_ENV / name).read_text(encoding="utf-8")
    return files
