"""Faults in what the user asks for: options, --metadata, models.yaml, --db-url."""

from __future__ import annotations

import importlib.util

import pytest

from localmig.errors import ExitCode
from tests.faults.conftest import LINEAR, assert_fault, invoke
from tests.ollama_servers import free_port

# --------------------------------------------------------------------------- revisions and selections


@pytest.mark.parametrize("args, phrase", [
    (["generate", "--rev", "nosuch"], "'nosuch' is not a revision of this project"),
    (["generate", "--rev", "11ea0"], "'11ea0' is ambiguous (matches: 11ea01b3c5d7, 11ea02e8f1a4, 11ea03c6d2b9)"),
    (["batch", "--rev", "nosuch", "--dry-run"], "'nosuch' is not a revision of this project"),
    (["batch", "--since", "nosuch", "--dry-run"], "'nosuch' is not a revision of this project"),
    (["batch", "--branch", "nosuch", "--dry-run"], "--branch 'nosuch': no revision carries that label"),
    (["show-prompt", "--rev", "nosuch"], "'nosuch' is not a revision of this project"),
], ids=["generate-rev", "generate-ambiguous", "batch-rev", "batch-since", "batch-branch", "show-prompt-rev"])
def test_an_unknown_revision_is_a_usage_error_whichever_option_names_it(linear, guard, args, phrase):
    kept = guard(linear)
    command, *rest = args
    extra = ["--no-model"] if command in ("generate", "batch") else []
    assert_fault(invoke(command, linear, *rest, *extra), ExitCode.USAGE, phrase)
    kept.unchanged()


@pytest.mark.parametrize("args, phrase", [
    (["generate", "--rev", LINEAR[0], "--all", "--no-model"], "give --rev or --all, not both"),
    (["generate", "--no-model", "--require-model"], "--no-model cannot be combined with --require-model"),
    (["batch", "--jobs", "0", "--no-model"], "Invalid value for '--jobs'"),
    (["scan", "--no-such-option"], "No such option '--no-such-option'"),
    (["batch", "--report", ".", "--no-model"], "Invalid value for '--report'"),
], ids=["rev-and-all", "no-model-and-require-model", "jobs-0", "unknown-option", "report-is-a-folder"])
def test_options_that_contradict_or_do_not_parse(linear, guard, args, phrase):
    kept = guard(linear)
    command, *rest = args
    assert_fault(invoke(command, linear, *rest), ExitCode.USAGE, phrase)
    kept.unchanged()


# --------------------------------------------------------------------------- --metadata


@pytest.mark.parametrize("spec, phrase", [
    ("nosuchmodule:metadata", "cannot import 'nosuchmodule' (no module named 'nosuchmodule')"),
    ("json:metadata", "json has no attribute 'metadata'"),
    ("json:loads", "is a function, not a sqlalchemy MetaData"),
    ("json", "is not of the form MODULE:ATTRIBUTE"),
], ids=["no-module", "no-attribute", "not-metadata", "no-colon"])
def test_bad_metadata_is_a_usage_error_before_the_capture(linear, guard, spec, phrase):
    kept = guard(linear)
    outcome = invoke("scan", linear, "--builtin-env", "--metadata", spec)
    assert_fault(outcome, ExitCode.USAGE, f"--metadata {spec!r}" if spec != "json" else "--metadata 'json'", phrase,
                 "hint: give MODULE:ATTRIBUTE of a sqlalchemy MetaData")
    assert "upgrade_failed" not in outcome.text  # not reported as the migrations' findings
    kept.unchanged()


def test_metadata_without_the_builtin_env(linear, guard):
    kept = guard(linear)
    assert_fault(invoke("scan", linear, "--metadata", "json:loads"), ExitCode.USAGE,
                 "--metadata is used by localmig's built-in env.py only", "add --builtin-env")
    kept.unchanged()


def test_good_metadata_is_imported_from_the_project(linear):
    """The control case: the same check lets a real MetaData of the project through."""
    (linear / "appmeta.py").write_text("import sqlalchemy as sa\n\nclass Base:\n"
                                       "    metadata = sa.MetaData(naming_convention={'ix': 'ix_%(column_0_label)s'})\n")
    outcome = invoke("scan", linear, "--builtin-env", "--metadata", "appmeta:Base.metadata")
    assert outcome.exit_code == ExitCode.OK, outcome.stdout + outcome.stderr
    assert "no findings" in outcome.text


# --------------------------------------------------------------------------- models.yaml


@pytest.mark.parametrize("text, phrase", [
    ("default: x\nprofiles: {x: {model: 'a:1', colour: red}}\n", "profiles.x.colour: Extra inputs are not permitted"),
    ("default: x\nprofiles: [\n", "not valid YAML"),
    ("default: nope\nprofiles: {x: {model: 'a:1'}}\n", "nope"),
], ids=["bad-key", "not-yaml", "unknown-default"])
def test_bad_models_yaml(linear, tmp_path, guard, text, phrase):
    config = tmp_path / "models.yaml"
    config.write_text(text)
    kept = guard(linear, config)
    assert_fault(invoke("generate", linear, "--config", config, "--dry-run"), ExitCode.USAGE, "models.yaml", phrase)
    kept.unchanged()


def test_models_yaml_that_does_not_exist(linear, tmp_path, guard):
    kept = guard(linear)
    assert_fault(invoke("generate", linear, "--config", tmp_path / "nope.yaml", "--dry-run"), ExitCode.USAGE,
                 "nope.yaml: no such file")
    kept.unchanged()


def test_require_model_with_ollama_not_listening(linear, tmp_path, guard):
    config = tmp_path / "models.yaml"
    config.write_text(f"default: x\nhost: http://127.0.0.1:{free_port()}\nprofiles: {{x: {{model: 'a:1'}}}}\n")
    kept = guard(linear)
    assert_fault(invoke("generate", linear, "--config", config, "--require-model"), ExitCode.MODEL,
                 "Ollama is not reachable")
    kept.unchanged()


# --------------------------------------------------------------------------- --db-url


@pytest.mark.parametrize("url, phrase", [
    ("not a url", "is not a database URL"),
    ("mysql://u@127.0.0.1/x", "mysql is not supported"),
    ("postgresql+nosuchdriver://u@127.0.0.1/x", "SQLAlchemy has no driver 'postgresql+nosuchdriver'"),
], ids=["not-a-url", "mysql", "unknown-driver"])
def test_db_url_that_cannot_be_used(linear, guard, url, phrase):
    kept = guard(linear)
    assert_fault(invoke("scan", linear, "--db-url", url), ExitCode.CAPTURE, phrase)
    kept.unchanged()


@pytest.mark.skipif(importlib.util.find_spec("psycopg2") is not None, reason="psycopg2 is installed here")
def test_db_url_whose_driver_is_not_installed_names_the_package(linear, guard):
    kept = guard(linear)
    assert_fault(invoke("scan", linear, "--db-url", "postgresql+psycopg2://u@127.0.0.1/postgres"), ExitCode.CAPTURE,
                 "the driver module 'psycopg2' is not installed", "pip install 'psycopg2-binary'")
    kept.unchanged()


def test_db_url_to_a_closed_port_on_loopback(linear, guard):
    kept = guard(linear)
    assert_fault(invoke("scan", linear, "--db-url", f"postgresql+psycopg://u@127.0.0.1:{free_port()}/postgres"),
                 ExitCode.CAPTURE, "cannot reach the scratch database server", "Connection refused",
                 "hint: check --db-url")
    kept.unchanged()


def test_db_url_with_an_unknown_role(linear, guard, pg_url):
    from sqlalchemy.engine import make_url

    url = make_url(pg_url).set(username="no_such_role_localmig", password=None)
    kept = guard(linear)
    assert_fault(invoke("scan", linear, "--db-url", url.render_as_string(hide_password=False)), ExitCode.CAPTURE,
                 "cannot reach the scratch database server", "no_such_role_localmig")
    kept.unchanged()


def test_db_url_naming_a_database_that_does_not_exist(linear, guard, pg_url):
    from sqlalchemy.engine import make_url

    url = make_url(pg_url).set(database="no_such_database_localmig")
    kept = guard(linear)
    assert_fault(invoke("scan", linear, "--db-url", url.render_as_string(hide_password=False)), ExitCode.CAPTURE,
                 "cannot reach the scratch database server", "no_such_database_localmig")
    kept.unchanged()


def test_a_scratch_dir_that_cannot_be_made(linear, guard, tmp_path, monkeypatch):
    (tmp_path / "a file").write_text("")
    kept = guard(linear)
    monkeypatch.setenv("LOCALMIG_SCRATCH_DIR", str(tmp_path / "a file"))
    assert_fault(invoke("scan", linear), ExitCode.CAPTURE, "cannot make a scratch folder in", "a file",
                 "set LOCALMIG_SCRATCH_DIR to a writable folder")
    kept.unchanged()


@pytest.mark.slow
def test_db_url_with_a_wrong_password(linear, guard, password_pg):
    wrong = password_pg.replace(":right-password@", ":wrong-password@")
    kept = guard(linear)
    assert_fault(invoke("scan", linear, "--db-url", wrong), ExitCode.CAPTURE,
                 "cannot reach the scratch database server", "password authentication failed for user \"postgres\"")
    assert "wrong-password" not in invoke("scan", linear, "--db-url", wrong).text  # the password is not echoed
    kept.unchanged()
    right = invoke("scan", linear, "--db-url", password_pg)  # the control: the right one works
    assert right.exit_code == ExitCode.OK, right.text


@pytest.mark.parametrize("command", ["scan", "generate", "batch", "check"])
def test_every_command_help_names_the_exit_codes(command):
    outcome = invoke(command, "--help")
    assert outcome.exit_code == ExitCode.OK
    assert "70 internal error" in outcome.text and "130 interrupted" in outcome.text
