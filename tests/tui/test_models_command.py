"""`localmig models` in a pipe or a narrow terminal shows whole model names (issue 12 point 10)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from localmig.cli import cli
from tests.ollama_servers import ScriptedOllama

NAMES = ["codellama:7b-instruct", "codellama:13b-instruct", "deepseek-coder:6.7b-instruct", "deepseek-coder-v2:16b",
         "qwen2.5-coder:7b"]


@pytest.fixture
def ollama(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))  # the packaged models.yaml
    with ScriptedOllama(models=["deepseek-coder:6.7b-instruct"]) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        yield server


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_every_model_name_is_whole_at_any_width(ollama, tmp_path, columns):
    result = CliRunner().invoke(cli, ["models", str(tmp_path)], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for name in NAMES:
        assert any(name in line for line in lines), (name, result.output)
    deepseek = [line for line in lines if "deepseek-coder:6.7b-instruct" in line and not line.startswith("to pull")]
    assert len(deepseek) == 1 and ("yes" in deepseek[0] or "pulled" in deepseek[0])  # `| grep deepseek-coder` works
    assert "…" not in result.output


def test_json_lists_the_profiles_for_scripts(ollama, tmp_path):
    result = CliRunner().invoke(cli, ["models", str(tmp_path), "--json"], env={"COLUMNS": "30"})
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [p["model"] for p in report["profiles"]] == NAMES
    states = {p["model"]: p["state"] for p in report["profiles"]}
    assert states["deepseek-coder:6.7b-instruct"] == "pulled" and states["qwen2.5-coder:7b"] == "missing"
    assert next(p for p in report["profiles"] if p["default"])["profile"] == report["default"]
    assert next(p for p in report["profiles"] if p["model"] == "qwen2.5-coder:7b")["pull"] == "ollama pull qwen2.5-coder:7b"
