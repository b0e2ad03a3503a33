"""``localmig generate`` on the demo with a real small model (SmolLM2-135M) behind the Ollama protocol.

The server is ``ModelBackedOllama``: llama.cpp (xllamacpp) in this process, real tokens, decoding
constrained by the JSON schema localmig sends in ``format``. A 135M model writes poor tests; what
is checked is the machinery around it, whatever the quality of the answers:

* every request carries localmig's answer schema in ``format`` and the profile's options;
* every answer that was not cut at ``num_predict`` parses and validates against that schema, and
  what a cut answer completed validates too (``required``/``minItems`` aside);
* every answer was checked and the log records the verdict (and the errors of an invalid one);
* a valid answer was rendered and run (the last exchange records what was kept), an invalid one
  ends in exit 5 with the reason;
* the loop stayed within its bounds: at most ``1 + repair_rounds`` requests for the answer, plus
  ``repair_rounds`` test repairs of at most ``1 + repair_rounds`` requests each.

llama.cpp runs on one thread: with two test workers on two cores, two threads per engine made
generation ten times slower here (threads spinning against each other), one thread did not.
"""

from __future__ import annotations

import json
import time

import jsonschema
import pytest

from localmig.engines.answers import answer_schema
from localmig.errors import ExitCode
from localmig.render import read_header
from tests.e2e.test_model_scripted import clean_environment, cli_generate, copy_demo, logged, write_config
from tests.ollama_servers import ModelBackedOllama

__all__ = ["clean_environment"]  # the autouse fixture, shared

pytestmark = pytest.mark.slow

TAG = "smollm2:135m"
REVISION = "d1a001e4c7b2"  # create customers: the demo's shortest prompt (with the codellama wording SmolLM2's
# answers often end within num_predict; llama.cpp's output varies with its prompt cache, so not always)
REPAIR_ROUNDS = 1
NUM_PREDICT = 256
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
        config = write_config(tmp_path / "models.yaml", server.host, model=TAG, family="codellama", timeout=900,
                              repair_rounds=REPAIR_ROUNDS, num_ctx=NUM_CTX, num_predict=NUM_PREDICT)
        started = time.monotonic()
        result = cli_generate(root, config, REVISION, "--require-model", timeout=1800)
        seconds = time.monotonic() - started
        requests = server.chat_requests()
    print(f"real model: {len(requests)} requests in {seconds:.0f} s")  # shown with -s / in the CI log

    schema = answer_schema()
    exchanges = logged(root)

    # decoded under the schema, with the profile's options
    assert requests, result.stdout + result.stderr
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
        assert messages[-1]["role"] == "user"
        assert messages[-1]["content"].startswith(("Your answer could not be used:", "These tests failed when they were run"))

    # every answer was validated and the verdict logged; every answer obeys the schema: a complete one
    # wholly, one cut at num_predict in every value it completed
    validator = jsonschema.Draft202012Validator(schema)
    relaxed = jsonschema.Draft202012Validator(without_minimums(schema))
    for exchange in exchanges:
        assert exchange.answer is not None
        assert exchange.outcome is not None, exchange
        if exchange.outcome == "invalid":
            assert exchange.errors, exchange
        else:
            assert exchange.errors == []
        if exchange.answer_tokens is not None and exchange.answer_tokens < NUM_PREDICT:
            validator.validate(json.loads(exchange.answer))  # decoding under the schema held
        else:
            # an answer cut at num_predict is named as such, then reported as broken JSON
            assert exchange.errors[0] == f"the answer was cut off at {NUM_PREDICT} tokens: write fewer or shorter tests"
            assert exchange.errors[1].startswith("the answer is not valid JSON"), exchange.errors
            completed = complete_part(exchange.answer)
            assert completed is not None, exchange.answer
            relaxed.validate(completed)

    # within bounds, whatever the quality of the answers
    purposes = [e.purpose for e in exchanges]
    assert purposes[0] == "generate" and purposes.count("generate") == 1
    assert purposes.count("repair_tests") <= REPAIR_ROUNDS
    assert len(requests) <= (1 + REPAIR_ROUNDS) + REPAIR_ROUNDS * (1 + REPAIR_ROUNDS)
    for start in [i for i, p in enumerate(purposes) if p != "repair_answer"]:
        run = 1
        while start + run < len(purposes) and purposes[start + run] == "repair_answer":
            run += 1
        assert run <= 1 + REPAIR_ROUNDS, purposes

    # valid: rendered and run; invalid: exit 5 with the reason. The deterministic tests are written either way.
    [module] = (root / "tests" / "migrations").glob(f"test_{REVISION}_*.py")
    header, body = read_header(module.read_text(encoding="utf-8"))
    assert header is not None and "deterministic" in header.engines
    last = exchanges[-1]
    if last.outcome == "invalid":
        assert result.returncode == ExitCode.MODEL, result.stdout + result.stderr
        rounds = f"{REPAIR_ROUNDS} repair round{'s' if REPAIR_ROUNDS != 1 else ''}"
        assert f"{REVISION}: {TAG} gave no valid answer after {rounds}" in result.stderr
        assert "model" not in header.engines
    else:
        assert result.returncode == 0, result.stdout + result.stderr
        assert last.outcome.startswith("verified: "), last.outcome
        kept = int(last.outcome.split()[1])
        assert ("model" in header.engines) == (kept > 0)
        if kept:
            assert header.model == TAG
    assert "Traceback" not in result.stderr
