"""The work the reviewer watches: the status line, the model's answer as it streams, and the
notifications shown so far (kept in full, with their hints, after their pop-up is gone).

Plain Python; the widgets that show it read these values once a second and on every event.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

STAGES = {
    "planning": "planning",
    "observing": "observing data",
    "model": "asking the model",
    "repairing": "asking the model to repair",
    "planned": "planned",
    "skipped": "skipped",
    "failed": "failed",
}


@dataclass
class Status:
    """A new status line, with the queue's progress when it is known."""

    text: str
    done: int | None = None
    total: int | None = None


def seconds(value: float) -> str:
    """``42 s``, ``3 min 05 s``."""
    value = max(0, int(value))
    return f"{value} s" if value < 60 else f"{value // 60} min {value % 60:02d} s"


@dataclass
class ModelStream:
    """One request to the model under way: how long it has run, what has come back."""

    revision: str
    purpose: str
    started: float = field(default_factory=time.monotonic)
    first_token: float | None = None
    tokens: int = 0  # streamed chunks: one token each with Ollama
    text: str = ""

    def add(self, piece: str, now: float | None = None) -> None:
        if self.first_token is None:
            self.first_token = time.monotonic() if now is None else now
        self.tokens += 1
        self.text += piece

    def rate(self, now: float) -> float | None:
        """Tokens per second since the first token (None until there are two)."""
        if self.first_token is None or self.tokens < 2 or now <= self.first_token:
            return None
        return (self.tokens - 1) / (now - self.first_token)

    def line(self, now: float | None = None) -> str:
        """``model ▸ d1a004c81e95 · asking the model · 1 min 12 s · 120 tokens · 7.3 tokens/s``."""
        now = time.monotonic() if now is None else now
        parts = [f"model ▸ {self.revision}", self.purpose, seconds(now - self.started)]
        if self.first_token is None:
            parts.append("waiting for the first token (the model may be loading)")
        else:
            rate = self.rate(now)
            parts.append(f"{self.tokens} tokens" + (f" · {rate:.1f} tokens/s" if rate is not None else ""))
        return " · ".join(parts)

    def tail(self, characters: int) -> str:
        """The end of the answer so far, on one line, at most ``characters`` long."""
        shown = " ".join(self.text.split())
        return ("…" + shown[-(characters - 1):]) if len(shown) > characters else shown


@dataclass
class WorkState:
    """The queue's progress and the model request under way."""

    status: Status = field(default_factory=lambda: Status(""))
    stream: ModelStream | None = None
    last_stream: str = ""  # what the last model request came to, once it is over
    queue: list[str] = field(default_factory=list)  # revisions queued or being generated, in order
    total: int = 0
    done: int = 0
    ready: int = 0

    def finish_stream(self, summary: str) -> None:
        self.stream, self.last_stream = None, summary


Severity = str  # "information", "warning", "error" (Textual's words)


@dataclass(frozen=True)
class Notification:
    """A notification as it was shown: never cut, kept for the history screen."""

    at: str
    severity: Severity
    title: str
    message: str

    @classmethod
    def now(cls, severity: Severity, title: str, message: str) -> Notification:
        return cls(datetime.now().strftime("%H:%M:%S"), severity, title, message)
