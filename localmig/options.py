"""What a session is asked to work on, and whether and how the model layer runs."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class SessionOptions(BaseModel):
    """The project and how its history runs."""

    path: Path = Field(description="alembic.ini, a project folder, or a versions folder.")
    db_url: str | None = Field(None, description="A PostgreSQL server for scratch databases; SQLite if empty.")
    builtin_env: bool = Field(False, description="Run on localmig's env.py instead of the project's.")
    metadata: str | None = Field(None, description="module:attribute of a MetaData, for the built-in env.")
    initial_schema: list[str] = Field(default_factory=list, description="MODULE:ATTR the history starts from "
                                      "(MetaData, declarative base or function of a Connection), in order.")
    out: Path | None = Field(None, description="Where the suite goes; default <project>/tests/migrations.")
    round_trips: bool = Field(False, description="Run every round trip (up, down, up) during the capture; "
                                                 "else only where a generated round-trip test fails.")
    step_timeout: float | None = Field(300, ge=0, description="Seconds one migration step (an upgrade or a downgrade) "
                                       "may run before it is stopped as a failure (--timeout); 0 or None: no limit.")
    vendor: bool = Field(False, description="Write the runtime beside the suite (a suite vendored before stays so).")
    style: Literal["localmig", "pytest-alembic"] | None = Field(
        None, description="Tests for pytest-localmig's `migrations` fixture, or for pytest-alembic's `alembic_runner`; "
                          "default: the style of the suite already written, else localmig's.")


class ModelChoice(BaseModel):
    """Whether and how the model layer runs."""

    mode: Literal["auto", "require", "off"] = Field(
        "auto", description="auto: use the model if Ollama answers, else go on without it; require: fail; off: never."
    )
    model: str | None = Field(None, description="A models.yaml profile name or a raw Ollama tag.")
    config: Path | None = Field(None, description="models.yaml to use instead of the usual look-up.")
    prompts: Path | None = Field(None, description="A folder of prompt templates that override the packaged ones.")
    replay_only: bool = Field(False, description="Answer only from the cache; a miss is an error.")
    output: Literal["scenarios", "inputs", "code"] | None = Field(
        None, description="What the model answers (--model-output); default: the profile's output.")
