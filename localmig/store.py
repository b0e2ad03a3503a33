"""The local store ``.localmig/localmig.db``: every prompt sent, every answer, and the answer cache.

Every exchange is logged, failed ones too (HTTP error, stream cut, timeout, redirect refused,
cancelled): ``error_kind`` says which, ``errors`` holds the message, ``outcome`` is
``failed: <kind>``, and ``answer`` what arrived before the failure, if anything.

SQLite through SQLAlchemy; its schema is managed by Alembic migrations of its own
(``localmig/store_migrations``), applied when the store opens. The cache key covers the full
prompt, the model tag, the options, the prompts version and the answer schema, so a re-run
with the same inputs never calls the model, and ``--replay-only`` can run without one.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from pydantic import BaseModel, Field

from . import __version__
from .errors import ConfigError, StoreError

MIGRATIONS = Path(__file__).parent / "store_migrations"
metadata = sa.MetaData()
exchanges = sa.Table(
    "exchanges", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.String), sa.Column("revision", sa.String), sa.Column("purpose", sa.String),
    sa.Column("model", sa.String), sa.Column("host", sa.String), sa.Column("options", sa.Text),
    sa.Column("prompts_version", sa.String), sa.Column("cache_key", sa.String), sa.Column("messages", sa.Text),
    sa.Column("answer", sa.Text), sa.Column("cache_hit", sa.Boolean), sa.Column("errors", sa.Text),
    sa.Column("outcome", sa.String), sa.Column("prompt_tokens", sa.Integer), sa.Column("answer_tokens", sa.Integer),
    sa.Column("seconds", sa.Float), sa.Column("error_kind", sa.String),
)
answers = sa.Table(
    "answers", metadata,
    sa.Column("cache_key", sa.String, primary_key=True), sa.Column("model", sa.String),
    sa.Column("answer", sa.Text), sa.Column("created_at", sa.String),
)


ErrorKind = Literal["http_error", "stream_cut", "timeout", "redirect_refused", "host_refused", "unavailable",
                    "not_pulled", "cancelled", "model_error"]


class Exchange(BaseModel):
    """One request to a model (or to the cache in its place) and what came of it."""

    id: int | None = None
    created_at: str = Field(default_factory=lambda: datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
    revision: str
    purpose: str = Field(description="generate, repair_answer or repair_tests")
    model: str
    host: str
    options: dict[str, Any]
    prompts_version: str
    cache_key: str
    messages: list[dict[str, str]] = Field(description="The full prompt, exactly as sent.")
    answer: str | None = Field(None, description="The answer; of a failed exchange, what arrived before it failed.")
    cache_hit: bool = False
    errors: list[str] = Field(default_factory=list,
                              description="What was wrong: the answer's validation errors, or why no answer came.")
    outcome: str | None = None
    error_kind: ErrorKind | None = Field(None, description="Set when the exchange brought no answer.")
    prompt_tokens: int | None = None
    answer_tokens: int | None = None
    seconds: float | None = None


def cache_key(messages: list[dict[str, str]], model: str, options: dict[str, Any], prompts_version: str,
              schema: dict[str, Any]) -> str:
    material = json.dumps([messages, model, options, prompts_version, schema], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


def busy_timeout() -> float:
    """Seconds to wait for another process's lock on the store (LOCALMIG_STORE_TIMEOUT, default 30)."""
    try:
        return max(0.0, float(os.environ.get("LOCALMIG_STORE_TIMEOUT", "30")))
    except ValueError:
        raise ConfigError(f"LOCALMIG_STORE_TIMEOUT={os.environ['LOCALMIG_STORE_TIMEOUT']!r} is not a number of seconds") from None


def open_store(path: Path) -> sa.Engine:
    """An engine on the store at ``path``, created or migrated to this localmig's schema.

    Processes that open a new store at the same time take turns (a lock file beside it); a
    corrupt, locked or newer store is a StoreError saying so and what to do.
    """
    timeout = busy_timeout()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot create {path.parent}: {error.strerror}",
                         hint="localmig keeps its log and answer cache there: make the folder writable") from None
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": timeout})
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    aside = "it holds only localmig's log of model exchanges and the answer cache: move it aside and run again"
    try:
        with _store_lock(path, timeout), engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except sa.exc.DBAPIError as error:
        engine.dispose()
        reason = str(error.orig)
        if "locked" in reason or "busy" in reason:
            raise StoreError(f"{path} is locked by another process (waited {timeout:.0f} s)",
                             hint="wait for the other localmig run to finish, or raise LOCALMIG_STORE_TIMEOUT") from None
        if "unable to open" in reason or "readonly" in reason:
            raise StoreError(f"cannot open {path}: {reason}", hint=f"check the permissions of {path.parent}") from None
        raise StoreError(f"{path} is not a usable localmig store: {reason}", hint=aside) from None
    except CommandError as error:
        engine.dispose()
        if "Can't locate revision" not in str(error):
            raise
        raise StoreError(f"{path} was written by a newer localmig ({error}); this is localmig {__version__}",
                         hint=f"upgrade localmig, or {aside.split(': ', 1)[1]}") from None
    return engine


@contextmanager
def _store_lock(path: Path, timeout: float) -> Iterator[None]:
    """An exclusive lock on the store's folder while the store is created or migrated (where the
    system has flock; elsewhere SQLite's own locking must do). No lock file is left behind."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(f"{path} is being created by another process (waited {timeout:.0f} s)",
                                     hint="wait for the other localmig run, or raise LOCALMIG_STORE_TIMEOUT") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(folder)  # closing the descriptor releases the lock


class Store:
    """``<project>/.localmig/localmig.db``: where ``.localmig`` exists, the store is opened (and
    checked) at once; else it is created on first use, so a run that fails before it logs
    anything leaves no ``.localmig`` behind."""

    def __init__(self, project_root: Path) -> None:
        self.path = project_root / ".localmig" / "localmig.db"
        self._opening = threading.Lock()
        self._engine: sa.Engine | None = open_store(self.path) if self.path.parent.exists() else None

    @property
    def engine(self) -> sa.Engine:
        with self._opening:
            if self._engine is None:
                self._engine = open_store(self.path)
            return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def cached(self, key: str) -> str | None:
        with self.engine.connect() as connection:
            return connection.execute(sa.select(answers.c.answer).where(answers.c.cache_key == key)).scalar()

    def remember(self, key: str, model: str, answer: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(sa.delete(answers).where(answers.c.cache_key == key))
            connection.execute(sa.insert(answers).values(cache_key=key, model=model, answer=answer,
                                                         created_at=datetime.datetime.now(datetime.timezone.utc).isoformat()))

    def log(self, exchange: Exchange) -> int:
        row = exchange.model_dump(exclude={"id"})
        for field in ("options", "messages", "errors"):
            row[field] = json.dumps(row[field])
        with self.engine.begin() as connection:
            inserted = connection.execute(sa.insert(exchanges).values(**row)).inserted_primary_key
        assert inserted is not None
        exchange.id = int(inserted[0])
        return exchange.id

    def update(self, exchange_id: int, *, errors: list[str] | None = None, outcome: str | None = None) -> None:
        values: dict[str, Any] = {}
        if errors is not None:
            values["errors"] = json.dumps(errors)
        if outcome is not None:
            values["outcome"] = outcome
        with self.engine.begin() as connection:
            connection.execute(sa.update(exchanges).where(exchanges.c.id == exchange_id).values(**values))

    def log_failure(self, exchange: Exchange, kind: ErrorKind, message: str) -> int:
        """Log an exchange that brought no answer (the model's error, or a cancel)."""
        return self.log(exchange.model_copy(update={"error_kind": kind, "errors": [message], "outcome": f"failed: {kind}"}))

    def recent(self, limit: int = 20, revision: str | None = None) -> list[Exchange]:
        query = sa.select(exchanges).order_by(exchanges.c.id.desc()).limit(limit)
        if revision:
            query = query.where(exchanges.c.revision.startswith(revision))
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        result = []
        for row in rows:
            data = dict(row)
            for field in ("options", "messages", "errors"):
                data[field] = json.loads(data[field]) if data[field] else ([] if field != "options" else {})
            result.append(Exchange.model_validate(data))
        return result
