"""What leaves the machine: every message a (scripted) Ollama server received, and hosts that must not be contacted.

The demo's data migration d1a0055ad3f0 carries literals that must never reach a model
('legacy-unknown', 4242, '%@legacy-shop.invalid', 'Imported from the 2019 shop, status lost', the
status labels). The run below goes through every kind of prompt localmig sends (generate,
repair_tests with pytest's report of a failing test that reads those rows, repair_answer) with an
environment variable, a database URL in the environment and a row in the project's own database
set as bait, and checks every message the server received.

The scenario ``privacy_canary`` holds a canary in every literal form a migration can write
(SQL strings of every kind, comments, numbers, Python constants, rows, bind parameters,
f-strings, concatenations); no canary may reach the server, byte for byte, on SQLite and on
PostgreSQL (where the dollar-quoted branch runs and its rows are read back by a failing test).
Redirects: a loopback server that answers 307 must not lead the prompt anywhere else.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from localmig.config import parse_settings
from localmig.errors import ExitCode
from localmig.llm import check_host
from localmig.pipeline import ModelChoice, Session, SessionOptions
from tests.conftest import SCENARIOS, run_cli
from tests.e2e.test_model_scripted import (
    DATA_REV,
    MODEL,
    PASSING_BODY,
    answer,
    clean_environment,
    copy_demo,
    generate,
    logged,
    model_test,
    sent,
    write_config,
)
from tests.ollama_servers import ScriptedOllama

__all__ = ["clean_environment"]  # the autouse fixture, shared

ENV_CANARY = "zq-env-canary-5521"
URL_CANARY = "postgresql://canary_user:canary-pass-8812@db.internal.example/prod_canary"
ROW_CANARY = "canary-row-value-91c2"
MIGRATION_LITERALS = ["legacy-unknown", "4242", "legacy-shop.invalid", "Imported from the 2019 shop", "status lost",
                      "Cancelled", "Shipped"]
PROBE_ROW_VALUES = ["email-1", "full_name-1", "postal_code-1", "line1-1"]  # rows localmig seeded in scratch databases
ABSOLUTE_PATH = re.compile(r"(?<![\w.])(?:/(?:tmp|home|root|work|usr|var|etc|opt|private|Users)/|[A-Za-z]:\\)")

# A model test that fails on rows the migration inserted: pytest's report quotes them.
READS_MIGRATION_ROWS = (
    "database = migrations.database_after(REVISION)\n"
    'assert {row["label"]: row["sort_order"] for row in database.rows("order_statuses")} == {}'
)
INVENTED_TABLE = 'database = migrations.database_after(REVISION)\nassert database.rows("legacy_orders_archive") == []'


def all_text(server: ScriptedOllama) -> str:
    return "\n".join(message["content"] for messages in sent(server) for message in messages)


@pytest.fixture
def bait(tmp_path, monkeypatch):
    """A copy of the demo whose own database holds a row, with secrets in the environment."""
    root = copy_demo(tmp_path)
    with sqlite3.connect(root / "demo.db") as connection:  # the project's sqlalchemy.url: never used by localmig
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)")
        connection.execute("INSERT INTO customers VALUES (1, ?)", (ROW_CANARY,))
    monkeypatch.setenv("LOCALMIG_PRIVACY_CANARY", ENV_CANARY)
    monkeypatch.setenv("DATABASE_URL", URL_CANARY)
    monkeypatch.setenv("SQLALCHEMY_DATABASE_URI", URL_CANARY)
    return root


def test_no_literal_row_url_path_or_environment_value_reaches_the_model(bait, tmp_path):
    with ScriptedOllama() as server:
        server.answer_json(answer(model_test("test_model_lists_status_codes", READS_MIGRATION_ROWS)))  # fails when run
        server.answer_json(answer(model_test("test_model_reads_the_archive", INVENTED_TABLE)))  # invalid: unknown table
        server.answer_json(answer(model_test("test_model_backfills_missing_status", PASSING_BODY)))
        item = generate(bait, write_config(tmp_path / "models.yaml", server.host, repair_rounds=2), DATA_REV)
        purposes = [m[-1]["content"].split("\n", 1)[0] for m in sent(server)]
        text = all_text(server)

    # every kind of prompt was sent: the first request, a test repair (pytest's report), an answer repair
    assert len(purposes) == 3
    assert purposes[1] == "These tests failed when they were run on a scratch database:"
    assert purposes[2] == "Your answer could not be used:"
    assert "AssertionError" in text and "legacy_orders_archive" in text
    assert [o.name for o in item.outcomes if o.engine == "model"] == ["test_model_backfills_missing_status"]

    for literal in MIGRATION_LITERALS + PROBE_ROW_VALUES + [ROW_CANARY, ENV_CANARY, "canary-pass", "db.internal", "prod_canary"]:
        assert literal not in text, literal
    for url_part in ("sqlite:", "postgresql:", "demo.db", "://"):
        assert url_part not in text, url_part
    assert str(tmp_path) not in text and str(Path.home()) not in text and sys.prefix not in text
    assert not ABSOLUTE_PATH.search(text), ABSOLUTE_PATH.search(text)
    for name, value in os.environ.items():  # no value of the environment of any length worth checking
        if len(value) >= 8 and not value.isdigit() and value not in ("/bin/bash", "xterm"):
            assert value not in text, name


def test_the_repair_prompt_still_says_what_failed(bait, tmp_path):
    """Redaction keeps what the model needs: the failing line, the error and the shape of the rows."""
    with ScriptedOllama() as server:
        server.answer_json(answer(model_test("test_model_lists_status_codes", READS_MIGRATION_ROWS)))
        server.answer_json(answer(model_test("test_model_backfills_missing_status", PASSING_BODY)))
        generate(bait, write_config(tmp_path / "models.yaml", server.host), DATA_REV)
        repair = sent(server)[1][-1]["content"]

    assert "test_model_lists_status_codes: AssertionError: assert {" in repair
    assert "{'<str>': <num>" in repair  # the migration's labels and sort orders, redacted
    assert '>       assert {row["label"]: row["sort_order"] for row in database.rows("order_statuses")} == {}' in repair
    assert re.search(r"test_d1a0055ad3f0_\w+\.py:\d+: AssertionError", repair)


def test_show_prompt_prints_exactly_what_the_server_receives(bait, tmp_path):
    with ScriptedOllama() as server:
        config = write_config(tmp_path / "models.yaml", server.host)
        shown = run_cli("show-prompt", str(bait), "--rev", DATA_REV, "--config", str(config), "--json",
                        env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
        assert shown.returncode == 0, shown.stderr
        assert server.requests == []  # show-prompt sends nothing, not even a listing

        server.answer_json(answer(model_test("test_model_backfills_missing_status", PASSING_BODY)))
        generate(bait, config, DATA_REV)
        [request] = server.chat_requests()

    body = json.loads(shown.stdout)
    assert body["messages"] == request.json["messages"]
    for printed, received in zip(body["messages"], request.json["messages"]):
        assert printed["content"].encode("utf-8") == received["content"].encode("utf-8")
    assert body["format"] == request.json["format"]
    assert body["options"] == request.json["options"]
    assert body["model"] == request.json["model"] == MODEL

    plain = run_cli("show-prompt", str(bait), "--rev", DATA_REV, "--config", str(config),
                    env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == "".join(f"### {m['role']}\n{m['content']}\n\n" for m in request.json["messages"])


AUDIT_HOOK = '''\
import os, sys
_log = os.environ.get("LOCALMIG_TEST_SOCKET_LOG")
if _log:
    def _hook(event, args):
        if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname"):
            with open(_log, "a") as handle:
                handle.write(f"{event} {args!r}\\n")
    sys.addaudithook(_hook)
'''


@pytest.mark.parametrize(
    "where, host",
    [("profile", "http://10.1.2.3:11434"), ("OLLAMA_HOST", "example.com")],
)
def test_a_non_loopback_host_is_refused_before_any_connection(tmp_path, project, where, host):
    root = project("demo")
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(AUDIT_HOOK)
    log = tmp_path / "sockets.log"
    config = tmp_path / "models.yaml"
    profile_host = f"    host: {host}\n" if where == "profile" else ""
    config.write_text(f"default: test\nprofiles:\n  test:\n    model: {MODEL}\n{profile_host}")
    env = {"OLLAMA_HOST": host} if where == "OLLAMA_HOST" else {}
    env.update({"PYTHONPATH": os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")]),
                "LOCALMIG_TEST_SOCKET_LOG": str(log), "XDG_CONFIG_HOME": str(tmp_path / "xdg")})

    started = time.monotonic()
    result = run_cli("generate", str(root), "--rev", DATA_REV, "--config", str(config), env=env, timeout=120)
    elapsed = time.monotonic() - started

    assert result.returncode == ExitCode.MODEL, result.stdout + result.stderr
    assert f"error: refusing to send schema context to {host}: it is not a loopback address" in result.stderr
    name = "10.1.2.3" if where == "profile" else "example.com"
    assert f"hint: to allow it, set `allow_remote: true` and list '{name}' under `allowed_hosts` in models.yaml ({config})" \
        in " ".join(result.stderr.split())
    assert not log.exists() or log.read_text() == "", log.read_text()  # not one connection, not one name look-up
    assert not (root / "tests" / "migrations").exists()
    assert elapsed < 60


def test_the_audit_hook_does_see_connections(tmp_path):
    """The check above is only worth something if the hook records a real connection."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(AUDIT_HOOK)
    log = tmp_path / "sockets.log"
    with ScriptedOllama() as server:
        config = write_config(tmp_path / "models.yaml", server.host)
        result = run_cli("models", str(tmp_path), "--config", str(config),
                         env={"PYTHONPATH": str(hook), "LOCALMIG_TEST_SOCKET_LOG": str(log),
                              "XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert result.returncode == 0, result.stderr
    assert "socket.connect" in log.read_text()


def test_an_allowed_remote_host_passes_the_check_without_connecting(tmp_path):
    config = write_config(tmp_path / "models.yaml", "http://10.1.2.3:11434",
                          extra="allow_remote: true\nallowed_hosts: [10.1.2.3]\n")
    settings = parse_settings(config)
    started = time.monotonic()

    assert check_host(settings.host_for(settings.profile()), settings) == "http://10.1.2.3:11434"
    assert time.monotonic() - started < 0.5
    assert check_host("http://10.1.2.3:8080", settings) == "http://10.1.2.3:8080"


# ---------------------------------------------------------------------------------- a canary in every literal form

CANARY_REV = "c4a702e6f8a0"
CANARY_SOURCE = next((SCENARIOS / "privacy_canary" / "migrations" / "versions").glob(f"{CANARY_REV}_*.py"))


def canaries() -> list[str]:
    """Every canary of the scenario: the cnry-... strings, the 73110xx numbers, the hex blob, the bits."""
    text = CANARY_SOURCE.read_text(encoding="utf-8")
    found = sorted(set(re.findall(r"cnry-[a-z-]+-\d\d", text)) | set(re.findall(r"73110\d\d", text)))
    return found + ["C0FFEE5EC2E7", "c0ffee5ec2e7", "10110111001101"]


READS_CONTACTS = 'database = migrations.database_after(REVISION)\nassert database.rows("contacts") == []'
COUNTS_CONTACTS = 'database = migrations.database_after(REVISION)\nassert len(database.rows("contacts")) == 3'
INVENTED_CONTACTS_TABLE = 'database = migrations.database_after(REVISION)\nassert database.rows("contacts_archive") == []'


def ask_through_every_prompt(root: Path, config: Path, db_url: str | None = None):
    """generate, then repair_tests (a test that fails on the migration's rows), then repair_answer."""
    with Session.open(SessionOptions(path=root, db_url=db_url)) as session:
        session.use_model(ModelChoice(mode="require", config=config))
        [item] = session.generate(session.select([CANARY_REV]))
        session.write([item])
    return item


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_no_canary_of_any_literal_form_reaches_the_model(project, tmp_path, request, database):
    root = project("privacy_canary")
    db_url = request.getfixturevalue("pg_url") if database == "postgresql" else None
    assert len(canaries()) >= 40
    with ScriptedOllama() as server:
        server.answer_json(answer(model_test("test_model_reads_contacts", READS_CONTACTS)))  # fails when run
        server.answer_json(answer(model_test("test_model_reads_the_archive", INVENTED_CONTACTS_TABLE)))  # invalid
        server.answer_json(answer(model_test("test_model_counts_contacts", COUNTS_CONTACTS)))
        item = ask_through_every_prompt(root, write_config(tmp_path / "models.yaml", server.host, repair_rounds=2), db_url)
        received = list(server.requests)
        purposes = [m[-1]["content"].split("\n", 1)[0] for m in sent(server)]

    assert purposes[1:] == ["These tests failed when they were run on a scratch database:",
                            "Your answer could not be used:"]
    repair = sent(server)[1][-1]["content"]
    assert "test_model_reads_contacts: AssertionError" in repair and "'<str>'" in repair  # the rows, redacted
    assert [o.name for o in item.outcomes if o.engine == "model"] == ["test_model_counts_contacts"]
    for request_ in received:
        for canary in canaries():
            assert canary.encode() not in request_.body_bytes, (canary, request_.path)
    assert "$$" not in repair and "cnry" not in all_text(server)


@pytest.mark.parametrize("database, note", [("sqlite", "cnry-module-constant-03"),
                                            pytest.param("postgresql", "cnry-unicode-16", marks=pytest.mark.postgres)])
def test_the_canary_rows_do_reach_the_failing_test_unredacted(project, tmp_path, request, database, note):
    """The check above is only worth something if the failing test's own output holds the canaries
    (on PostgreSQL, those its own branch wrote: U&'' is the last update of the first row there)."""
    root = project("privacy_canary")
    db_url = request.getfixturevalue("pg_url") if database == "postgresql" else None
    with ScriptedOllama() as server:
        server.answer_json(answer(model_test("test_model_reads_contacts", READS_CONTACTS)))
        with Session.open(SessionOptions(path=root, db_url=db_url)) as session:
            session.use_model(ModelChoice(mode="require", config=write_config(tmp_path / "models.yaml", server.host,
                                                                              repair_rounds=0)))
            [item] = session.generate(session.select([CANARY_REV]), keep_failing=True)

    [failed] = [o for o in item.outcomes if o.name == "test_model_reads_contacts"]
    assert note in failed.output and "cnry-bulk-email-07@example.invalid" in failed.output


# ---------------------------------------------------------------------------------- redirects


def test_a_chat_redirected_off_the_machine_is_refused_logged_and_exits_5(tmp_path):
    """The 307 of issue 10: the prompt must not follow it. The audit hook refuses (and records) any
    connection to a non-loopback address, so nothing could leave even if localmig followed it."""
    root = copy_demo(tmp_path)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(LOOPBACK_ONLY_HOOK)
    log = tmp_path / "sockets.log"
    with ScriptedOllama() as server:
        server.redirects["/api/chat"] = (307, "http://10.1.2.3:11434/api/chat")
        config = write_config(tmp_path / "models.yaml", server.host)
        result = run_cli("generate", str(root), "--rev", DATA_REV, "--config", str(config),
                         env={"PYTHONPATH": os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")]),
                              "LOCALMIG_TEST_SOCKET_LOG": str(log), "XDG_CONFIG_HOME": str(tmp_path / "xdg")},
                         timeout=300)
        assert len(server.chat_requests()) == 1

    assert result.returncode == ExitCode.MODEL, result.stdout + result.stderr
    stderr = " ".join(result.stderr.split())
    assert (f"error: the server at {server.host} redirected to http://10.1.2.3:11434/api/chat; "
            "localmig does not follow redirects to hosts not allowed") in stderr
    assert f"hint: check the server or proxy at {server.host}" in stderr
    assert "Traceback" not in result.stderr
    assert "10.1.2.3" not in (log.read_text() if log.exists() else "")  # not even attempted
    [exchange] = logged(root)
    assert (exchange.error_kind, exchange.outcome, exchange.answer) == ("redirect_refused", "failed: redirect_refused", None)
    assert "redirected to http://10.1.2.3:11434/api/chat" in exchange.errors[0]


LOOPBACK_ONLY_HOOK = '''\
import ipaddress, os, sys
_log = os.environ.get("LOCALMIG_TEST_SOCKET_LOG")
def _hook(event, args):
    if event == "socket.connect" and isinstance(args[1], tuple):
        host = str(args[1][0])
        try:
            local = ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = False
        if not local:
            if _log:
                with open(_log, "a") as handle:
                    handle.write(f"refused {host}\\n")
            raise OSError(f"test guard: no connection to {host}")
sys.addaudithook(_hook)
'''
