"""Project discovery (localmig.project.load) on copies of the scenario projects."""

from __future__ import annotations

import ast
import os
import textwrap
from pathlib import Path

import pytest

from localmig.errors import ExitCode, ProjectError
from localmig.project import BUILTIN_ENV, data_operations, downgrade_kind, function_kind, load, locate


def ids(project) -> list[str]:
    return [r.id for r in project.revisions]


def assert_needs_first(project) -> None:
    """Every revision comes after all its down revisions and depends_on."""
    seen: set[str] = set()
    for revision in project.revisions:
        needed = set(revision.down_revisions) | set(revision.depends_on)
        assert needed <= seen, f"{revision.id} comes before {sorted(needed - seen)}"
        seen.add(revision.id)


# --------------------------------------------------------------------------- ways to point at a project


def test_alembic_ini_path(project):
    root = project("linear")
    loaded = load(root / "alembic.ini")
    assert loaded.settings.kind == "ini"
    assert loaded.settings.config_file == root / "alembic.ini"
    assert loaded.root == root
    assert loaded.settings.builtin_env is False
    assert loaded.settings.version_folders == [root / "migrations" / "versions"]
    assert ids(loaded) == ["11ea01b3c5d7", "11ea02e8f1a4", "11ea03c6d2b9"]
    assert loaded.heads == ["11ea03c6d2b9"]
    first, second, third = loaded.revisions
    assert first.is_base and not first.is_head and first.down_revisions == []
    assert second.down_revisions == ["11ea01b3c5d7"]
    assert third.is_head and not third.is_base
    assert third.path == os.path.join("migrations", "versions", "11ea03c6d2b9_index_authors_email.py")
    assert first.message == "create authors table"
    assert first.created is not None and first.created.startswith("20")
    # The config localmig hands to alembic is the project's own, not the builtin env.
    config = loaded.config()
    assert Path(config.get_main_option("script_location")) == root / "migrations"


def test_folder_holding_alembic_ini(project):
    root = project("linear")
    loaded = load(root)
    assert loaded.settings.kind == "ini"
    assert loaded.settings.config_file == root / "alembic.ini"
    assert ids(loaded) == ["11ea01b3c5d7", "11ea02e8f1a4", "11ea03c6d2b9"]


def test_source_hash_changes_with_the_file(project):
    root = project("linear")
    before = load(root).by_id["11ea02e8f1a4"].source_sha256
    path = root / load(root).by_id["11ea02e8f1a4"].path
    path.write_text(path.read_text() + "\n# edited\n")
    after = load(root).by_id["11ea02e8f1a4"].source_sha256
    assert len(before) == 64 and before != after


def test_pyproject_only(project):
    root = project("pyproject_only")
    for given in (root, root / "pyproject.toml"):
        loaded = load(given)
        assert loaded.settings.kind == "pyproject"
        assert loaded.settings.config_file == root / "pyproject.toml"
        assert loaded.root == root
        assert ids(loaded) == ["9e7001d3e5f7", "9e7002a6b8c0"]
        assert loaded.heads == ["9e7002a6b8c0"]
        config = loaded.config()
        assert config.config_file_name is None  # so env.py skips fileConfig
        assert config.get_main_option("sqlalchemy.url") is None


def test_bare_versions_folder_runs_on_the_builtin_env(project):
    root = project("bare_versions")
    loaded = load(root)
    assert loaded.settings.kind == "versions"
    assert loaded.settings.builtin_env is True
    assert loaded.settings.version_folders == [root]
    assert loaded.root == root.parent
    assert ids(loaded) == ["ba4e01c7d9e1", "ba4e02f3a5b7", "ba4e03b9c1d3"]
    assert loaded.heads == ["ba4e03b9c1d3"]
    assert loaded.by_id["ba4e01c7d9e1"].path == os.path.join("bare_versions", "ba4e01c7d9e1_create_recipes_table.py")
    config = loaded.config()
    assert Path(config.get_main_option("script_location")) == BUILTIN_ENV
    assert config.get_main_option("version_locations") == str(root)


def test_builtin_env_flag_keeps_the_project_versions(project):
    root = project("linear")
    loaded = load(root, builtin_env=True, metadata="app.models:metadata")
    config = loaded.config()
    assert Path(config.get_main_option("script_location")) == BUILTIN_ENV
    assert config.get_main_option("version_locations") == str(root / "migrations" / "versions")
    assert config.get_main_option("localmig.metadata") == "app.models:metadata"
    assert ids(loaded) == ["11ea01b3c5d7", "11ea02e8f1a4", "11ea03c6d2b9"]


def test_multiple_version_locations(project):
    root = project("multiple_version_locations")
    loaded = load(root)
    assert sorted(loaded.settings.version_folders) == [
        root / "migrations" / "extra_versions",
        root / "migrations" / "versions",
    ]
    assert ids(loaded) == ["3d1f01c2d4e6", "3d1f02a8b0c2", "3d1f03e4f6a8"]
    assert loaded.by_id["3d1f02a8b0c2"].path.startswith(os.path.join("migrations", "extra_versions") + os.sep)
    assert loaded.by_id["3d1f03e4f6a8"].path.startswith(os.path.join("migrations", "versions") + os.sep)
    assert loaded.heads == ["3d1f03e4f6a8"]


def test_app_imports_load_through_prepend_sys_path(project):
    loaded = load(project("app_imports"))
    assert ids(loaded) == ["a99a01e5f7a9", "a99a02b1c3d5"]


# --------------------------------------------------------------------------- the graph


def test_branch_labels_and_depends_on(project):
    loaded = load(project("labels_depends_on"))
    assert set(ids(loaded)) == {"1abe01c0a1b2", "1abe02d3e4f5", "1abe03a6b7c8", "1abe04e9f0a1"}
    assert_needs_first(loaded)
    order = ids(loaded)
    assert order.index("1abe04e9f0a1") > order.index("1abe01c0a1b2")  # its depends_on
    assert order.index("1abe04e9f0a1") > order.index("1abe03a6b7c8")  # its down_revision
    billing = loaded.by_id["1abe04e9f0a1"]
    assert billing.depends_on == ["1abe01c0a1b2"]
    assert billing.down_revisions == ["1abe03a6b7c8"]
    assert loaded.by_id["1abe01c0a1b2"].branch_labels == ["core"]
    assert loaded.by_id["1abe02d3e4f5"].branch_labels == ["core"]
    assert loaded.by_id["1abe03a6b7c8"].branch_labels == ["billing"]
    assert billing.branch_labels == ["billing"]
    assert sorted(loaded.heads) == ["1abe02d3e4f5", "1abe04e9f0a1"]
    assert sorted(r.id for r in loaded.revisions if r.is_base) == ["1abe01c0a1b2", "1abe03a6b7c8"]


def test_revision_lookup(project):
    loaded = load(project("labels_depends_on"))
    assert loaded.revision("1abe04e9f0a1").id == "1abe04e9f0a1"
    assert loaded.revision("1abe04").id == "1abe04e9f0a1"
    with pytest.raises(ProjectError, match="'1abe0' is ambiguous"):
        loaded.revision("1abe0")
    with pytest.raises(ProjectError, match="'nosuch' is not a revision of this project"):
        loaded.revision("nosuch")


def test_branch_label_names_the_revision_that_declares_it(project):
    """Like alembic: ``core`` is the revision carrying ``branch_labels = ("core",)``."""
    loaded = load(project("labels_depends_on"))
    assert loaded.revision("core").id == "1abe01c0a1b2"
    assert loaded.revision("billing").id == "1abe03a6b7c8"


def test_heads_merge_and_branch_point_flags(project):
    loaded = load(project("branch_merge"))
    assert_needs_first(loaded)
    assert ids(loaded)[0] == "b3a901d4e6f8" and ids(loaded)[-1] == "b3a904c2e4a6"
    flags = {r.id: (r.is_base, r.is_branch_point, r.is_merge, r.is_head) for r in loaded.revisions}
    assert flags == {
        "b3a901d4e6f8": (True, True, False, False),
        "b3a902a1c3e5": (False, False, False, False),
        "b3a903f7b9d2": (False, False, False, False),
        "b3a904c2e4a6": (False, False, True, True),
    }
    assert sorted(loaded.by_id["b3a904c2e4a6"].down_revisions) == ["b3a902a1c3e5", "b3a903f7b9d2"]
    assert loaded.heads == ["b3a904c2e4a6"]


def test_several_heads(project):
    loaded = load(project("several_heads"))
    assert_needs_first(loaded)
    assert sorted(loaded.heads) == ["5e7e02d8e0f2", "5e7e03b5c7d9"]
    assert loaded.by_id["5e7e01a2b4c6"].is_branch_point


def test_demo_graph(project):
    loaded = load(project("demo"))
    assert len(loaded.revisions) == 10
    assert_needs_first(loaded)
    assert loaded.heads == ["d1a010a6f352"]
    assert [r.id for r in loaded.revisions if r.is_base] == ["d1a001e4c7b2"]
    assert [r.id for r in loaded.revisions if r.is_branch_point] == ["d1a004c81e95"]
    merge = loaded.by_id["d1a0071f6e8d"]
    assert merge.is_merge and merge.upgrade_empty and merge.downgrade == "empty"
    assert sorted(merge.down_revisions) == ["d1a0055ad3f0", "d1a006b94c27"]


# --------------------------------------------------------------------------- static reading


def test_downgrade_kinds(project):
    assert load(project("pass_downgrade")).by_id["9a5502f6a8b0"].downgrade == "empty"
    notimpl = load(project("notimplemented_downgrade"))
    assert notimpl.by_id["c0de02e3f5a7"].downgrade == "not_implemented"
    assert notimpl.by_id["c0de01a7b9c1"].downgrade == "implemented"
    assert notimpl.by_id["c0de01a7b9c1"].upgrade_empty is False
    # a broken downgrade is still an implemented one
    assert load(project("failing_downgrade")).by_id["fa1102d9e1f3"].downgrade == "implemented"


@pytest.mark.parametrize(
    "source, kind",
    [
        ("def downgrade():\n    pass\n", "empty"),
        ('def downgrade():\n    """Nothing."""\n', "empty"),
        ('def downgrade():\n    """Doc."""\n    pass\n', "empty"),
        ("def downgrade():\n    raise NotImplementedError\n", "not_implemented"),
        ("def downgrade():\n    raise NotImplementedError('irreversible')\n", "not_implemented"),
        ("def downgrade():\n    op.drop_table('x')\n", "implemented"),
        ("def downgrade():\n    raise Exception('Base revision, no downgrade is possible')\n", "not_implemented"),
        ("def downgrade():\n    op.drop_table('x')\n    raise ValueError('x')\n", "implemented"),
        ("def upgrade():\n    pass\n", "missing"),
    ],
)
def test_downgrade_kind_from_source(source, kind):
    assert downgrade_kind(ast.parse(source)) == kind


def test_function_kind_of_upgrade():
    tree = ast.parse("def upgrade():\n    pass\n\ndef downgrade():\n    op.drop_table('t')\n")
    assert function_kind(tree, "upgrade") == "empty"
    assert function_kind(tree, "downgrade") == "implemented"


def test_data_operations(project):
    loaded = load(project("data_migration"))
    assert {r.id: r.data_operations for r in loaded.revisions} == {
        "da7a01b1c2d3": [],
        "da7a02e4f5a6": ["op.execute"],
        "da7a03c7d8e9": ["op.bulk_insert"],
        "da7a04f0a1b2": ["connection.execute"],
    }
    demo = load(project("demo"))
    assert demo.by_id["d1a0055ad3f0"].data_operations == ["op.bulk_insert", "op.execute"]
    assert demo.by_id["d1a0023f9a61"].data_operations == []


def test_data_operations_only_look_at_the_upgrade():
    tree = ast.parse(
        textwrap.dedent(
            """
            def upgrade():
                op.add_column("t", sa.Column("x", sa.Integer()))
                bind = op.get_bind()
                bind.exec_driver_sql("UPDATE t SET x = 1")

            def downgrade():
                op.execute("UPDATE t SET x = NULL")
                op.bulk_insert(table, [])
            """
        )
    )
    assert data_operations(tree) == ["connection.execute"]


def test_missing_downgrade_function(tmp_path):
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0a0a01000000_only_up.py").write_text(
        textwrap.dedent(
            """
            revision = "0a0a01000000"
            down_revision = None
            branch_labels = None
            depends_on = None

            from alembic import op
            import sqlalchemy as sa


            def upgrade():
                op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True))
            """
        )
    )
    loaded = load(versions)
    assert loaded.by_id["0a0a01000000"].downgrade == "missing"


# --------------------------------------------------------------------------- broken projects


def project_error(path) -> ProjectError:
    with pytest.raises(ProjectError) as raised:
        load(path)
    error = raised.value
    assert error.exit_code == ExitCode.PROJECT == 3
    return error


def test_syntax_error_has_file_and_line(project):
    error = project_error(project("syntax_error"))
    assert error.file == os.path.join("migrations", "versions", "5e1102c4d6e8_add_projects_owner.py")
    assert error.line == 28
    assert str(error).startswith(f"{error.file}:28: syntax error")


def test_import_error_has_file_and_line(project):
    error = project_error(project("import_error"))
    assert error.file == os.path.join("migrations", "versions", "1b0e02d5e6f7_add_payments_currency.py")
    assert error.line == 15
    assert "localmig_no_such_module" in str(error)
    assert str(error).startswith(f"{error.file}:15: ")
    assert error.hint


def test_missing_down_revision_has_file_and_line(project):
    error = project_error(project("missing_down_revision"))
    assert error.file == os.path.join("migrations", "versions", "315502b4c6d8_add_shipments_carrier.py")
    assert error.line == 20
    assert "'3155dead0000'" in str(error) and "315502b4c6d8" in str(error)
    assert "does not exist" in str(error)


def test_cycle_has_file_and_line(project):
    error = project_error(project("cycle"))
    assert error.file in (
        os.path.join("migrations", "versions", "c1c102b3d4e5_add_widgets_color.py"),
        os.path.join("migrations", "versions", "c1c103f6a7b8_add_widgets_weight.py"),
    )
    assert error.line == 18
    assert "Cycle is detected in revisions" in str(error)
    assert "c1c102b3d4e5" in str(error) and "c1c103f6a7b8" in str(error)


def test_empty_history(project):
    error = project_error(project("empty_history"))
    assert "the history is empty" in str(error)
    assert "versions" in str(error)


def test_not_alembic(project):
    root = project("not_alembic")
    error = project_error(root)
    assert "not an Alembic project" in str(error)
    assert "[tool.alembic]" in str(error)
    assert error.hint
    with pytest.raises(ProjectError, match="not an Alembic project"):
        load(root / "reorder_report.py")


def test_nonexistent_path(tmp_path):
    error = project_error(tmp_path / "nowhere")
    assert str(error) == f"{tmp_path / 'nowhere'}: no such file or folder"


def test_ini_without_script_location(tmp_path):
    ini = tmp_path / "alembic.ini"
    ini.write_text("[alembic]\nsqlalchemy.url = sqlite:///x.db\n")
    with pytest.raises(ProjectError, match="no \\[alembic\\] section with a script_location") as raised:
        locate(tmp_path)
    assert raised.value.file == str(ini)
    assert raised.value.exit_code == 3


def test_locate_does_not_run_anything(project):
    root = project("linear")
    settings = locate(root)
    assert settings.kind == "ini" and settings.root == root
    assert not list(root.rglob("*.db"))


def test_data_operations_see_orm_sessions_and_helpers_the_upgrade_calls():
    tree = ast.parse(textwrap.dedent("""
        def _backfill(bind):
            session = Session(bind=bind)
            session.query(Member).filter(Member.email.is_(None)).delete()

        def upgrade():
            _backfill(op.get_bind())

        def downgrade():
            pass
        """))
    assert data_operations(tree) == ["orm.session"]
    bulk = ast.parse("def upgrade():\n    s.bulk_update_mappings(M, [])\n")
    assert data_operations(bulk) == ["orm.session"]


def test_an_empty_message_is_not_the_template_block(project):
    loaded = load(project("odd_revision_ids"))
    assert loaded.by_id["0003"].message == ""
    assert loaded.by_id["v1.4.0.a"].message == "create widgets"


def test_a_load_error_names_the_revision_file_outside_the_project_root(tmp_path, monkeypatch):
    """Histories installed in site-packages: the version folder is not under the project root,
    and the error names the revision file and line, never ``<frozen importlib._bootstrap>``."""
    package = tmp_path / "site-packages" / "app" / "migrations"
    (package / "versions").mkdir(parents=True)
    (package / "env.py").write_text((BUILTIN_ENV / "env.py").read_text())
    (package / "script.py.mako").write_text((BUILTIN_ENV / "script.py.mako").read_text())
    (package / "versions" / "a1_first.py").write_text(
        "revision = 'a1'\ndown_revision = None\n\nraise RuntimeError('SECRET_KEY is not set')\n"
        "def upgrade():\n    pass\n\ndef downgrade():\n    pass\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "alembic.ini").write_text(f"[alembic]\nscript_location = {package}\n")
    monkeypatch.chdir(project)
    with pytest.raises(ProjectError) as caught:
        load(project)
    assert "SECRET_KEY is not set" in str(caught.value)
    assert caught.value.file is not None and caught.value.file.endswith("a1_first.py") and caught.value.line == 4
    assert "<frozen" not in str(caught.value)
