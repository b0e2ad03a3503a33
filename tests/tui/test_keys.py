"""Key bindings carry ids and follow the user's remapping; the help lists them; themes; $EDITOR; the CLI."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from localmig.cli import cli
from localmig.tui import LocalmigApp
from localmig.tui.bindings import KEYS, check_keymap, markdown_table
from localmig.tui.screens.help import HelpScreen
from localmig.tui.screens.modals import Confirm
from localmig.tui.screens.review import ReviewScreen
from localmig.tui.screens.select import FilterInput, SelectScreen

from .conftest import FIRST_THREE, SIZE, generated, loaded, wait_until

TCSS = Path(__file__).resolve().parents[2] / "localmig" / "tui" / "app.tcss"


def test_every_binding_has_a_unique_id_and_an_action_to_run():
    ids = [key.id for key in KEYS]
    assert len(ids) == len(set(ids))
    owners = {"app": LocalmigApp, "list": SelectScreen, "filter": FilterInput, "review": ReviewScreen,
              "editing": ReviewScreen, "confirm": Confirm}
    for key in KEYS:
        owner = owners.get(key.scope)
        if owner is not None:
            assert hasattr(owner, f"action_{key.action.split('(')[0]}"), key.id


def test_keymap_keeps_known_ids_and_reports_unknown_ones():
    usable, unknown = check_keymap({"review.accept": "f6", "no.such": "x", "list.generate": ""})
    assert usable == {"review.accept": "f6"} and unknown == ["no.such"]


def test_the_stylesheet_uses_theme_variables_only():
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b|\b(?:rgb|hsl)\(", TCSS.read_text(encoding="utf-8"))


@pytest.mark.asyncio
async def test_remapped_keys_work_and_the_help_lists_them(demo, make_app, notes):
    app = make_app(demo, no_model=True, theme="textual-light",
                   keys={"list.generate": "f5", "review.accept": "f6", "nonsense.id": "x"})
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        assert app.theme == "textual-light"
        assert any(s == "warning" and "nonsense.id" in m for s, _, m in notes)
        await pilot.press("g")  # no longer bound
        await pilot.pause(0.2)
        assert not app.state.work.queue and not app.state.review.entries
        await pilot.press("f5")
        await generated(pilot, 1)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = {binding: key for _, key, _, binding in app.screen.rows}
        assert rows["review.accept"] == "f6" and rows["list.generate"] == "f5" and rows["review.reject"] == "x"
        assert set(rows) == {key.id for key in KEYS}
        await pilot.press("escape", "r")
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("a")  # the old key does nothing now
        await pilot.pause(0.3)
        assert app.state.review.entries[FIRST_THREE[0]].decision is None
        await pilot.press("f6")
        await wait_until(pilot, lambda: app.state.review.entries[FIRST_THREE[0]].decision == "accepted", "the write")


@pytest.mark.asyncio
async def test_open_in_editor_edits_a_copy_and_brings_the_text_back(demo, make_app, tmp_path, monkeypatch):
    script = tmp_path / "editor.py"
    script.write_text("import sys\nwith open(sys.argv[1], 'a') as f:\n    f.write('# edited in the editor\\n')\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app(demo, no_model=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("g")
        await generated(pilot, 1)
        await pilot.press("r", "o")
        entry = app.state.review.entries[FIRST_THREE[0]]
        assert entry.text.endswith("# edited in the editor\n") and entry.untested_edits
        assert app.screen.query_one("#module").text == entry.text
        assert not (demo / "tests").exists()  # nothing written until accept


def test_localmig_without_a_command_opens_the_app(demo, monkeypatch):
    opened: list[LocalmigApp] = []
    monkeypatch.setattr(LocalmigApp, "run", lambda self, *a, **k: opened.append(self))
    monkeypatch.chdir(demo)
    runner = CliRunner()
    assert "Commands:" in runner.invoke(cli, []).output  # no terminal (a script, a pipe): the help
    assert "needs a terminal" in runner.invoke(cli, ["tui"]).output
    assert not opened
    monkeypatch.setattr(sys.modules["localmig.cli.tui"], "interactive", lambda: True)
    assert runner.invoke(cli, [], catch_exceptions=False).exit_code == 0
    assert runner.invoke(cli, ["tui", str(demo), "--no-model", "--theme", "nord"], catch_exceptions=False).exit_code == 0
    assert [app.project for app in opened] == ["demo", "demo"]
    assert opened[0].model_name is not None and opened[1].model_name is None
    assert "tui" in runner.invoke(cli, ["--help"]).output


def test_the_readme_lists_the_keys_as_the_app_binds_them():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme
    assert "docs/tui-list.svg" in readme and "docs/tui-review.svg" in readme


@pytest.mark.asyncio
async def test_an_unknown_theme_is_a_warning_not_a_crash(demo, make_app, notes):
    app = make_app(demo, no_model=True, theme="no-such-theme")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        assert any(s == "warning" and "no theme 'no-such-theme'" in m for s, _, m in notes)
        assert app.theme == "textual-dark" and app.is_running
