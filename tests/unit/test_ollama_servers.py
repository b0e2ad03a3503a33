"""The Ollama-protocol test servers, exercised through the official ``ollama`` client over real HTTP."""

import json
import threading
import time
from datetime import datetime

import httpx
import jsonschema
import ollama
import pytest

from tests.ollama_servers import ModelBackedOllama, ScriptedOllama, free_port

MODEL = "codellama:7b-instruct"
HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture
def server():
    with ScriptedOllama() as scripted:
        yield scripted


@pytest.fixture
def client(server):
    with ollama.Client(host=server.host, timeout=10) as ollama_client:
        yield ollama_client


def test_non_streamed_answer(server, client):
    server.answer("hello back", eval_count=7, prompt_eval_count=3)

    reply = client.chat(MODEL, HELLO, stream=False)

    assert reply.model == MODEL
    assert reply.message.role == "assistant"
    assert reply.message.content == "hello back"
    assert reply.done is True
    assert reply.done_reason == "stop"
    assert datetime.fromisoformat(reply.created_at.replace("Z", "+00:00")).tzinfo is not None
    assert (reply.eval_count, reply.prompt_eval_count) == (7, 3)
    assert all(isinstance(n, int) for n in (reply.total_duration, reply.eval_duration, reply.prompt_eval_duration))


def test_streamed_answer_reassembles_and_ends_with_done(server, client):
    content = "def test_upgrade_adds_users_table(): assert True"
    server.answer(content)

    parts = list(client.chat(MODEL, HELLO, stream=True))

    assert len(parts) > 2
    assert "".join(p.message.content for p in parts) == content
    assert [p.done for p in parts] == [False] * (len(parts) - 1) + [True]
    assert parts[-1].message.content == ""
    assert parts[-1].done_reason == "stop"
    assert parts[-1].eval_count == 10


def test_answer_json_roundtrip(server, client):
    obj = {"tests": [{"name": "test_upgrade", "asserts": ["table users exists"]}], "n": 1}
    server.answer_json(obj)

    assert json.loads(client.chat(MODEL, HELLO, format="json").message.content) == obj


def test_answer_can_report_a_cut_off_answer(server, client):
    server.answer('{"tests": [', done_reason="length")

    assert client.chat(MODEL, HELLO).done_reason == "length"


def test_respond_computes_the_answer_from_the_request(server, client):
    server.respond(lambda request: request["messages"][-1]["content"].upper())

    assert client.chat(MODEL, [{"role": "user", "content": "shout"}]).message.content == "SHOUT"


def test_a_responder_that_raises_gives_a_500_naming_the_exception(server, client):
    server.respond(lambda request: request["no such key"])

    with pytest.raises(ollama.ResponseError) as caught:
        client.chat(MODEL, HELLO)
    assert caught.value.status_code == 500
    assert "KeyError" in caught.value.error


def test_answers_are_used_in_order_then_the_empty_queue_is_a_500(server, client):
    server.answer("first")
    server.answer("second")

    assert client.chat(MODEL, HELLO).message.content == "first"
    assert client.chat(MODEL, HELLO).message.content == "second"
    with pytest.raises(ollama.ResponseError) as caught:
        client.chat(MODEL, HELLO)
    assert caught.value.status_code == 500
    assert caught.value.error == "scripted server: no answer queued"


def test_delayed_answer_arrives_after_the_delay(server, client):
    server.answer("late", delay=0.3)

    started = time.monotonic()
    assert client.chat(MODEL, HELLO).message.content == "late"
    assert time.monotonic() - started >= 0.3


def test_fail_raises_response_error_with_the_status(server, client):
    server.fail(500, "model runner crashed")

    with pytest.raises(ollama.ResponseError) as caught:
        client.chat(MODEL, HELLO)
    assert caught.value.status_code == 500
    assert caught.value.error == "model runner crashed"


def test_unknown_model_is_404_naming_the_model(server, client):
    for call in (lambda: client.chat("llama9:70b", HELLO), lambda: client.show("llama9:70b")):
        with pytest.raises(ollama.ResponseError) as caught:
            call()
        assert caught.value.status_code == 404
        assert caught.value.error == "model 'llama9:70b' not found"


def test_a_name_without_tag_means_latest():
    with ScriptedOllama(models=["qwen2.5-coder", "phi:latest"]) as server:
        client = ollama.Client(host=server.host, timeout=10)
        server.answer("a")
        server.answer("b")

        assert client.chat("qwen2.5-coder:latest", HELLO).message.content == "a"
        assert client.chat("phi", HELLO).message.content == "b"
        assert [m.model for m in client.list().models] == ["qwen2.5-coder:latest", "phi:latest"]


def test_cut_stream_streamed_raises_response_error_after_the_first_chunks(server, client):
    server.cut_stream("def test_half")
    received = []

    with pytest.raises(ollama.ResponseError) as caught:
        for part in client.chat(MODEL, HELLO, stream=True):
            received.append(part.message.content)
    assert caught.value.status_code == -1
    assert caught.value.error == "scripted server: stream cut"
    assert "".join(received) == "def test_half"


def test_cut_stream_non_streamed_raises_remote_protocol_error(server, client):
    server.cut_stream("def test_half")

    with pytest.raises(httpx.RemoteProtocolError):
        client.chat(MODEL, HELLO, stream=False)


def test_hang_past_the_client_timeout_raises_read_timeout(server):
    server.hang(30)
    impatient = ollama.Client(host=server.host, timeout=0.3)

    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        impatient.chat(MODEL, HELLO)
    assert time.monotonic() - started < 5


def test_stop_is_prompt_while_a_handler_hangs(server, client):
    server.hang(30)
    outcome = []

    def patient_chat():
        try:
            client.chat(MODEL, HELLO)
        except Exception as exc:
            outcome.append(exc)

    caller = threading.Thread(target=patient_chat)
    caller.start()
    deadline = time.monotonic() + 5
    while not server.chat_requests() and time.monotonic() < deadline:
        time.sleep(0.01)

    started = time.monotonic()
    server.stop()
    caller.join(timeout=5)
    assert time.monotonic() - started < 1
    assert isinstance(outcome[0], httpx.RemoteProtocolError)


def test_recorded_request_is_what_the_client_sent(server, client):
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    messages = [{"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "Name a test."}]
    options = {"temperature": 0, "seed": 7, "num_predict": 64}
    server.answer_json({"name": "test_x"})

    client.list()
    client.chat(MODEL, messages, format=schema, options=options, stream=False)

    assert [(r.method, r.path) for r in server.requests] == [("GET", "/api/tags"), ("POST", "/api/chat")]
    [chat] = server.chat_requests()
    assert json.loads(chat.body_bytes) == chat.json
    assert chat.json["model"] == MODEL
    assert chat.json["messages"] == messages
    assert chat.json["format"] == schema
    assert chat.json["options"] == options
    assert chat.json["stream"] is False


def test_list_shows_the_models():
    with ScriptedOllama(models=["codellama:7b-instruct", "deepseek-coder:6.7b-instruct"]) as server:
        listed = ollama.Client(host=server.host, timeout=10).list().models

    assert [m.model for m in listed] == ["codellama:7b-instruct", "deepseek-coder:6.7b-instruct"]
    for model in listed:
        assert model.size > 0
        assert len(model.digest) == 64
        assert model.modified_at is not None
        assert model.details.format == "gguf"


def test_a_server_without_models_lists_none():
    with ScriptedOllama(models=[]) as server:
        client = ollama.Client(host=server.host, timeout=10)

        assert client.list().models == []
        with pytest.raises(ollama.ResponseError) as caught:
            client.chat(MODEL, HELLO)
        assert caught.value.status_code == 404


def test_show_describes_the_model(client):
    shown = client.show(MODEL)

    assert shown.capabilities == ["completion"]
    assert shown.details.family == "llama"
    assert shown.modelinfo["llama.context_length"] == 16384
    assert shown.modified_at is not None


def test_ps_and_version(server, client):
    assert [m.model for m in client.ps().models] == [MODEL]
    assert httpx.get(f"{server.host}/api/version").json() == {"version": "0.6.3-test"}


def test_stopped_server_raises_connection_error(server, client):
    server.stop()

    with pytest.raises(ConnectionError):
        client.list()
    with pytest.raises(ConnectionError):
        ollama.Client(host=f"http://127.0.0.1:{free_port()}", timeout=10).list()


# --- the real small model -------------------------------------------------------------------

SMOL = "smollm2:135m"
OTHER_TAG = "qwen2.5-coder:7b"
GREEDY = {"temperature": 0, "seed": 42, "num_predict": 128}
TESTS_SCHEMA = {
    "type": "object",
    "properties": {
        "tests": {
            "type": "array",
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string", "maxLength": 30}},
                "required": ["name"],
            },
        }
    },
    "required": ["tests"],
}
ASK_FOR_TESTS = [
    {"role": "system", "content": "You write pytest tests for database migrations. Answer in JSON."},
    {"role": "user", "content": "Name two tests for a migration that adds a users table."},
]


@pytest.fixture(scope="module")
def model_server():
    with ModelBackedOllama([SMOL, OTHER_TAG]) as backed:
        yield backed


@pytest.fixture
def model_client(model_server):
    with ollama.Client(host=model_server.host, timeout=60) as ollama_client:
        yield ollama_client


@pytest.mark.slow
def test_model_answer_follows_a_bounded_json_schema(model_client):
    reply = model_client.chat(SMOL, ASK_FOR_TESTS, format=TESTS_SCHEMA, options=GREEDY)

    jsonschema.validate(json.loads(reply.message.content), TESTS_SCHEMA)
    assert reply.done_reason == "stop"
    assert 0 < reply.eval_count <= 128
    assert reply.prompt_eval_count > 0


@pytest.mark.slow
def test_model_with_temperature_0_and_a_seed_is_deterministic(model_client):
    first = model_client.chat(SMOL, ASK_FOR_TESTS, format=TESTS_SCHEMA, options=GREEDY)
    second = model_client.chat(SMOL, ASK_FOR_TESTS, format=TESTS_SCHEMA, options=GREEDY)

    assert first.message.content == second.message.content


@pytest.mark.slow
def test_model_streamed_equals_non_streamed(model_client):
    whole = model_client.chat(SMOL, ASK_FOR_TESTS, format=TESTS_SCHEMA, options=GREEDY, stream=False)
    parts = list(model_client.chat(SMOL, ASK_FOR_TESTS, format=TESTS_SCHEMA, options=GREEDY, stream=True))

    assert len(parts) > 2
    assert "".join(p.message.content for p in parts) == whole.message.content
    assert parts[-1].done is True
    assert parts[-1].done_reason == whole.done_reason
    assert parts[-1].eval_count == whole.eval_count


@pytest.mark.slow
def test_model_num_predict_cuts_the_answer_with_done_reason_length(model_client):
    story = [{"role": "user", "content": "Tell a long story about a database."}]

    reply = model_client.chat(SMOL, story, options={"temperature": 0, "seed": 1, "num_predict": 8})

    assert reply.done_reason == "length"
    assert reply.eval_count == 8


@pytest.mark.slow
def test_model_both_tags_answer(model_client):
    for tag in (SMOL, OTHER_TAG):
        reply = model_client.chat(tag, HELLO, options={**GREEDY, "num_predict": 16})
        assert reply.model == tag
        assert reply.message.content.strip()


@pytest.mark.slow
def test_model_unknown_tag_is_404(model_client):
    with pytest.raises(ollama.ResponseError) as caught:
        model_client.chat("smollm2:1.7b", HELLO)
    assert caught.value.status_code == 404
    assert caught.value.error == "model 'smollm2:1.7b' not found"


@pytest.mark.slow
def test_model_engine_errors_are_400_or_an_error_line(model_client):
    bad_schema = {"type": "no such type"}

    with pytest.raises(ollama.ResponseError) as whole:
        model_client.chat(SMOL, HELLO, format=bad_schema, stream=False)
    with pytest.raises(ollama.ResponseError) as streamed:
        list(model_client.chat(SMOL, HELLO, format=bad_schema, stream=True))
    assert whole.value.status_code == 400
    assert streamed.value.status_code == -1
    assert "no such type" in whole.value.error


@pytest.mark.slow
def test_model_stop_interrupts_a_generation_under_way():
    story = [{"role": "user", "content": "Tell a very long story about a database."}]
    with ModelBackedOllama([SMOL]) as backed:
        stream = ollama.Client(host=backed.host, timeout=60).chat(
            SMOL, story, stream=True, options={"num_predict": 2000}
        )
        next(stream)
        started = time.monotonic()
        backed.stop()  # returns once the engine has given up the generation

    # 2000 tokens take SmolLM2 half a minute or more on two cores; stopping must not wait for
    # them (a generous bound, so a busy machine does not make this fail)
    assert time.monotonic() - started < 15
    with pytest.raises(httpx.RemoteProtocolError):
        list(stream)
