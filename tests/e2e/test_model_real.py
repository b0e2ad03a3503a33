"""``localmig generate`` on the demo with a real small model (SmolLM2-135M) behind the Ollama protocol.

The server is ``ModelBackedOllama``: llama.cpp (xllamacpp) in this process, real tokens, decoding
constrained by the JSON schema localmig sends in ``format``. A 135M model answers in the inputs
output (rows only: localmig records what the migration does with them), the default for models
under 4B parameters. What is checked, whatever the quality of the rows:

* every request carries the revision's own format in ``format``: the demo's tables as the only
  seed branches, their columns with their types, no expectations to write; and the profile's options;
* every answer that was not cut at ``num_predict`` validates against that schema, and what a cut
  answer completed validates too (``required``/``minItems`` aside);
* every answer was checked and the log records the verdict (and the errors of an invalid one);
* after repair the answer is valid (0 invalid: the exit is 0 and the last exchange was verified),
  its scenarios became characterizations marked for review that passed (or expose a finding);
* the loop stayed within its bounds: at most ``1 + repair_rounds`` requests, no test repairs
  (inputs are recorded as observed already).

llama.cpp runs on one thread: with two test workers on two cores, two threads per engine made
generation ten times slower here (threads spinning against each other), one thread did not.
"""

from __future__ import annotations

import json
import time

import jsonschema
import pytest

from localmig.render import read_header
from tests.e2e.test_model_scenarios import branches, resolve
from tests.e2e.test_model_scripted import clean_environment, cli_generate, copy_demo, logged, write_config
from tests.ollama_servers import ModelBackedOllama

__all__ = ["clean_environment"]  # the autouse fixture, shared

pytestmark = pytest.mark.slow

TAG = "smollm2:135m"
REVISION = "d1a0055ad3f0"  # the demo's data migration: the revision where rows matter most
REPAIR_ROUNDS = 2
NUM_PREDICT = 1024  # the inputs format is bounded: 2 scenarios of at most 4 seed items of 4 rows
NUM_CTX = 4096


def complete_part(text: str) -> object:
    """What a JSON document cut short had completed: its text up to the end of the last complete value,
    with the arrays and objects still open closed (a key without its value is left out)."""
    stack: list[str] = []
    in_string = escape = is_key = expecting_key = False
    cut: tuple[int, list[str]] | None = None
    for index, char in enumerate(text):
        if in_string:
            if escape:
                escape = False
            elif char == "\\":
                escape = True
            elif char == '"':
                in_string = False
                if not is_key:
                    cut = (index + 1, stack.copy())
            continue
        if char == '"':
            in_string, is_key = True, expecting_key
        elif char in "{[":
            stack.append(char)
            expecting_key = char == "{"
        elif char in "}]":
            stack.pop()
            cut, expecting_key = (index + 1, stack.copy()), False
        elif char == ",":
            expecting_key = stack[-1] == "{"
        elif char == ":":
            expecting_key = False
        elif char.isalnum() and index + 1 < len(text) and not (text[index + 1].isalnum() or text[index + 1] in "-+.eE"):
            cut = (index + 1, stack.copy())  # the end of a number, true, false or null (not the very last character)
    if cut is None:
        return None
    end, still_open = cut
    return json.loads(text[:end] + "".join("}" if c == "{" else "]" for c in reversed(still_open)))


def without_minimums(schema: object) -> object:
    """The schema without `required` and `minItems`: what the completed part of a cut answer must obey."""
    if isinstance(schema, dict):
        return {k: without_minimums(v) for k, v in schema.items() if k not in ("required", "minItems")}
    if isinstance(schema, list):
        return [without_minimums(v) for v in schema]
    return schema


def test_complete_part_of_a_cut_answer():
    assert complete_part('{"tests": [{"name": "test_a", "aspect": "up') == {"tests": [{"name": "test_a"}]}
    assert complete_part('{"tests": [{"name": "test_a", "aspect": "upgrade", "docstr') == {"tests": [{"name": "test_a", "aspect": "upgrade"}]}
    assert complete_part('{"imports": [], "tests": [{"name": "x\\"y", "n": 12') == {"imports": [], "tests": [{"name": 'x"y'}]}
    assert complete_part('{"a": [1, 2, true], "b": nul') == {"a": [1, 2, True]}
    assert complete_part('{"tests": [{"name": "test_a"}]}') == {"tests": [{"name": "test_a"}]}
    assert complete_part('{"tes') is None


def test_generate_on_the_demo_with_a_real_small_model(tmp_path):
    root = copy_demo(tmp_path)
    with ModelBackedOllama([TAG], n_ctx=NUM_CTX, threads=1) as server:
        config = write_config(tmp_path / "models.yaml", server.host, model=TAG, family="codellama", timeout=3600,
                              repair_rounds=REPAIR_ROUNDS, num_ctx=NUM_CTX, num_predict=NUM_PREDICT, output=None)
        started = time.monotonic()
        result = cli_generate(root, config, REVISION, "--require-model", timeout=7200)
        seconds = time.monotonic() - started
        requests = server.chat_requests()
    exchanges = logged(root)
    print(f"real model: {len(requests)} requests in {seconds:.0f} s; "
          f"outcomes {[(e.purpose, e.outcome, e.answer_tokens) for e in exchanges]}")  # shown with -s / in the CI log

    # decoded under the revision's own format, with the profile's options
    assert requests, result.stdout + result.stderr
    schema = requests[0].json["format"]
    assert set(branches(schema, "seed")) == {"addresses", "customers", "order_items", "orders", "products"}
    assert list(resolve(schema, schema["properties"]["scenarios"]["items"])["properties"]) == ["name", "purpose", "seed"]
    assert requests[0].json["messages"][0]["content"].startswith("You are a careful developer. Your only job: choose rows")
    for request in requests:
        assert request.json["model"] == TAG
        assert request.json["format"] == schema
        assert request.json["stream"] is True
        assert request.json["options"] == {"temperature": 0.0, "seed": 42, "num_ctx": NUM_CTX, "num_predict": NUM_PREDICT}

    # every request is logged, with the exact messages, and nothing came from the cache
    assert len(exchanges) == len(requests)
    assert [e.messages for e in exchanges] == [r.json["messages"] for r in requests]
    assert not any(e.cache_hit for e in exchanges)

    # each request continues the conversation: the previous prompt, the model's answer, localmig's reply
    for previous, current, answered in zip(requests, requests[1:], exchanges):
        messages = current.json["messages"]
        assert messages[: len(previous.json["messages"])] == previous.json["messages"]
        assert messages[len(previous.json["messages"])] == {"role": "assistant", "content": answered.answer}
        assert messages[-1]["content"].startswith("Your answer could not be used:")

    # every answer was validated and the verdict logged; every answer obeys the schema: a complete one
    # wholly, one cut at num_predict in every value it completed
    validator = jsonschema.Draft202012Validator(schema)
    relaxed = jsonschema.Draft202012Validator(without_minimums(schema))
    for exchange in exchanges:
        assert exchange.answer is not None
        assert exchange.outcome is not None, exchange
        assert bool(exchange.errors) == (exchange.outcome == "invalid"), exchange
        if exchange.answer_tokens is not None and exchange.answer_tokens < NUM_PREDICT:
            validator.validate(json.loads(exchange.answer))  # decoding under the schema held
        else:
            assert exchange.errors[0] == f"the answer was cut off at {NUM_PREDICT} tokens: write fewer or shorter scenarios"
            completed = complete_part(exchange.answer)
            assert completed is not None, exchange.answer
            relaxed.validate(completed)

    # within bounds: the answer and its repairs, no test repairs
    purposes = [e.purpose for e in exchanges]
    assert purposes == ["generate"] + ["repair_answer"] * (len(purposes) - 1)
    assert len(requests) <= 1 + REPAIR_ROUNDS

    # 0 invalid after repair: the answer was used, its scenarios recorded as observed and run
    assert result.returncode == 0, result.stdout + result.stderr
    assert exchanges[-1].outcome.startswith("verified: "), exchanges[-1].outcome
    [module] = (root / "tests" / "migrations").glob(f"test_{REVISION}_*.py")
    header, body = read_header(module.read_text(encoding="utf-8"))
    assert header is not None and "deterministic" in header.engines
    kept = int(exchanges[-1].outcome.split()[1])
    assert ("model" in header.engines) == (kept > 0)
    if kept:
        assert header.model == TAG and "Characterization (to review): " in body
    assert "Traceback" not in result.stderr
