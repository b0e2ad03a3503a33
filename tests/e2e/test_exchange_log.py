"""Every exchange with the model is logged, failed ones included: an HTTP error, a stream cut, a
timeout, a refused redirect, a cancel. The engine talks to ``ScriptedOllama`` through the official
client; the log is read back from the project's real store, and through ``localmig log``.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from localmig.cancel import CancelToken
from localmig.engines.answers import check_answer
from localmig.errors import Cancelled, ExitCode, LocalmigError
from tests.conftest import run_cli
from tests.e2e.test_model_scripted import (
    DATA_REV,
    MODEL,
    answer,
    clean_environment,
    cli_generate,
    copy_demo,
    demo,
    engine_on,
    logged,
    model_test,
    start,
    write_config,
)
from tests.ollama_servers import ScriptedOllama
from tests.unit.test_redirects import loopback_only

__all__ = ["clean_environment", "demo", "loopback_only"]  # fixtures, shared

def checker(conversation, before, after, existing):
    """How the model layer checks a code answer (the check ``ModelEngine.propose`` is given)."""
    return lambda text: check_answer(text, conversation.revision, before, after, existing)


PARTIAL = '{"imports": [], "tests": [{"name": "test_model_backfi'
REDIRECT_TARGET = "http://10.1.2.3:11434/api/chat"


def script(server: ScriptedOllama, fault: str) -> None:
    if fault == "http_error":
        server.fail(500, "out of memory")
    elif fault == "stream_cut":
        server.cut_stream(PARTIAL)
    elif fault == "timeout":
        server.hang(30)
    elif fault == "redirect_refused":
        server.redirects["/api/chat"] = (307, REDIRECT_TARGET)


EXPECTED = {
    "http_error": "Ollama at {host} answered 500: out of memory",
    "stream_cut": f"the answer from {MODEL} stopped halfway: scripted server: stream cut",
    "timeout": f"{MODEL} did not answer within 1 s",
    "redirect_refused": f"the server at {{host}} redirected to {REDIRECT_TARGET}; localmig does not follow redirects "
                        "to hosts not allowed",
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_a_failed_exchange_is_logged_with_its_kind_message_and_prompt(demo, tmp_path, loopback_only, kind):
    with ScriptedOllama() as server:
        script(server, kind)
        engine = engine_on(server, tmp_path, timeout=1)
        conversation, before, after, existing = start(demo, engine)
        started = time.monotonic()
        with pytest.raises(LocalmigError) as raised:
            engine.propose(conversation, checker(conversation, before, after, existing))
        elapsed = time.monotonic() - started
        [request] = server.chat_requests()

    [exchange] = engine.store.recent()
    assert str(raised.value) == EXPECTED[kind].format(host=server.host)
    assert (exchange.error_kind, exchange.outcome, exchange.errors) == (kind, f"failed: {kind}", [str(raised.value)])
    assert (exchange.revision, exchange.purpose, exchange.model, exchange.host) == (DATA_REV, "generate", MODEL, server.host)
    assert exchange.messages == request.json["messages"]  # the prompt, exactly as sent
    assert exchange.answer == (PARTIAL if kind == "stream_cut" else None)  # what arrived before the failure
    assert exchange.seconds is not None and 0 < exchange.seconds <= elapsed
    assert exchange.cache_hit is False and engine.store.cached(exchange.cache_key) is None  # never cached
    assert loopback_only == []


def test_a_cancelled_exchange_is_logged_as_cancelled(demo, tmp_path):
    cancel = CancelToken()
    with ScriptedOllama() as server:
        server.hang(30)
        engine = engine_on(server, tmp_path)
        conversation, before, after, existing = start(demo, engine)
        threading.Timer(0.5, cancel.cancel).start()
        with pytest.raises(Cancelled):
            engine.propose(conversation, checker(conversation, before, after, existing), cancel=cancel)

    [exchange] = engine.store.recent()
    assert (exchange.error_kind, exchange.outcome) == ("cancelled", "failed: cancelled")
    assert exchange.errors == ["cancelled while waiting for the model"]


def test_a_failure_in_a_repair_round_is_logged_after_the_answers_before_it(demo, tmp_path):
    with ScriptedOllama() as server:
        server.answer("not JSON at all")
        server.fail(503, "loading model")
        engine = engine_on(server, tmp_path, repair_rounds=2)
        conversation, before, after, existing = start(demo, engine)
        with pytest.raises(LocalmigError):
            engine.propose(conversation, checker(conversation, before, after, existing))

    assert [(e.purpose, e.outcome, e.error_kind) for e in reversed(engine.store.recent())] == [
        ("generate", "invalid", None), ("repair_answer", "failed: http_error", "http_error")]


def test_localmig_log_shows_failed_exchanges_with_their_kind_and_message(tmp_path):
    root = copy_demo(tmp_path)
    with ScriptedOllama() as server:
        server.cut_stream(PARTIAL)
        result = cli_generate(root, write_config(tmp_path / "models.yaml", server.host), DATA_REV)
    assert result.returncode == ExitCode.MODEL, result.stdout + result.stderr

    [exchange] = logged(root)
    table = run_cli("log", str(root))
    assert table.returncode == 0, table.stderr
    row = next(line for line in table.stdout.splitlines() if DATA_REV in line)
    assert "generate" in row and "failed: stream_cut" in row
    full = run_cli("log", str(root), "--full")
    assert full.returncode == 0, full.stderr
    [error] = [line for line in full.stdout.splitlines() if "stopped halfway" in line]
    assert error.endswith(f"error:[/] the answer from {MODEL} stopped halfway: scripted server: stream cut") \
        or error == f"error: the answer from {MODEL} stopped halfway: scripted server: stream cut"  # markup fixed
    assert PARTIAL in full.stdout and exchange.messages[1]["content"].splitlines()[0] in full.stdout


def test_a_successful_exchange_has_no_error_kind(demo, tmp_path):
    with ScriptedOllama() as server:
        server.answer(json.dumps(answer(model_test("test_model_backfills_missing_status"))))
        engine = engine_on(server, tmp_path)
        conversation, before, after, existing = start(demo, engine)
        engine.propose(conversation, checker(conversation, before, after, existing))

    [exchange] = engine.store.recent()
    assert (exchange.error_kind, exchange.outcome, exchange.errors) == (None, "valid", [])
