"""The model layer on the demo against a scripted Ollama-protocol server, through the official client.

Nothing is mocked: the ``ollama`` client talks HTTP to ``ScriptedOllama`` on 127.0.0.1, the demo's
history is captured with Alembic on scratch SQLite databases, and generated tests run in a pytest
subprocess. Three levels, cheapest first:

* the engine on a captured demo (one capture per module): repair loops, bounds, the token budget;
* ``Session.generate`` on a copy of the demo: what is rendered, verified, repaired and written;
* ``localmig generate`` in a subprocess, where exit codes and messages are the point.

The helpers at the top are shared with test_privacy.py and test_cache.py.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import time
from pathlib import Path

import pytest

from localmig.config import Settings
from localmig.context import build_context, estimate_tokens
from localmig.engines.answers import answer_schema, check_answer
from localmig.engines.model import ModelEngine
from localmig.errors import AnswerInvalid, ExitCode, PromptTooLarge
from localmig.events import Notice
from localmig.llm import OllamaModel
from localmig.pipeline import ModelChoice, Session, SessionOptions
from localmig.prompts import PromptSet
from localmig.render import read_header
from localmig.store import Store
from tests.conftest import DEMO, run_cli
from tests.ollama_servers import ScriptedOllama, free_port

MODEL = "codellama:7b-instruct"
DATA_REV = "d1a0055ad3f0"  # order_statuses lookup and backfill (the data migration)
BROKEN_DOWNGRADE_REV = "d1a0094d7b13"  # its downgrade drops an index that does not exist
PACKAGED_PROMPTS_VERSION = PromptSet("default").version

# A model test for DATA_REV that passes: an order without status gets one.
PASSING_BODY = (
    'database = migrations.database_before(REVISION)\n'
    'database.insert("customers", [{"id": 1, "email": "a@example.test", "full_name": "A"}])\n'
    'database.insert("orders", [{"id": 1, "customer_id": 1, "status": None}])\n'
    'database.upgrade(REVISION)\n'
    'assert all(row["status"] is not None for row in database.rows("orders"))'
)
# The same test with a wrong expectation: it fails when run.
FAILING_BODY = PASSING_BODY.rsplit("\n", 1)[0] + '\nassert [row["status"] for row in database.rows("orders")] == [None]'


@pytest.fixture(autouse=True)
def clean_environment(tmp_path, monkeypatch):
    """No user config folder, OLLAMA_HOST or LOCALMIG_MODEL of the machine running the tests."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.delenv("LOCALMIG_MODEL", raising=False)


def write_config(path: Path, host: str, *, model: str = MODEL, family: str = "default", repair_rounds: int = 1,
                 timeout: float = 60, num_ctx: int = 16384, num_predict: int = 1024, extra: str = "",
                 output: str | None = "code") -> Path:
    """A models.yaml with one profile, ``test``, on ``host``. ``output`` is the profile's (code
    answers unless told otherwise: the tests here script code answers; None leaves it to the model's size)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(f"""\
        default: test
        host: {host}
        profiles:
          test:
            model: {model}
            family: {family}
            options: {{temperature: 0, seed: 42, num_ctx: {num_ctx}, num_predict: {num_predict}}}
            repair_rounds: {repair_rounds}
            timeout: {timeout}
        """) + (f"    output: {output}\n" if output else "") + extra, encoding="utf-8")
    return path


def model_test(name: str, body: str = PASSING_BODY, aspect: str = "data", docstring: str = "What the test proves.") -> dict:
    return {"name": name, "aspect": aspect, "docstring": docstring, "body": body}


def answer(*tests: dict, imports: tuple[str, ...] = ()) -> dict:
    return {"imports": list(imports), "tests": list(tests)}


def copy_demo(tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("__pycache__", "*.db", ".localmig"))
    return target


def sent(server: ScriptedOllama) -> list[list[dict]]:
    """The messages of every chat the server received."""
    return [request.json["messages"] for request in server.chat_requests()]


def generate(root: Path, config: Path, revision: str, *, mode: str = "auto", events: list | None = None, **choice):
    """``Session.generate`` for one revision with the model layer, written to disk."""
    with Session.open(SessionOptions(path=root), (events if events is not None else []).append) as session:
        session.use_model(ModelChoice(mode=mode, config=config, **choice))
        items = session.generate(session.select([revision]))
        session.write(items)
    [item] = items
    return item


def cli_generate(root: Path, config: Path, revision: str, *args: str, timeout: float = 300):
    return run_cli("generate", str(root), "--rev", revision, "--config", str(config), *args,
                   env={"XDG_CONFIG_HOME": str(root.parent / "xdg")}, timeout=timeout)


def logged(root: Path):
    """The exchanges of the project's store, oldest first."""
    store = Store(root)
    try:
        return list(reversed(store.recent(limit=100)))
    finally:
        store.close()


# ---------------------------------------------------------------------------------- engine level


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo captured once; ``demo.plan(rev)`` gives (item, before, after) per revision."""
    root = copy_demo(tmp_path_factory.mktemp("captured"))
    with Session.open(SessionOptions(path=root)) as session:
        plans: dict[str, tuple] = {}

        def plan(revision: str):
            if revision not in plans:
                item = session.plan(session.project.revision(revision))
                plans[revision] = (item, *session.snapshots(revision))
            return plans[revision]

        session.plan_once = plan  # type: ignore[attr-defined]
        yield session


def engine_on(server: ScriptedOllama, tmp_path: Path, **profile) -> ModelEngine:
    settings = Settings.model_validate({"default": "test", "host": server.host, "profiles": {"test": {
        "model": profile.pop("model", MODEL), "repair_rounds": profile.pop("repair_rounds", 1), "timeout": profile.pop("timeout", 30),
        "options": {"num_ctx": profile.pop("num_ctx", 16384), "num_predict": profile.pop("num_predict", 1024)}}}})
    chosen = settings.profile()
    return ModelEngine(OllamaModel(chosen, settings), chosen, PromptSet("default"), Store(tmp_path))


def start(demo, engine: ModelEngine, revision: str = DATA_REV):
    item, before, after = demo.plan_once(revision)
    context = build_context(item.revision, demo.project.root / item.revision.path, item.diff, before, after,
                            dialect=demo.capture.dialect, existing_tests=item.plan.names(),
                            findings=[f.message for f in item.findings])
    return engine.start(context), before, after, item.plan.names()


def propose(demo, engine: ModelEngine, revision: str = DATA_REV):
    conversation, before, after, existing = start(demo, engine, revision)
    return conversation, engine.propose(conversation, lambda text: check_answer(
        text, conversation.revision, before, after, existing))


def test_a_valid_answer_is_one_request_under_the_schema(demo, tmp_path):
    with ScriptedOllama() as server:
        server.answer_json(answer(model_test("test_model_backfills_missing_status")))
        engine = engine_on(server, tmp_path)

        conversation, plan = propose(demo, engine)

    [request] = server.chat_requests()
    assert request.json["format"] == conversation.answer_format == answer_schema()
    assert request.json["stream"] is True
    assert [m["role"] for m in request.json["messages"]] == ["system", "user"]
    assert request.json["messages"][1]["content"].startswith(f"Revision {DATA_REV}: order_statuses lookup table")
    assert [(t.name, t.engine, t.aspect) for t in plan.tests] == [("test_model_backfills_missing_status", "model", "data")]
    [exchange] = engine.store.recent()
    assert (exchange.purpose, exchange.outcome, exchange.errors, exchange.cache_hit) == ("generate", "valid", [], False)
    assert exchange.messages == request.json["messages"]
    assert exchange.answer == json.dumps(answer(model_test("test_model_backfills_missing_status")))


def test_invalid_json_then_valid(demo, tmp_path):
    with ScriptedOllama() as server:
        server.answer('{"imports": [], "tests": [{"name": "test_model_x", "aspect": "data",')
        server.answer_json(answer(model_test("test_model_backfills_missing_status")))
        engine = engine_on(server, tmp_path)

        conversation, plan = propose(demo, engine)

    first, second = sent(server)
    assert second[:3] == first + [{"role": "assistant", "content": '{"imports": [], "tests": [{"name": "test_model_x", "aspect": "data",'}]
    assert second[3]["role"] == "user"
    assert second[3]["content"].startswith("Your answer could not be used:\n- the answer is not valid JSON: ")
    assert plan.names() == ["test_model_backfills_missing_status"]
    assert [(e.purpose, e.outcome) for e in reversed(engine.store.recent())] == [("generate", "invalid"), ("repair_answer", "valid")]
    assert engine.store.recent()[-1].errors[0].startswith("the answer is not valid JSON")


def test_a_hallucinated_table_is_named_in_the_repair_prompt_then_fixed(demo, tmp_path):
    invented = 'database = migrations.database_after(REVISION)\nassert database.rows("order_status_history") == []'
    with ScriptedOllama() as server:
        server.answer_json(answer(model_test("test_model_history_starts_empty", invented)))
        server.answer_json(answer(model_test("test_model_backfills_missing_status")))
        engine = engine_on(server, tmp_path)

        conversation, plan = propose(demo, engine)

    repair = sent(server)[1][-1]["content"]
    assert "- tests[0] (test_model_history_starts_empty): table 'order_status_history' does not exist (tables: " in repair
    assert "order_statuses" in repair.split("(tables: ", 1)[1]
    assert plan.names() == ["test_model_backfills_missing_status"]


@pytest.mark.parametrize(
    "bad, expected",
    [
        (answer(model_test("test_model_x"), imports=("import os",)), "imports: import of 'os' is not allowed"),
        (answer(model_test("test_model_x", "import subprocess\nsubprocess.run(['sqlite3'])\n" + PASSING_BODY)),
         "tests[0] (test_model_x): import of 'subprocess' is not allowed"),
        (answer(model_test("test_model_x", "os.remove('demo.db')\n" + PASSING_BODY)),
         "tests[0] (test_model_x): uses 'os', which is not allowed (no OS, files or network)"),
    ],
    ids=["import-os", "subprocess-in-body", "os-in-body"],
)
def test_a_forbidden_import_is_sent_back_then_fixed(demo, tmp_path, bad, expected):
    with ScriptedOllama() as server:
        server.answer_json(bad)
        server.answer_json(answer(model_test("test_model_backfills_missing_status"), imports=("import datetime",)))
        engine = engine_on(server, tmp_path)

        conversation, plan = propose(demo, engine)

    assert f"- {expected}" in sent(server)[1][-1]["content"]
    assert plan.names() == ["test_model_backfills_missing_status"] and plan.imports == ["import datetime"]


def test_still_invalid_after_n_rounds_stops_after_exactly_1_plus_n_requests(demo, tmp_path):
    with ScriptedOllama() as server:
        for _ in range(3):
            server.answer_json(answer(model_test("test_model_reads_nothing", "assert True")))
        server.answer_json(answer(model_test("test_model_backfills_missing_status")))  # must never be asked for
        engine = engine_on(server, tmp_path, repair_rounds=2)

        with pytest.raises(AnswerInvalid) as raised:
            propose(demo, engine)

        assert len(server.chat_requests()) == 3
    assert str(raised.value) == (
        f"{MODEL} gave no valid answer after 2 repair rounds: tests[0] (test_model_reads_nothing): "
        "does not use the migrations fixture, so it tests nothing about the revision"
    )
    assert raised.value.exit_code == ExitCode.MODEL
    assert f"localmig log --rev {DATA_REV}" in raised.value.hint
    assert [(e.purpose, e.outcome) for e in reversed(engine.store.recent())] == [
        ("generate", "invalid"), ("repair_answer", "invalid"), ("repair_answer", "invalid")]


def test_no_repair_round_means_one_request(demo, tmp_path):
    with ScriptedOllama() as server:
        server.answer("not json at all")
        engine = engine_on(server, tmp_path, repair_rounds=0)

        with pytest.raises(AnswerInvalid, match="after 0 repair rounds: the answer is not valid JSON"):
            propose(demo, engine)
        assert len(server.chat_requests()) == 1


def test_an_answer_cut_at_the_token_cap_goes_back_for_repair(demo, tmp_path):
    with ScriptedOllama() as server:
        server.answer('{"imports": [], "tests": [{"name": "test_model_', done_reason="length", eval_count=1024)
        server.answer_json(answer(model_test("test_model_backfills_missing_status")))
        engine = engine_on(server, tmp_path)

        conversation, plan = propose(demo, engine)

    assert plan.names() == ["test_model_backfills_missing_status"]
    assert engine.store.recent()[-1].answer_tokens == 1024


def test_a_small_context_window_cuts_the_prompt_and_says_what_was_cut(demo, tmp_path):
    with ScriptedOllama() as server:
        whole, *_ = start(demo, engine_on(server, tmp_path / "measure"))
    needed = sum(estimate_tokens(m["content"]) for m in whole.messages)  # the format is a grammar, no part of the prompt
    num_ctx = needed + 64 - 20  # 20 tokens short of the whole prompt, with 64 for the answer
    with ScriptedOllama() as server:
        server.answer_json(answer(model_test("test_model_backfills_missing_status")))
        engine = engine_on(server, tmp_path, num_ctx=num_ctx, num_predict=64)

        conversation, plan = propose(demo, engine)

    [request] = server.chat_requests()
    user = request.json["messages"][1]["content"]
    assert "(Left out to fit the context window: schemas of neighbouring tables addresses, order_items.)" in user
    assert "\norder_items:\n" not in user and "\norder_items:\n" in whole.messages[1]["content"]
    assert "\ncustomers:\n" in user and "\norders:\n" in user and "\norder_statuses:\n" in user
    assert request.json["options"]["num_ctx"] == num_ctx
    assert plan.names() == ["test_model_backfills_missing_status"]


def test_a_prompt_that_cannot_fit_is_prompt_too_large_and_nothing_is_sent(demo, tmp_path):
    with ScriptedOllama() as server:
        engine = engine_on(server, tmp_path, num_ctx=1024, num_predict=512)

        with pytest.raises(PromptTooLarge) as raised:
            start(demo, engine)

        assert server.chat_requests() == []
    assert str(raised.value).startswith(f"the prompt for {DATA_REV} needs about ")
    assert raised.value.hint.startswith("raise options.num_ctx in models.yaml")


# ---------------------------------------------------------------------------------- Session.generate


def test_a_valid_answer_is_rendered_verified_and_written_with_the_model_in_the_header(tmp_path):
    root = copy_demo(tmp_path)
    with ScriptedOllama() as server:
        server.answer_json(answer(model_test("test_model_backfills_missing_status")))
        item = generate(root, write_config(tmp_path / "models.yaml", server.host), DATA_REV)
        assert len(server.chat_requests()) == 1

    assert item.model_error is None and item.dropped == []
    assert {o.name: (o.engine, o.verdict) for o in item.outcomes}["test_model_backfills_missing_status"] == ("model", "passed")
    assert all(o.verdict == "passed" for o in item.outcomes)
    written = (root / "tests" / "migrations" / item.filename).read_text(encoding="utf-8")
    header, body = read_header(written)
    assert header is not None
    assert header.engines == ["deterministic", "model"]
    assert (header.model, header.prompts_version) == (MODEL, PACKAGED_PROMPTS_VERSION)
    assert header.aspects["test_model_backfills_missing_status"] == "data"
    assert "def test_model_backfills_missing_status(migrations):\n    \"\"\"What the test proves.\"\"\"\n" in body
    assert "    assert all(row[\"status\"] is not None for row in database.rows(\"orders\"))\n" in body
    [exchange] = logged(root)
    assert (exchange.purpose, exchange.outcome) == ("generate", "verified: 1 kept")

    table = run_cli("log", str(root))
    assert table.returncode == 0, table.stderr
    row = next(line for line in table.stdout.splitlines() if DATA_REV in line)
    assert "generate" in row and MODEL in row and "verified: 1 kept" in row and "no" in row
    full = run_cli("log", str(root), "--full")
    assert full.returncode == 0, full.stderr
    assert f"exchange {exchange.id}: {DATA_REV} generate" in full.stdout
    assert "### system" in full.stdout and "### user" in full.stdout and "### answer" in full.stdout
    assert exchange.messages[1]["content"].splitlines()[0] in full.stdout
    assert '"name": "test_model_backfills_missing_status"' in full.stdout
    other = run_cli("log", str(root), "--rev", "d1a001e4c7b2")
    assert other.returncode == 0, other.stderr
    assert "no exchanges with a model logged for revision d1a001e4c7b2" in other.stdout


def test_a_test_that_fails_when_run_goes_back_with_the_pytest_failure_and_is_repaired(tmp_path):
    root = copy_demo(tmp_path)
    events: list = []
    with ScriptedOllama() as server:
        server.answer_json(answer(model_test("test_model_keeps_orders_without_status", FAILING_BODY)))
        server.answer_json(answer(model_test("test_model_backfills_missing_status")))
        item = generate(root, write_config(tmp_path / "models.yaml", server.host), DATA_REV, events=events)
        first, second = sent(server)

    repair = second[-1]["content"]
    assert repair.startswith("These tests failed when they were run on a scratch database:\ntest_model_keeps_orders_without_status: ")
    assert "AssertionError" in repair
    assert 'assert [row["status"] for row in database.rows("orders")] == [None]' in repair
    assert "If a test is wrong, fix it" in repair
    assert second[:3] == first + [{"role": "assistant", "content": json.dumps(answer(model_test(
        "test_model_keeps_orders_without_status", FAILING_BODY)))}]
    assert item.dropped == []
    assert [o.name for o in item.outcomes if o.engine == "model"] == ["test_model_backfills_missing_status"]
    assert all(o.verdict == "passed" for o in item.outcomes)
    written = (root / "tests" / "migrations" / item.filename).read_text(encoding="utf-8")
    assert "def test_model_backfills_missing_status(" in written
    assert "test_model_keeps_orders_without_status" not in written
    assert [(e.purpose, e.outcome) for e in logged(root)] == [("generate", "valid"), ("repair_tests", "verified: 1 kept")]


def test_a_test_still_failing_after_the_repair_rounds_is_left_out_with_a_notice(tmp_path):
    root = copy_demo(tmp_path)
    events: list = []
    failing = answer(model_test("test_model_keeps_orders_without_status", FAILING_BODY))
    with ScriptedOllama() as server:
        server.answer_json(failing)
        server.answer_json(failing)
        item = generate(root, write_config(tmp_path / "models.yaml", server.host, repair_rounds=1), DATA_REV, events=events)
        assert len(server.chat_requests()) == 2  # the answer, one test repair

    assert [o.name for o in item.dropped] == ["test_model_keeps_orders_without_status"]
    assert "test_model_keeps_orders_without_status" not in (root / "tests" / "migrations" / item.filename).read_text()
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert f"{DATA_REV}: left out test_model_keeps_orders_without_status (the model's test still failed after the repair rounds)" in notices


def test_a_model_test_that_exposes_a_migration_defect_is_kept_and_reported(tmp_path):
    root = copy_demo(tmp_path)
    downgrades = (
        "database = migrations.database_after(REVISION)\n"
        "database.downgrade(REVISION)\n"
        "assert \"discontinued_at\" not in migrations.schema_after_downgrade(REVISION).columns(\"products\")"
    )
    with ScriptedOllama() as server:
        server.answer_json(answer(model_test("test_model_downgrade_removes_discontinued_at", downgrades, aspect="downgrade")))
        item = generate(root, write_config(tmp_path / "models.yaml", server.host), BROKEN_DOWNGRADE_REV)
        assert len(server.chat_requests()) == 1  # a migration defect is not the model's to repair

    outcome = next(o for o in item.outcomes if o.name == "test_model_downgrade_removes_discontinued_at")
    assert (outcome.engine, outcome.outcome, outcome.verdict) == ("model", "failed", "migration_defect")
    assert "no such index: ix_order_items_product" in outcome.finding
    assert item.dropped == []
    written = (root / "tests" / "migrations" / item.filename).read_text(encoding="utf-8")
    assert "def test_model_downgrade_removes_discontinued_at(migrations):" in written
    assert "no such index: ix_order_items_product" in written  # the module docstring lists the finding


# ---------------------------------------------------------------------------------- localmig generate


@pytest.mark.parametrize("case", ["missing-model", "server-down"])
def test_require_model_fails_with_exit_5_and_says_what_to_do(tmp_path, case):
    root = copy_demo(tmp_path)
    with ScriptedOllama(models=[]) as server:
        host = server.host if case == "missing-model" else f"http://127.0.0.1:{free_port()}"
        result = cli_generate(root, write_config(tmp_path / "models.yaml", host), DATA_REV, "--require-model")
        assert server.chat_requests() == []

    assert result.returncode == ExitCode.MODEL, result.stdout + result.stderr
    if case == "missing-model":
        assert f"error: Ollama at {host} does not have the model {MODEL}" in result.stderr
        assert f"hint: run `ollama pull {MODEL}`" in result.stderr
    else:
        assert f"error: Ollama is not reachable at {host}" in result.stderr
        assert "start it with `ollama serve`" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "tests" / "migrations").exists()


@pytest.mark.parametrize("case", ["missing-model", "server-down"])
def test_auto_mode_writes_the_deterministic_tests_and_says_prominently_the_model_was_skipped(tmp_path, case):
    root = copy_demo(tmp_path)
    with ScriptedOllama(models=["some-other-model:1b"]) as server:
        host = server.host if case == "missing-model" else f"http://127.0.0.1:{free_port()}"
        result = cli_generate(root, write_config(tmp_path / "models.yaml", host), DATA_REV)
        assert server.chat_requests() == []

    assert result.returncode == 0, result.stdout + result.stderr
    assert "The model layer was skipped: only deterministic tests were written" in result.stdout
    assert "generated tests (no model)" in result.stdout
    reason = f"does not have the model {MODEL}" if case == "missing-model" else f"Ollama is not reachable at {host}"
    assert "model layer skipped: " in result.stderr and reason in result.stderr
    if case == "missing-model":
        assert f"run `ollama pull {MODEL}`" in result.stderr
    [module] = (root / "tests" / "migrations").glob(f"test_{DATA_REV}_*.py")
    header, _ = read_header(module.read_text(encoding="utf-8"))
    assert header is not None and header.engines == ["deterministic"] and header.model is None


def test_quiet_auto_mode_still_says_which_model_is_missing_and_how_to_pull_it(tmp_path):
    root = copy_demo(tmp_path)
    with ScriptedOllama(models=["some-other-model:1b"]) as server:
        result = cli_generate(root, write_config(tmp_path / "models.yaml", server.host), DATA_REV, "-q")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "The model layer was skipped" in result.stdout
    output = result.stdout + result.stderr
    assert f"does not have the model {MODEL}" in output
    assert f"ollama pull {MODEL}" in output
    assert "ollama serve" not in output  # Ollama is running: starting it is not the fix


def test_a_slow_answer_past_the_timeout_exits_5_naming_the_timeout(tmp_path):
    root = copy_demo(tmp_path)
    with ScriptedOllama() as server:
        server.answer(json.dumps(answer(model_test("test_model_backfills_missing_status"))), delay=600)
        started = time.monotonic()
        result = cli_generate(root, write_config(tmp_path / "models.yaml", server.host, timeout=1), DATA_REV)
        elapsed = time.monotonic() - started
        assert len(server.chat_requests()) == 1

    assert result.returncode == ExitCode.MODEL, result.stdout + result.stderr
    assert f"{DATA_REV}: {MODEL} did not answer within 1 s" in result.stderr
    assert "raise `timeout` in the profile" in result.stderr
    assert elapsed < 300  # it did not wait for the answer (capture and verification take the rest)
    assert (root / "tests" / "migrations").glob(f"test_{DATA_REV}_*.py")  # the deterministic tests are written


def test_a_stream_cut_mid_answer_exits_5_with_a_clear_message(tmp_path):
    root = copy_demo(tmp_path)
    with ScriptedOllama() as server:
        server.cut_stream('{"imports": [], "tests": [{"name": "test_model_backfi')
        result = cli_generate(root, write_config(tmp_path / "models.yaml", server.host), DATA_REV)
        assert len(server.chat_requests()) == 1

    assert result.returncode == ExitCode.MODEL, result.stdout + result.stderr
    assert f"{DATA_REV}: the answer from {MODEL} stopped halfway: scripted server: stream cut" in result.stderr
    assert "check the Ollama server log; run again" in result.stderr
    assert "Traceback" not in result.stderr


def test_still_invalid_after_n_rounds_exits_5_after_exactly_1_plus_n_requests(tmp_path):
    root = copy_demo(tmp_path)
    with ScriptedOllama() as server:
        for _ in range(3):
            server.answer("I am sorry, I cannot write JSON.")
        server.answer_json(answer(model_test("test_model_backfills_missing_status")))  # never asked for
        result = cli_generate(root, write_config(tmp_path / "models.yaml", server.host, repair_rounds=2), DATA_REV)
        assert len(server.chat_requests()) == 3

    assert result.returncode == ExitCode.MODEL, result.stdout + result.stderr
    assert f"{DATA_REV}: {MODEL} gave no valid answer after 2 repair rounds: the answer is not valid JSON" in result.stderr
    assert f"see `localmig log --rev {DATA_REV}`" in result.stderr
    assert [(e.purpose, e.outcome) for e in logged(root)] == [
        ("generate", "invalid"), ("repair_answer", "invalid"), ("repair_answer", "invalid")]


def test_a_prompt_too_large_for_the_profile_exits_5_and_sends_nothing(tmp_path):
    root = copy_demo(tmp_path)
    with ScriptedOllama() as server:
        result = cli_generate(root, write_config(tmp_path / "models.yaml", server.host, num_ctx=1024, num_predict=512),
                              DATA_REV)
        assert server.chat_requests() == []

    assert result.returncode == ExitCode.MODEL, result.stdout + result.stderr
    assert f"the prompt for {DATA_REV} needs about " in result.stderr
    assert "the profile allows" in result.stderr
    assert "raise options.num_ctx in models.yaml" in result.stderr
