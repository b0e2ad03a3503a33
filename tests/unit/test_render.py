"""Rendering generated files (localmig.render): headers, file states, modules, the conftest."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

from localmig import __version__
from localmig.plan import TestCase, TestPlan
from localmig.project import BUILTIN_ENV, load
from localmig.render import (
    CONFTEST,
    ENV_FOLDER,
    HEADER_PREFIX,
    FileHeader,
    SuiteLayout,
    _harness_code,
    body_hash,
    file_status,
    module_name,
    plan_from_module,
    read_header,
    render_conftest,
    render_module,
    suite_files,
    with_header,
)
from localmig.schema import ColumnInfo, SchemaChange, SchemaDiff


@pytest.fixture
def linear(project):
    return load(project("linear"))


def plan_of(revision: str) -> TestPlan:
    return TestPlan(
        revision=revision,
        tests=[
            TestCase(name="test_upgrade_adds_authors_email", aspect="upgrade", docstring='Says """hi""" and \\d.',
                     body="schema = migrations.schema_after(REVISION)\nassert 'email' in schema.columns('authors')"),
            TestCase(name="test_downgrade_drops_it", aspect="downgrade",
                     body="schema = migrations.schema_after_downgrade(REVISION)\n\nassert 'email' not in schema.columns('authors')"),
        ],
        imports=["import datetime"],
        notes=["a note"],
    )


# --------------------------------------------------------------------------- headers


def test_header_round_trip():
    header = FileHeader(revision="11ea02e8f1a4", source_sha256="ab" * 32, engines=["deterministic"])
    text = with_header(header, "print('x')\n")
    first, _, body = text.partition("\n")
    assert first.startswith(HEADER_PREFIX)
    assert body == "print('x')\n"
    read, read_body = read_header(text)
    assert read_body == body
    assert read == header.model_copy(update={"body_sha256": body_hash(body)})
    assert read.generator == f"localmig {__version__}"
    assert json.loads(first[len(HEADER_PREFIX):])["revision"] == "11ea02e8f1a4"


@pytest.mark.parametrize("text", ["import os\n", "# localmig: {not json\nbody\n", "", "# other: {}\n"])
def test_read_header_without_a_valid_header(text):
    assert read_header(text) == (None, text)


# --------------------------------------------------------------------------- file states


def test_file_status(tmp_path, linear):
    revision = linear.by_id["11ea02e8f1a4"]
    path = tmp_path / module_name(revision)
    assert file_status(path, revision) == "missing"
    path.write_text(render_module(revision, None, plan_of(revision.id), dialect="sqlite"))
    assert file_status(path, revision) == "current"
    assert file_status(path) == "current"
    changed = revision.model_copy(update={"source_sha256": "0" * 64})
    assert file_status(path, changed) == "stale"
    assert file_status(path) == "current"  # without a revision, staleness cannot be told
    path.write_text(path.read_text() + "\n# my own note\n")
    assert file_status(path, revision) == "hand_edited"
    assert file_status(path, changed) == "hand_edited"  # an edit wins over staleness
    path.write_text("def test_mine():\n    pass\n")
    assert file_status(path, revision) == "not_generated"


def test_file_status_of_a_real_changed_migration(tmp_path, project):
    root = project("linear")
    revision = load(root).by_id["11ea03c6d2b9"]
    path = tmp_path / module_name(revision)
    path.write_text(render_module(revision, None, plan_of(revision.id), dialect="sqlite"))
    migration = root / revision.path
    migration.write_text(migration.read_text().replace("ix_authors_email", "ix_authors_mail"))
    assert file_status(path, load(root).by_id["11ea03c6d2b9"]) == "stale"


# --------------------------------------------------------------------------- modules


def test_module_name_and_back(linear):
    revision = linear.by_id["11ea02e8f1a4"]
    name = module_name(revision)
    assert name == "test_11ea02e8f1a4_add_authors_email.py"


def test_rendered_module(linear):
    revision = linear.by_id["11ea02e8f1a4"]
    diff = SchemaDiff(changes=[SchemaChange(kind="add_column", table="authors", name="email",
                                            after=ColumnInfo(type="String(length=255)", nullable=True))])
    text = render_module(revision, diff, plan_of(revision.id), dialect="sqlite",
                         findings=['downgrade: boom """ here'])
    header, body = read_header(text)
    assert header.revision == "11ea02e8f1a4"
    assert header.source_sha256 == revision.source_sha256
    assert header.engines == ["deterministic"] and header.model is None
    assert header.body_sha256 == body_hash(body)
    tree = ast.parse(body)
    compile(body, "x.py", "exec")
    docstring = ast.get_docstring(tree)
    assert docstring.startswith("Tests for Alembic revision 11ea02e8f1a4: add authors.email")
    assert f"Revision file: {revision.path}" in docstring
    assert "- add column authors.email String(length=255) NULL" in docstring
    assert 'downgrade: boom """ here' in docstring
    assert "Note: a note" in docstring
    assert "import datetime" in body.splitlines()
    assert "REVISION = '11ea02e8f1a4'" in body.splitlines()
    assert plan_from_module(body) == ["test_upgrade_adds_authors_email", "test_downgrade_drops_it"]
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert [a.arg for a in functions["test_upgrade_adds_authors_email"].args.args] == ["migrations"]
    assert ast.get_docstring(functions["test_upgrade_adds_authors_email"]) == 'Says """hi""" and \\d.'
    assert "import localmig" not in text and "from localmig" not in text


def test_rendered_module_runs_against_a_fixture(linear):
    """The bodies are indented into real functions that use the ``migrations`` fixture."""
    revision = linear.by_id["11ea02e8f1a4"]
    _, body = read_header(render_module(revision, SchemaDiff(), plan_of(revision.id), dialect="sqlite"))
    assert "The upgrade changes no schema object (measured on sqlite)." in body
    namespace: dict = {}
    exec(compile(body, "m.py", "exec"), namespace)

    class Schema:
        def __init__(self, columns):
            self._columns = columns

        def columns(self, table):
            assert table == "authors"
            return self._columns

    class History:
        def schema_after(self, rev):
            assert rev == "11ea02e8f1a4"
            return Schema({"id": {}, "email": {}})

        def schema_after_downgrade(self, rev):
            return Schema({"id": {}, "email": {}})

    namespace["test_upgrade_adds_authors_email"](History())
    with pytest.raises(AssertionError):
        namespace["test_downgrade_drops_it"](History())


def test_a_body_that_does_not_compile_never_reaches_the_disk(linear):
    revision = linear.by_id["11ea02e8f1a4"]
    plan = TestPlan(revision=revision.id, tests=[TestCase(name="test_x", aspect="upgrade", body="assert (")])
    with pytest.raises(SyntaxError):
        render_module(revision, None, plan, dialect="sqlite")


def test_header_records_engines_model_settings_and_aspects(linear):
    revision = linear.by_id["11ea02e8f1a4"]
    plan = plan_of(revision.id)
    plan.tests[1].engine = "model"
    text = render_module(revision, None, plan, dialect="sqlite", model="m", prompts_version="1", options_sha256="ff")
    header, _ = read_header(text)
    assert header.engines == ["deterministic", "model"]
    assert (header.model, header.prompts_version, header.options_sha256) == ("m", "1", "ff")
    assert header.aspects == {"test_upgrade_adds_authors_email": "upgrade", "test_downgrade_drops_it": "downgrade"}
    header, _ = read_header(render_module(revision, None, plan_of(revision.id), dialect="sqlite"))
    assert header.engines == ["deterministic"] and header.model is None


def test_kept_failing_test_is_marked_xfail(linear):
    revision = linear.by_id["11ea02e8f1a4"]
    plan = plan_of(revision.id)
    plan.tests[1].xfail = "localmig: failed when generated: boom"
    _, body = read_header(render_module(revision, None, plan, dialect="sqlite"))
    lines = body.splitlines()
    assert "import pytest" in lines
    at = lines.index("def test_downgrade_drops_it(migrations):")
    assert lines[at - 1] == "@pytest.mark.xfail(reason='localmig: failed when generated: boom', strict=False)"
    assert lines[lines.index("def test_upgrade_adds_authors_email(migrations):") - 1] == ""


# --------------------------------------------------------------------------- the conftest


def test_conftest_is_relative_and_self_contained(project):
    root = project("linear")
    loaded = load(root)
    out = root / "tests" / "migrations"
    layout = SuiteLayout.for_project(loaded.settings, out)
    assert layout.project_root == "../.."
    assert layout.config_file == "alembic.ini"
    assert layout.version_folders == ["migrations/versions"]
    assert layout.builtin_env is False
    text = render_conftest(layout)
    header, body = read_header(text)
    assert header.engines == ["harness"] and header.revision is None
    compile(body, CONFTEST, "exec")
    assert str(root) not in text and str(root.parent) not in text and os.getcwd() not in text
    assert not any(line.lstrip().startswith(("/", "C:\\")) for line in text.splitlines())
    assert "import localmig" not in text and "from localmig" not in text
    assert _harness_code() in body  # the harness, verbatim
    assert body.count("from __future__ import annotations") == 1
    assert "PROJECT_ROOT = '../..'" in body
    assert "CONFIG_FILE = 'alembic.ini'" in body
    assert "BUILTIN_ENV = False" in body
    namespace: dict = {"__file__": str(out / CONFTEST), "__name__": "generated_conftest"}
    exec(compile(body, CONFTEST, "exec"), namespace)
    assert callable(namespace["migrations"]) and namespace["MigrationHistory"].CHECKPOINT_EVERY >= 1
    assert suite_files(layout) == {CONFTEST: text}


def test_conftest_outside_the_project(tmp_path, project):
    root = project("pyproject_only")
    out = tmp_path / "elsewhere" / "suite"
    layout = SuiteLayout.for_project(load(root).settings, out)
    assert layout.project_root == "../../pyproject_only"
    assert layout.kind == "pyproject" and layout.config_file == "pyproject.toml"
    assert str(tmp_path) not in render_conftest(layout)


def test_builtin_env_suite_carries_its_env(project):
    root = project("bare_versions")
    layout = SuiteLayout.for_project(load(root).settings, root.parent / "tests" / "migrations")
    assert layout.builtin_env is True and layout.kind == "versions"
    assert layout.version_folders == ["bare_versions"]
    assert layout.project_root == "../.."
    files = suite_files(layout)
    assert set(files) == {CONFTEST, f"{ENV_FOLDER}/env.py", f"{ENV_FOLDER}/script.py.mako"}
    assert files[f"{ENV_FOLDER}/env.py"] == (BUILTIN_ENV / "env.py").read_text()
    assert "BUILTIN_ENV = True" in files[CONFTEST]
    assert str(root) not in "".join(files.values())


def test_suite_path_in_the_conftest_docstring_is_the_one_given(project):
    layout = SuiteLayout.for_project(load(project("linear")).settings, Path("/nonexistent/suite"))
    assert "pytest db/tests --migration-db-url" in render_conftest(layout, suite="db/tests")
