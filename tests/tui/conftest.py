"""Fixtures for the app's tests: the demo project, a scripted Ollama, models.yaml pointing at it, and
helpers that wait for the app's workers instead of sleeping."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from localmig.pipeline import SessionOptions
from localmig.tui import LocalmigApp, create_app
from tests.ollama_servers import ScriptedOllama

from .slow_ollama import SlowOllama

SIZE = (140, 45)
SMALL = (80, 24)
CODELLAMA, QWEN = "codellama:7b-instruct", "qwen2.5-coder:7b"
# The demo's first three revisions: customers, products, orders
FIRST_THREE = ["d1a001e4c7b2", "d1a0023f9a61", "d1a0037b2d48"]
BROKEN = "d1a0094d7b13"  # the demo's revision with a broken downgrade (row 8 of the list)


def model_answer(name: str = "test_upgrade_keeps_a_schema") -> str:
    """A valid model answer with one test that passes on every demo revision."""
    body = "database = migrations.database_before(REVISION)\ndatabase.upgrade(REVISION)\nassert migrations.schema_after(REVISION).tables"
    return json.dumps({"imports": [], "tests": [
        {"name": name, "aspect": "upgrade", "docstring": "The upgrade leaves a schema behind.", "body": body}]})


@pytest.fixture(autouse=True)
def quick_decisions(request, monkeypatch):
    """Decision keys act at once in the flow tests; the tests of the guard against repeated keys
    (those that use the ``clock`` fixture) keep its real timing."""
    if "clock" not in request.fixturenames:
        from localmig.tui.screens import review

        monkeypatch.setattr(review, "SETTLE", 0.0)
        monkeypatch.setattr(review, "REPEAT", 0.0)


@pytest.fixture
def server():
    with ScriptedOllama(models=[CODELLAMA, QWEN]) as scripted:
        yield scripted


@pytest.fixture
def slow_server():
    """A scripted server whose answers come slowly and which notices a closed connection."""
    with SlowOllama(models=[CODELLAMA, QWEN]) as scripted:
        yield scripted


def write_models_yaml(path: Path, host: str, keys: dict[str, str] | None = None) -> Path:
    lines = [
        "default: codellama",
        "profiles:",
        f"  codellama: {{model: '{CODELLAMA}', host: '{host}', repair_rounds: 0, timeout: 30, output: code}}",
        f"  qwen: {{model: '{QWEN}', host: '{host}', repair_rounds: 0, timeout: 30, output: code}}",
        f"  absent: {{model: 'absent:1b', host: '{host}', repair_rounds: 0, timeout: 30, output: code}}",
    ]
    if keys:
        lines.append("keys:")
        lines += [f"  {binding}: '{key}'" for binding, key in keys.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def demo(project) -> Path:
    return project("demo")


@pytest.fixture
def make_app(tmp_path, server):
    """``make_app(path, **create_app options)``: the app as the CLI builds it, models.yaml on the scripted server."""

    def make(path: Path, *, keys: dict[str, str] | None = None, host: str | None = None, **options) -> LocalmigApp:
        config = write_models_yaml(tmp_path / "models.yaml", host or server.host, keys)
        options.setdefault("config", config)
        return create_app(SessionOptions(path=path), **options)

    return make


@pytest.fixture
def notes(monkeypatch):
    """Every notification the app shows: (severity, title, message)."""
    seen: list[tuple[str, str, str]] = []
    original = LocalmigApp.notify

    def notify(self, message, *, title="", severity="information", **kwargs):
        seen.append((severity, title, str(message)))
        return original(self, message, title=title, severity=severity, **kwargs)

    monkeypatch.setattr(LocalmigApp, "notify", notify)
    return seen


async def wait_until(pilot, predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await pilot.pause(0.05)
    await pilot.pause()


async def loaded(pilot) -> None:
    await wait_until(pilot, lambda: pilot.app.state.facts is not None, "the project to load")


def idle(app) -> bool:
    return not app.state.work.queue and not app.state.review.progress


async def generated(pilot, count: int | None = None) -> None:
    """Wait until the generation queue is worked off (and ``count`` entries exist, if given)."""
    app = pilot.app
    await wait_until(pilot, lambda: idle(app) and (count is None or len(app.state.review.entries) >= count), "generation")


async def select(pilot, revisions: list[str]) -> None:
    """Select revisions in the list with the keyboard: move the cursor, press space."""
    table = pilot.app.screen.query_one("#revisions")
    order = [r.id for r in pilot.app.state.facts.revisions]
    for revision in revisions:
        target = order.index(revision)
        while table.cursor_row != target:
            await pilot.press("down" if table.cursor_row < target else "up")
        await pilot.press("space")


async def type_text(pilot, text: str) -> None:
    names = {" ": "space", "_": "underscore", ".": "full_stop", "#": "number_sign", "'": "apostrophe", ",": "comma"}
    await pilot.press(*[names.get(c, c) for c in text])


def rendered(app) -> str:
    """The screen as text, line by line (what a person sees, without colours)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def footer_keys(app) -> list[str]:
    """The footer's keys in the order shown."""
    from textual.widgets._footer import FooterKey

    return [key.description or key.key_display for key in app.screen.query(FooterKey)]
