"""Progress events the pipeline emits; front ends subscribe and decide how to show them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel


class CaptureProgress(BaseModel):
    kind: Literal["capture"] = "capture"
    phase: Literal["upgrade", "downgrade"]
    revision: str
    done: int
    total: int


class RevisionProgress(BaseModel):
    kind: Literal["revision"] = "revision"
    revision: str
    stage: Literal["planning", "observing", "model", "repairing", "planned", "skipped", "failed"]
    detail: str = ""


class ModelToken(BaseModel):
    kind: Literal["token"] = "token"
    revision: str
    text: str


class VerifyProgress(BaseModel):
    kind: Literal["verify"] = "verify"
    stage: Literal["started", "finished"]
    tests: int = 0
    detail: str = ""


class Notice(BaseModel):
    kind: Literal["notice"] = "notice"
    level: Literal["info", "warning", "error"]
    message: str
    hint: str | None = None


Event = CaptureProgress | RevisionProgress | ModelToken | VerifyProgress | Notice
EventSink = Callable[[Event], None]


def ignore(event: Event) -> None:
    """An event sink that drops everything."""
