"""The answer cache: an identical run asks nothing, --replay-only needs no server, and the key follows the inputs."""

from __future__ import annotations

import json
from pathlib import Path

from localmig.errors import ExitCode
from localmig.prompts import PromptSet
from localmig.render import read_header
from tests.e2e.test_model_scripted import (
    DATA_REV,
    MODEL,
    PASSING_BODY,
    answer,
    clean_environment,
    cli_generate,
    copy_demo,
    demo,
    engine_on,
    generate,
    logged,
    model_test,
    propose,
    write_config,
)
from tests.ollama_servers import ScriptedOllama

__all__ = ["clean_environment", "demo"]  # fixtures, shared

VALID = answer(model_test("test_model_backfills_missing_status", PASSING_BODY))


def module_of(root: Path, item) -> str:
    return (root / "tests" / "migrations" / item.filename).read_text(encoding="utf-8")


def test_an_identical_run_asks_nothing_and_replay_only_needs_no_server(tmp_path):
    root = copy_demo(tmp_path)
    with ScriptedOllama() as server:
        config = write_config(tmp_path / "models.yaml", server.host)
        server.answer("not JSON")  # the first run needs a repair round: both answers are cached
        server.answer_json(VALID)
        first = generate(root, config, DATA_REV)
        assert len(server.chat_requests()) == 2
        written = module_of(root, first)

        second = generate(root, config, DATA_REV)
        assert len(server.chat_requests()) == 2  # not one more request
        assert second.plan.names() == first.plan.names()
        assert module_of(root, second) == written

    replay = cli_generate(root, config, DATA_REV, "--replay-only")  # the server is gone

    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert f"generated tests (model: {MODEL})" in replay.stdout
    assert module_of(root, first) == written
    header, _ = read_header(written)
    assert header is not None and header.engines == ["deterministic", "model"] and header.model == MODEL
    exchanges = logged(root)
    assert [(e.purpose, e.cache_hit) for e in exchanges] == [
        ("generate", False), ("repair_answer", False),
        ("generate", True), ("repair_answer", True),
        ("generate", True), ("repair_answer", True),
    ]
    assert exchanges[0].messages == exchanges[2].messages == exchanges[4].messages
    assert exchanges[-1].host == ""  # replayed without any model client
    assert [e.outcome for e in exchanges[-2:]] == ["invalid", "verified: 1 kept"]


def test_replay_only_with_an_empty_cache_fails_clearly(tmp_path):
    root = copy_demo(tmp_path)
    config = write_config(tmp_path / "models.yaml", "http://127.0.0.1:1")  # nothing listens there: never contacted

    result = cli_generate(root, config, DATA_REV, "--replay-only")

    assert result.returncode == ExitCode.MODEL, result.stdout + result.stderr
    version = PromptSet("default").version
    assert f"error: no cached answer for {DATA_REV} (generate) with {MODEL} and prompts {version}" in result.stderr
    assert "run once with the model available to fill the cache (.localmig/localmig.db), or drop --replay-only" \
        in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_replay_only_misses_when_the_model_or_its_options_changed(tmp_path):
    root = copy_demo(tmp_path)
    with ScriptedOllama() as server:
        config = write_config(tmp_path / "models.yaml", server.host)
        server.answer_json(VALID)
        generate(root, config, DATA_REV)

    other = write_config(tmp_path / "other.yaml", server.host, num_predict=512)
    result = cli_generate(root, other, DATA_REV, "--replay-only")

    assert result.returncode == ExitCode.MODEL, result.stdout + result.stderr
    assert f"no cached answer for {DATA_REV} (generate)" in result.stderr


def test_the_cache_key_follows_the_prompts_the_model_and_the_options(demo, tmp_path):
    """One store; each change of an input asks the model again, going back to the first inputs does not."""
    overrides = tmp_path / "prompts"
    (overrides / "default").mkdir(parents=True)
    (overrides / "default" / "repair_answer.txt").write_text("Fix this:\n$errors\n")
    with ScriptedOllama(models=[MODEL, "deepseek-coder:6.7b-instruct"]) as server:
        for _ in range(6):
            server.answer_json(VALID)

        def ask(**profile) -> int:
            prompts = profile.pop("prompts", None)
            engine = engine_on(server, tmp_path, **profile)
            if prompts is not None:
                engine.prompts = PromptSet("default", [prompts])
            propose(demo, engine)
            engine.store.close()
            return len(server.chat_requests())

        assert ask() == 1
        assert ask() == 1  # cached
        assert ask(prompts=overrides) == 2  # a custom template changes the prompts version, even one not used here
        assert ask(prompts=overrides) == 2
        assert ask(num_predict=512) == 3
        assert ask(num_ctx=8192) == 4
        assert ask(model="deepseek-coder:6.7b-instruct") == 5
        assert ask() == 5  # the first inputs are still cached
        sent = {json.dumps([r.json["model"], r.json["options"]], sort_keys=True) for r in server.chat_requests()}
        assert len(sent) == 4  # the two prompt versions share model and options
