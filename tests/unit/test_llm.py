"""llm.py: the host policy and the conversation with Ollama, through the official client over real HTTP.

Every server here is a ``ScriptedOllama`` on 127.0.0.1; the client, httpx and the sockets are real.
Host checks that must not connect anywhere run with socket connections and name look-ups
forbidden, so that a connection attempt fails the test instead of going unnoticed.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from localmig.config import ModelOptions, ModelProfile, Settings
from localmig.errors import (
    ExitCode,
    HostRefused,
    ModelError,
    ModelNotPulled,
    ModelServerError,
    ModelStreamCut,
    ModelTimeout,
    ModelUnavailable,
)
from localmig.llm import OllamaModel, check_host, host_name, is_loopback
from tests.ollama_servers import ScriptedOllama, free_port

MODEL = "codellama:7b-instruct"
SCHEMA = {"type": "object", "properties": {"tests": {"type": "array", "maxItems": 4}}, "required": ["tests"]}
MESSAGES = [{"role": "system", "content": "You write tests."}, {"role": "user", "content": "Revision abc: add orders.note"}]


def settings_for(host: str | None = None, *, allow_remote: bool = False, allowed_hosts: list[str] | None = None,
                 timeout: float = 10, model: str = MODEL) -> Settings:
    return Settings.model_validate({
        "default": "p",
        "host": host,
        "allow_remote": allow_remote,
        "allowed_hosts": allowed_hosts or [],
        "profiles": {"p": {"model": model, "timeout": timeout, "options": {"num_ctx": 4096, "num_predict": 256}}},
    })


def model_on(server: ScriptedOllama, **kwargs) -> OllamaModel:
    settings = settings_for(server.host, **kwargs)
    return OllamaModel(settings.profile(), settings)


@pytest.fixture
def no_network(monkeypatch):
    """Any connection or name look-up raises, and is recorded."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"a connection was attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


@pytest.fixture
def server():
    with ScriptedOllama() as scripted:
        yield scripted


# ---------------------------------------------------------------------------------- host policy


@pytest.mark.parametrize(
    "host",
    ["http://127.0.0.1:11434", "127.0.0.1", "127.0.0.1:11434", "http://localhost:11434", "localhost", "LOCALHOST:1",
     "http://127.8.9.10:5", "http://[::1]:11434", "https://localhost", "http://[::ffff:127.0.0.1]:11434",
     "0.0.0.0", "0.0.0.0:11434", "http://0.0.0.0:11434", ":11434", "http://[::]:11434"],
)
def test_loopback_hosts_pass(host, no_network):
    assert is_loopback(host)
    assert check_host(host, settings_for()) == host
    assert no_network == []


@pytest.mark.parametrize(
    "host, name",
    [("http://10.1.2.3:11434", "10.1.2.3"), ("example.com", "example.com"), ("example.com:11434", "example.com"),
     ("https://ollama.internal.example", "ollama.internal.example"), ("http://192.168.1.20", "192.168.1.20"),
     ("http://localhost.example.com", "localhost.example.com"), ("http://[2001:db8::1]:11434", "2001:db8::1")],
)
def test_other_hosts_are_refused_with_a_hint_saying_how_to_allow_them(tmp_path, host, name, no_network):
    settings = settings_for()
    settings.source = tmp_path / "models.yaml"

    with pytest.raises(HostRefused) as raised:
        check_host(host, settings)

    assert host_name(host) == name
    assert str(raised.value) == f"refusing to send schema context to {host}: it is not a loopback address"
    assert raised.value.hint == (
        f"to allow it, set `allow_remote: true` and list {name!r} under `allowed_hosts` in models.yaml ({tmp_path / 'models.yaml'})"
    )
    assert raised.value.exit_code == ExitCode.MODEL
    assert no_network == []


def test_an_allowed_remote_host_passes_without_any_connection(no_network):
    for listed in ("10.1.2.3", "http://10.1.2.3:11434"):
        settings = settings_for(allow_remote=True, allowed_hosts=[listed])
        assert check_host("http://10.1.2.3:11434", settings) == "http://10.1.2.3:11434"
        assert check_host("10.1.2.3:9999", settings) == "10.1.2.3:9999"

    settings = settings_for("http://10.1.2.3:11434", allow_remote=True, allowed_hosts=["10.1.2.3"])
    model = OllamaModel(settings.profile(), settings)  # builds its client, sends nothing
    assert model.host == "http://10.1.2.3:11434"
    assert no_network == []


@pytest.mark.parametrize(
    "allow_remote, allowed",
    [(True, []), (True, ["10.1.2.4"]), (False, ["10.1.2.3"])],
)
def test_a_remote_host_needs_both_allow_remote_and_its_name_listed(allow_remote, allowed, no_network):
    with pytest.raises(HostRefused):
        check_host("http://10.1.2.3:11434", settings_for(allow_remote=allow_remote, allowed_hosts=allowed))
    assert no_network == []


def test_the_model_refuses_a_remote_host_from_ollama_host_before_connecting(monkeypatch, no_network):
    monkeypatch.setenv("OLLAMA_HOST", "example.com")
    settings = settings_for()

    with pytest.raises(HostRefused, match=r"refusing to send schema context to example\.com"):
        OllamaModel(settings.profile(), settings)
    assert no_network == []


# ---------------------------------------------------------------------------------- listing models


def test_pulled_lists_the_servers_tags_and_latest_is_implied():
    with ScriptedOllama(models=["codellama:7b-instruct", "phi3"]) as server:
        model = model_on(server)
        assert model.pulled() == ["codellama:7b-instruct", "phi3:latest"]
        assert model.is_pulled()
        model.ensure_ready()

        for tag, pulled in (("phi3", True), ("phi3:latest", True), ("phi3:mini", False), ("codellama", False)):
            assert model_on(server, model=tag).is_pulled() is pulled, tag


def test_a_model_the_server_does_not_have_is_reported_with_the_pull_line():
    with ScriptedOllama(models=["phi3"]) as server:
        with pytest.raises(ModelNotPulled) as raised:
            model_on(server).ensure_ready()

    assert str(raised.value) == f"Ollama at {server.host} does not have the model {MODEL}"
    assert raised.value.hint == f"run `ollama pull {MODEL}`"
    assert raised.value.exit_code == ExitCode.MODEL


def test_an_unreachable_server_says_how_to_start_it():
    host = f"http://127.0.0.1:{free_port()}"
    settings = settings_for(host)
    model = OllamaModel(settings.profile(), settings)

    for call in (model.pulled, lambda: model.chat(MESSAGES, SCHEMA)):
        with pytest.raises(ModelUnavailable) as raised:
            call()
        assert str(raised.value) == f"Ollama is not reachable at {host}"
        assert "ollama serve" in raised.value.hint and "--no-model" in raised.value.hint


def test_a_server_that_drops_the_listing_is_a_clear_error(server, monkeypatch):
    monkeypatch.setattr(server, "models", None)  # /api/tags now breaks inside the server: no response at all

    with pytest.raises(ModelError) as raised:
        model_on(server).pulled()

    assert str(raised.value) == f"Ollama at {server.host} closed the connection without answering"


def test_a_server_that_is_not_ollama_is_named_with_its_status(tmp_path):
    """Something else listens on the port: /api/tags is a 404 there."""
    import http.server
    import threading

    class NotOllama(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'{"error": "no such page"}'
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotOllama)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        settings = settings_for(f"http://127.0.0.1:{httpd.server_address[1]}")
        with pytest.raises(ModelError) as raised:
            OllamaModel(settings.profile(), settings).pulled()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert str(raised.value) == f"Ollama at {settings.host} answered 404: no such page"


# ---------------------------------------------------------------------------------- chat


def test_chat_streams_the_answer_under_the_schema_with_the_profiles_options(server):
    server.answer('{"tests": []}', eval_count=7, prompt_eval_count=33)
    tokens: list[str] = []

    reply = model_on(server).chat(MESSAGES, SCHEMA, tokens.append)

    assert reply.content == '{"tests": []}'
    assert "".join(tokens) == reply.content and len(tokens) > 1
    assert (reply.model, reply.done_reason, reply.prompt_tokens, reply.answer_tokens) == (MODEL, "stop", 33, 7)
    assert reply.seconds > 0
    [request] = server.chat_requests()
    assert request.json == {
        "model": MODEL,
        "messages": MESSAGES,
        "tools": [],
        "stream": True,
        "format": SCHEMA,
        "options": {"temperature": 0.0, "seed": 42, "num_ctx": 4096, "num_predict": 256},
        "keep_alive": "5m",
    }


def test_an_answer_cut_at_the_token_cap_is_returned_with_its_done_reason(server):
    server.answer('{"tests": [{"name": "test_', done_reason="length")

    reply = model_on(server).chat(MESSAGES, SCHEMA)

    assert reply.done_reason == "length"
    assert reply.content == '{"tests": [{"name": "test_'


def test_a_model_missing_at_chat_time_gives_the_pull_line():
    with ScriptedOllama(models=[]) as server:
        with pytest.raises(ModelNotPulled) as raised:
            model_on(server).chat(MESSAGES, SCHEMA)
        assert len(server.chat_requests()) == 1
    assert raised.value.hint == f"run `ollama pull {MODEL}`"


def test_a_server_error_names_the_host_and_status(server):
    server.fail(500, "out of memory")

    with pytest.raises(ModelError) as raised:
        model_on(server).chat(MESSAGES, SCHEMA)

    assert str(raised.value) == f"Ollama at {server.host} answered 500: out of memory"
    assert isinstance(raised.value, ModelServerError)


def test_a_stream_cut_midway_is_a_clear_error(server):
    server.cut_stream('{"tests": [{"name": "test_upgr')
    tokens: list[str] = []

    with pytest.raises(ModelError) as raised:
        model_on(server).chat(MESSAGES, SCHEMA, tokens.append)

    assert str(raised.value) == f"the answer from {MODEL} stopped halfway: scripted server: stream cut"
    assert isinstance(raised.value, ModelStreamCut)
    assert raised.value.hint == "check the Ollama server log; run again"
    assert "".join(tokens) == '{"tests": [{"name": "test_upgr'


def test_a_silent_server_times_out_naming_the_timeout(server):
    server.hang(30)
    started = time.monotonic()

    with pytest.raises(ModelTimeout) as raised:
        model_on(server, timeout=1).chat(MESSAGES, SCHEMA)

    assert time.monotonic() - started < 10
    assert str(raised.value) == f"{MODEL} did not answer within 1 s"
    assert "timeout" in raised.value.hint
    assert raised.value.exit_code == ExitCode.MODEL


def test_a_slow_answer_past_the_timeout_times_out(server):
    server.answer('{"tests": []}', delay=5)

    with pytest.raises(ModelTimeout, match="did not answer within 1 s"):
        model_on(server, timeout=1).chat(MESSAGES, SCHEMA)


def test_options_left_unset_are_not_sent(server):
    server.answer("{}")
    profile = ModelProfile(name="p", model=MODEL, options=ModelOptions(top_p=0.5))
    settings = settings_for(server.host)

    OllamaModel(profile, settings).chat(MESSAGES, SCHEMA)

    options = server.chat_requests()[0].json["options"]
    assert options == {"temperature": 0.0, "seed": 42, "num_ctx": 8192, "num_predict": 2048, "top_p": 0.5}
    assert json.dumps(options)  # plain JSON, nothing pydantic-specific
