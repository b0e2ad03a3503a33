"""Faults of the project itself: what PATH points at, alembic.ini, the revision files, env.py."""

from __future__ import annotations

import os
import shutil

import pytest

from localmig.errors import ExitCode
from tests.faults.conftest import DOWNGRADE, LINEAR, SCENARIOS, SECOND, UPGRADE, assert_fault, insert_into, invoke

# --------------------------------------------------------------------------- what PATH is


def test_missing_path(tmp_path, guard):
    kept = guard(tmp_path)
    assert_fault(invoke("scan", tmp_path / "nowhere"), ExitCode.PROJECT, "nowhere: no such file or folder")
    kept.unchanged()


def test_path_is_a_file_of_another_kind(linear, guard):
    readme = linear / "migrations" / "README"
    kept = guard(linear)
    assert_fault(invoke("scan", readme), ExitCode.PROJECT, "not an Alembic project", "give an alembic.ini")
    kept.unchanged()


def test_path_is_a_fifo(tmp_path, guard):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    kept = guard(tmp_path)
    assert_fault(invoke("scan", fifo), ExitCode.PROJECT, "not an Alembic project")
    kept.unchanged()


def test_empty_folder(tmp_path, guard):
    kept = guard(tmp_path)
    assert_fault(invoke("generate", tmp_path, "--no-model"), ExitCode.PROJECT, "not an Alembic project",
                 "hint: point localmig at alembic.ini")
    kept.unchanged()


def test_a_folder_of_python_files_that_are_not_revisions(tmp_path, guard):
    shutil.copytree(SCENARIOS / "not_alembic", tmp_path / "scripts")
    kept = guard(tmp_path)
    assert_fault(invoke("scan", tmp_path / "scripts"), ExitCode.PROJECT, "no revision files")
    kept.unchanged()


# --------------------------------------------------------------------------- alembic.ini and pyproject.toml


def test_alembic_ini_without_script_location(linear, guard):
    (linear / "alembic.ini").write_text("[alembic]\nsqlalchemy.url = sqlite:///never.db\n")
    kept = guard(linear)
    assert_fault(invoke("scan", linear), ExitCode.PROJECT, "alembic.ini", "no [alembic] section with a script_location")
    kept.unchanged()


def test_alembic_ini_that_is_not_an_ini_file(linear, guard):
    (linear / "alembic.ini").write_text("script_location = migrations\n[alembic\n")
    kept = guard(linear)
    assert_fault(invoke("scan", linear), ExitCode.PROJECT, "alembic.ini", "cannot read it")
    kept.unchanged()


def test_script_location_that_does_not_exist(linear, guard):
    ini = linear / "alembic.ini"
    ini.write_text(ini.read_text().replace("%(here)s/migrations", "%(here)s/no_such_folder"))
    kept = guard(linear)
    assert_fault(invoke("scan", linear), ExitCode.PROJECT, "no_such_folder")
    kept.unchanged()


def test_pyproject_that_is_not_toml(tmp_path, guard):
    (tmp_path / "pyproject.toml").write_text("[tool.alembic\nscript_location = 'x'\n")
    kept = guard(tmp_path)
    assert_fault(invoke("scan", tmp_path / "pyproject.toml"), ExitCode.PROJECT, "pyproject.toml", "cannot read it")
    kept.unchanged()


# --------------------------------------------------------------------------- revision files


@pytest.mark.parametrize("scenario, phrase", [
    ("syntax_error", "syntax error"),
    ("import_error", "cannot import"),
    ("missing_down_revision", "does not exist"),
    ("cycle", "Alembic cannot read the history"),
    ("empty_history", "the history is empty"),
])
def test_broken_history(tmp_path, guard, scenario, phrase):
    root = tmp_path / scenario
    shutil.copytree(SCENARIOS / scenario, root)
    kept = guard(root)
    assert_fault(invoke("generate", root, "--no-model"), ExitCode.PROJECT, phrase)
    kept.unchanged()


def test_duplicate_revision_id_names_both_files(linear, guard):
    versions = linear / "migrations" / "versions"
    shutil.copy(linear / SECOND, versions / "zz_copy_of_email.py")
    kept = guard(linear)
    assert_fault(invoke("scan", linear), ExitCode.PROJECT, "revision id '11ea02e8f1a4' is declared by",
                 "11ea02e8f1a4_add_authors_email.py and migrations/versions/zz_copy_of_email.py",
                 "hint: give one of them a new revision id")
    kept.unchanged()


def test_revision_file_that_cannot_be_read(linear, guard):
    """A dangling symlink (root reads every file, so a mode of 000 would not do)."""
    (linear / "migrations" / "versions" / "11ea04000000_gone.py").symlink_to(linear / "nowhere.py")
    kept = guard(linear)
    assert_fault(invoke("scan", linear), ExitCode.PROJECT, "11ea04000000_gone.py", "No such file or directory")
    kept.unchanged()


def test_revision_file_that_is_not_utf8(linear, guard):
    path = linear / SECOND
    path.write_bytes(path.read_bytes().replace(b'"""Upgrade schema."""', b'"""Upgrade \xff\xfe schema."""'))
    kept = guard(linear)
    assert_fault(invoke("scan", linear), ExitCode.PROJECT, "11ea02e8f1a4_add_authors_email.py:22: syntax error",
                 "'utf-8' codec can't decode byte 0xff")
    kept.unchanged()


# --------------------------------------------------------------------------- env.py


def test_env_py_that_raises(linear, guard):
    (linear / "migrations" / "env.py").write_text("import os\n\nURL = os.environ['APP_DATABASE_URL']\n")
    kept = guard(linear)
    assert_fault(invoke("scan", linear), ExitCode.PROJECT, "migrations/env.py:3: env.py raised KeyError: 'APP_DATABASE_URL'",
                 "before any migration ran", "--builtin-env")
    kept.unchanged()


def test_env_py_that_calls_sys_exit(linear, guard):
    (linear / "migrations" / "env.py").write_text("import sys\n\nsys.exit(3)\n")
    kept = guard(linear)
    assert_fault(invoke("scan", linear), ExitCode.PROJECT, "migrations/env.py:3: env.py called sys.exit(3)")
    kept.unchanged()


def test_env_py_in_offline_mode_only(linear, guard):
    """An env.py that only has the offline branch returns without running anything online."""
    (linear / "migrations" / "env.py").write_text(
        "from alembic import context\n\nif context.is_offline_mode():\n"
        "    context.configure(url=context.config.get_main_option('sqlalchemy.url'), literal_binds=True)\n"
        "    with context.begin_transaction():\n        context.run_migrations()\n")
    kept = guard(linear)
    assert_fault(invoke("scan", linear), ExitCode.CAPTURE, "env.py returned without running any migration",
                 "offline mode only", "--builtin-env")
    kept.unchanged()


def test_env_py_with_offline_settings_in_online_mode(linear, guard):
    (linear / "migrations" / "env.py").write_text(
        "from alembic import context\n\n"
        "context.configure(url=context.config.get_main_option('sqlalchemy.url'), literal_binds=True)\n"
        "with context.begin_transaction():\n    context.run_migrations()\n")
    kept = guard(linear)
    assert_fault(invoke("scan", linear), ExitCode.PROJECT,
                 "env.py:3: env.py raised CommandError: Can't use literal_binds setting without as_sql mode")
    kept.unchanged()


def test_env_py_that_ignores_the_url_leaves_the_victim_alone(tmp_path, guard):
    root = tmp_path / "env_ignores_url"
    shutil.copytree(SCENARIOS / "env_ignores_url", root)
    victim = tmp_path / "victim.db"
    import sqlite3

    with sqlite3.connect(victim) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)")
        connection.execute("INSERT INTO customers VALUES (1, 'a@example.com')")
    kept = guard(root, victim)
    outcome = invoke("scan", root, env={"SCENARIO_DATABASE_URL": f"sqlite:///{victim}"})
    assert_fault(outcome, ExitCode.CAPTURE, "ignores the database URL", "Nothing was migrated there", "--builtin-env")
    kept.unchanged()


# --------------------------------------------------------------------------- exits inside migrations


def test_sys_exit_in_an_upgrade_is_a_finding_not_localmig_exiting(linear, guard):
    insert_into(linear / SECOND, UPGRADE, "    import sys\n    sys.exit(1)\n")
    kept = guard(linear)
    outcome = invoke("scan", linear)
    assert_fault(outcome, ExitCode.OK, "upgrade_failed 11ea02e8f1a4", "the migration called sys.exit(1)",
                 "11ea02e8f1a4_add_authors_email.py:24", f"not applied: {LINEAR[2]}")
    kept.unchanged()


def test_sys_exit_in_a_downgrade_is_a_finding(linear, guard):
    insert_into(linear / SECOND, DOWNGRADE, "    raise SystemExit('stop here')\n")
    kept = guard(linear)
    outcome = invoke("scan", linear)
    assert_fault(outcome, ExitCode.OK, "downgrade_failed 11ea02e8f1a4", "the migration called sys.exit('stop here')")
    assert "upgrade_failed" not in outcome.text
    kept.unchanged()
