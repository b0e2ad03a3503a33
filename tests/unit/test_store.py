"""The store .localmig/localmig.db: its own Alembic migrations, the exchange log and the answer cache."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from localmig.errors import ConfigError
from localmig.store import MIGRATIONS, Exchange, Store, answers, cache_key, exchanges

MESSAGES = [{"role": "system", "content": "You write tests."}, {"role": "user", "content": "Revision abc: add orders.note"}]
OPTIONS = {"temperature": 0.0, "seed": 42, "num_ctx": 4096, "num_predict": 256}
SCHEMA = {"type": "object", "required": ["tests"]}


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path)
    yield opened
    opened.close()


def exchange(**changes) -> Exchange:
    values = dict(revision="abc123", purpose="generate", model="codellama:7b-instruct", host="http://127.0.0.1:11434",
                  options=OPTIONS, prompts_version="1", cache_key="k" * 64, messages=MESSAGES)
    return Exchange(**{**values, **changes})


def config_for(store: Store, connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


# ---------------------------------------------------------------------------------- its migrations


def test_opening_creates_the_database_at_head_of_its_own_history(tmp_path, store):
    assert store.path == tmp_path / ".localmig" / "localmig.db"
    assert not (tmp_path / ".localmig").exists()  # created on first use
    assert store.engine is not None
    assert store.path.is_file()
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [head]
        assert set(sa.inspect(connection).get_table_names()) == {"alembic_version", "exchanges", "answers"}


def test_the_migrated_tables_have_the_columns_the_code_uses(store):
    inspector = sa.inspect(store.engine)
    for table in (exchanges, answers):
        assert [c["name"] for c in inspector.get_columns(table.name)] == [c.name for c in table.columns]
    assert inspector.get_pk_constraint("answers")["constrained_columns"] == ["cache_key"]
    assert [i["name"] for i in inspector.get_indexes("exchanges")] == ["ix_exchanges_revision"]


def test_the_history_of_the_store_is_linear_and_every_downgrade_runs(store):
    script = ScriptDirectory(str(MIGRATIONS))
    assert len(script.get_heads()) == 1
    with store.engine.begin() as connection:
        command.downgrade(config_for(store, connection), "base")
    assert set(sa.inspect(store.engine).get_table_names()) == {"alembic_version"}
    with store.engine.begin() as connection:
        command.upgrade(config_for(store, connection), "head")
    assert {"exchanges", "answers"} <= set(sa.inspect(store.engine).get_table_names())


def test_reopening_keeps_what_was_stored(tmp_path, store):
    store.remember("k1", "m:1", '{"tests": []}')
    store.log(exchange())
    store.close()

    again = Store(tmp_path)
    try:
        assert again.cached("k1") == '{"tests": []}'
        assert len(again.recent()) == 1
    finally:
        again.close()


def test_a_folder_that_cannot_be_created_is_a_config_error(tmp_path):
    (tmp_path / ".localmig").write_text("a file, not a folder")

    with pytest.raises(ConfigError, match=r"cannot create .*\.localmig"):
        Store(tmp_path)


# ---------------------------------------------------------------------------------- the log


def test_an_exchange_is_logged_and_read_back_exactly(store):
    sent = exchange(answer='{"tests": []}', prompt_tokens=120, answer_tokens=8, seconds=1.5,
                    messages=MESSAGES + [{"role": "user", "content": "unicode → ✓ and \"quotes\"\n"}])

    identifier = store.log(sent)

    [back] = store.recent()
    assert back.id == identifier == sent.id
    assert back.model_dump() == sent.model_dump()


def test_update_records_the_validation_result(store):
    identifier = store.log(exchange(answer="not json"))

    store.update(identifier, errors=["the answer is not valid JSON: Expecting value at line 1 column 1"], outcome="invalid")
    [back] = store.recent()
    assert (back.outcome, back.errors) == ("invalid", ["the answer is not valid JSON: Expecting value at line 1 column 1"])

    store.update(identifier, outcome="verified: 2 kept")
    [back] = store.recent()
    assert (back.outcome, back.errors) == ("verified: 2 kept", ["the answer is not valid JSON: Expecting value at line 1 column 1"])


def test_recent_is_newest_first_limited_and_filtered_by_revision_prefix(store):
    for index, revision in enumerate(["abc123", "abc999", "def456", "abc123"]):
        store.log(exchange(revision=revision, purpose=f"p{index}"))

    assert [e.purpose for e in store.recent()] == ["p3", "p2", "p1", "p0"]
    assert [e.purpose for e in store.recent(limit=2)] == ["p3", "p2"]
    assert [e.purpose for e in store.recent(revision="abc")] == ["p3", "p1", "p0"]
    assert [e.purpose for e in store.recent(revision="abc123")] == ["p3", "p0"]
    assert store.recent(revision="zzz") == []


def test_a_failed_exchange_is_logged_with_its_kind_message_and_partial_answer(store):
    identifier = store.log_failure(exchange(answer='{"tests": [{"na', seconds=2.5), "stream_cut",
                                   "the answer from m stopped halfway")

    [back] = store.recent()
    assert back.id == identifier
    assert (back.error_kind, back.outcome, back.errors) == ("stream_cut", "failed: stream_cut", ["the answer from m stopped halfway"])
    assert (back.answer, back.seconds, back.messages) == ('{"tests": [{"na', 2.5, MESSAGES)
    assert store.cached(back.cache_key) is None


def test_an_unknown_error_kind_is_refused():
    with pytest.raises(ValueError):
        exchange(error_kind="something else")


def test_a_store_made_before_error_kinds_keeps_its_exchanges_when_it_is_migrated(tmp_path):
    path = tmp_path / ".localmig" / "localmig.db"
    path.parent.mkdir()
    engine = sa.create_engine(f"sqlite:///{path}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        row = exchange().model_dump(exclude={"id", "error_kind"})
        connection.execute(sa.insert(sa.table("exchanges", *map(sa.column, row))).values(
            **{k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in row.items()}))
    engine.dispose()

    store = Store(tmp_path)
    try:
        [old] = store.recent()
        assert (old.revision, old.error_kind, old.messages) == ("abc123", None, MESSAGES)
        store.log_failure(exchange(), "timeout", "m did not answer within 1 s")
        assert [e.error_kind for e in store.recent()] == ["timeout", None]
    finally:
        store.close()


def test_a_cache_hit_is_logged_as_one(store):
    store.log(exchange(answer="{}", cache_hit=True))

    assert store.recent()[0].cache_hit is True


# ---------------------------------------------------------------------------------- the cache


def test_the_cache_returns_what_was_remembered_and_the_newest_answer_wins(store):
    assert store.cached("k1") is None

    store.remember("k1", "m:1", "first")
    store.remember("k2", "m:1", "other")
    store.remember("k1", "m:1", "second")

    assert (store.cached("k1"), store.cached("k2")) == ("second", "other")


def test_the_cache_key_covers_prompt_model_options_prompts_version_and_schema():
    base = cache_key(MESSAGES, "m:1", OPTIONS, "1", SCHEMA)

    assert cache_key([dict(m) for m in MESSAGES], "m:1", dict(reversed(list(OPTIONS.items()))), "1", dict(SCHEMA)) == base
    changed = [
        cache_key(MESSAGES[:1], "m:1", OPTIONS, "1", SCHEMA),
        cache_key(MESSAGES[:1] + [{"role": "user", "content": "Revision abc: add orders.note "}], "m:1", OPTIONS, "1", SCHEMA),
        cache_key(MESSAGES, "m:2", OPTIONS, "1", SCHEMA),
        cache_key(MESSAGES, "m:1", {**OPTIONS, "num_ctx": 8192}, "1", SCHEMA),
        cache_key(MESSAGES, "m:1", OPTIONS, "1+custom.0123abcd", SCHEMA),
        cache_key(MESSAGES, "m:1", OPTIONS, "1", {**SCHEMA, "maxItems": 3}),
    ]
    assert base not in changed and len(set(changed)) == len(changed)
    assert len(base) == 64
