"""Engines on one server share a dialect and a compiled cache, and still reach only their own database.

Real SQLite files and the ``pg_url`` server.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from pytest_localmig import PostgresScratch, new_engine, reflect
from pytest_localmig.urls import reusing_engine

_ITEMS = sa.Table("items", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("label", sa.Text))


def _fill(engine: sa.Engine, label: str) -> None:
    with engine.begin() as connection:
        _ITEMS.create(connection)
        connection.execute(_ITEMS.insert(), [{"id": 1, "label": label}])


def _labels(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(sa.select(_ITEMS.c.label)).scalars())


def _cache(engine: sa.Engine):
    return engine.get_execution_options()["compiled_cache"]


def test_sqlite_engines_share_compiled_statements_but_read_their_own_file(tmp_path):
    first, second = new_engine(f"sqlite:///{tmp_path}/a.db"), new_engine(f"sqlite:///{tmp_path}/b.db")
    _fill(first, "in a")
    third = reusing_engine(f"sqlite:///{tmp_path}/b.db")  # made after the first one connected
    _fill(second, "in b")
    assert third.dialect is first.dialect and _cache(third) is _cache(first)
    assert _labels(first) == ["in a"]
    entries = len(_cache(first))
    assert _labels(third) == ["in b"]  # the same SELECT: compiled once, run on b.db
    assert len(_cache(first)) == entries
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.db", "b.db"]


def test_another_user_or_server_gets_a_dialect_of_its_own(tmp_path):
    first = new_engine(f"sqlite:///{tmp_path}/a.db")
    _fill(first, "x")
    url = sa.make_url("postgresql+psycopg://someone@127.0.0.1:1/db")
    assert new_engine(url).dialect is not new_engine(url.set(username="other")).dialect
    assert new_engine(url).dialect is not new_engine(url.set(port=2)).dialect
    assert new_engine(url).dialect is not first.dialect


@pytest.fixture
def scratch(pg_url):
    server = PostgresScratch(pg_url)
    yield server
    server.close()


def test_postgres_engines_share_the_inspector_queries_and_reflect_their_own_database(scratch):
    one, two = new_engine(scratch.create("one")), new_engine(scratch.create("two"))
    _fill(one, "in one")
    with two.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE other (code varchar(8) PRIMARY KEY, n numeric(10, 2) NOT NULL)")
    later = new_engine(scratch.url("two"))
    assert later.dialect is one.dialect and _cache(later) is _cache(one)
    with one.connect() as connection:
        reflect(connection)
    compiled = len(_cache(one))
    with later.connect() as connection:
        shared = reflect(connection)
    assert len(_cache(one)) == compiled  # the Inspector's catalog queries were not compiled again
    alone = sa.create_engine(scratch.url("two"), poolclass=sa.pool.NullPool)  # a dialect of its own
    try:
        with alone.connect() as connection:
            assert shared == reflect(connection)
    finally:
        alone.dispose()
    assert set(shared) == {"table:other"}
    assert _labels(one) == ["in one"]
