"""models.yaml: where it is looked up, how a model is chosen, which host is used, and what a bad file says."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from localmig.config import DEFAULT_HOST, PACKAGED, ModelProfile, Settings, candidates, load_settings, parse_settings
from localmig.errors import ConfigError, ExitCode
from tests.conftest import run_cli
from tests.ollama_servers import ScriptedOllama


@pytest.fixture(autouse=True)
def clean_environment(tmp_path, monkeypatch):
    """No user config folder, OLLAMA_HOST or LOCALMIG_MODEL of the machine running the tests."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.delenv("LOCALMIG_MODEL", raising=False)


def models_yaml(path: Path, default: str = "small", *, host: str | None = None, **extra: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"default: {default}"]
    if host:
        lines.append(f"host: {host}")
    lines += [
        "profiles:",
        "  small:",
        "    model: tiny-coder:1b",
        "    options: {num_ctx: 4096, num_predict: 256}",
        "  large:",
        "    model: codellama:13b-instruct",
        "    family: codellama",
        "    repair_rounds: 1",
    ]
    lines += [f"{key}: {value}" for key, value in extra.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------- look-up order


def test_the_packaged_file_is_used_when_there_is_no_other(tmp_path):
    settings = load_settings(None, tmp_path / "project")

    assert settings.source == PACKAGED
    assert settings.default == "codellama-7b"
    assert settings.profile().model == "codellama:7b-instruct"


def test_candidates_are_config_then_project_then_user_folder_then_packaged(tmp_path):
    project = tmp_path / "project"

    assert candidates(None, project) == [project / "models.yaml", tmp_path / "xdg" / "localmig" / "models.yaml", PACKAGED]
    assert candidates(None, None) == [tmp_path / "xdg" / "localmig" / "models.yaml", PACKAGED]
    assert candidates(tmp_path / "mine.yaml", project) == [tmp_path / "mine.yaml"]


def test_each_file_wins_over_the_ones_after_it(tmp_path):
    project = tmp_path / "project"
    user = models_yaml(tmp_path / "xdg" / "localmig" / "models.yaml", default="large")
    assert load_settings(None, project).source == user

    in_project = models_yaml(project / "models.yaml", default="small")
    assert load_settings(None, project).source == in_project

    given = models_yaml(tmp_path / "given.yaml", default="large")
    settings = load_settings(given, project)
    assert settings.source == given
    assert settings.default == "large"


def test_a_given_config_that_does_not_exist_is_an_error_even_if_others_exist(tmp_path):
    project = tmp_path / "project"
    models_yaml(project / "models.yaml")

    with pytest.raises(ConfigError) as raised:
        load_settings(tmp_path / "missing.yaml", project)

    assert str(raised.value) == f"{tmp_path / 'missing.yaml'}: no such file"
    assert raised.value.exit_code == ExitCode.USAGE


def test_the_packaged_file_is_valid_and_names_every_profile():
    settings = parse_settings(PACKAGED)

    assert set(settings.profiles) == {"codellama-7b", "codellama-13b", "deepseek-coder-6.7b", "deepseek-coder-v2-16b", "qwen2.5-coder-7b"}
    assert all(name == profile.name for name, profile in settings.profiles.items())
    assert settings.allow_remote is False and settings.allowed_hosts == []


# ---------------------------------------------------------------------------------- choosing a model


@pytest.fixture
def settings(tmp_path) -> Settings:
    return parse_settings(models_yaml(tmp_path / "models.yaml"))


def test_the_default_profile_is_used_without_a_choice(settings):
    profile = settings.profile()

    assert (profile.name, profile.model, profile.family) == ("small", "tiny-coder:1b", "default")
    assert (profile.options.num_ctx, profile.options.num_predict) == (4096, 256)
    assert profile.pull_command == "ollama pull tiny-coder:1b"


def test_a_profile_by_name_and_by_its_tag(settings):
    assert settings.profile("large").model == "codellama:13b-instruct"
    assert settings.profile("codellama:13b-instruct").name == "large"
    assert settings.profile("large").repair_rounds == 1


@pytest.mark.parametrize(
    "tag, family",
    [("deepseek-coder:33b-instruct", "deepseek"), ("codellama:34b", "codellama"), ("qwen2.5-coder:7b", "default")],
)
def test_a_raw_tag_gets_the_default_profiles_options_and_the_family_of_its_name(settings, tag, family):
    profile = settings.profile(tag)

    assert (profile.name, profile.model, profile.family) == (tag, tag, family)
    assert profile.options == settings.profiles["small"].options
    assert profile.pull_command == f"ollama pull {tag}"
    assert settings.profiles["small"].model == "tiny-coder:1b"  # the default profile is not changed


def test_localmig_model_picks_the_profile_unless_one_is_given(settings, monkeypatch):
    monkeypatch.setenv("LOCALMIG_MODEL", "large")
    assert settings.profile().name == "large"
    assert settings.profile("small").name == "small"

    monkeypatch.setenv("LOCALMIG_MODEL", "starcoder2:3b")
    assert settings.profile().model == "starcoder2:3b"


# ---------------------------------------------------------------------------------- host


def test_host_resolution_profile_then_settings_then_ollama_host_then_default(tmp_path, monkeypatch):
    path = write(tmp_path / "models.yaml", """
        default: a
        profiles:
          a: {model: a:1b, host: "http://127.0.0.1:1111"}
          b: {model: b:1b}
    """)
    settings = parse_settings(path)
    assert settings.host_for(settings.profile("a")) == "http://127.0.0.1:1111"
    assert settings.host_for(settings.profile("b")) == DEFAULT_HOST == "http://127.0.0.1:11434"

    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:3333")
    assert settings.host_for(settings.profile("b")) == "127.0.0.1:3333"
    assert settings.host_for(settings.profile("a")) == "http://127.0.0.1:1111"

    settings = settings.model_copy(update={"host": "http://localhost:2222"})
    assert settings.host_for(settings.profile("b")) == "http://localhost:2222"
    assert settings.host_for(settings.profile("a")) == "http://127.0.0.1:1111"


# ---------------------------------------------------------------------------------- bad files


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        parse_settings(path)
    assert raised.value.exit_code == ExitCode.USAGE
    return str(raised.value)


@pytest.mark.parametrize(
    "body, expected",
    [
        ("default: a\nprofiles:\n  a: {model: a:1b, options: {num_ctx: 100}}\n",
         "profiles.a.options.num_ctx: Input should be greater than or equal to 512 (found 100)"),
        ("default: a\nprofiles:\n  a: {model: a:1b, repair_rounds: 9}\n",
         "profiles.a.repair_rounds: Input should be less than or equal to 5 (found 9)"),
        ("default: a\nprofiles:\n  a: {model: a:1b, timeout: fast}\n",
         "profiles.a.timeout: Input should be a valid number, unable to parse string as a number (found 'fast')"),
        ("default: a\nprofiles:\n  a: {modle: a:1b}\n", "profiles.a.model: Field required"),
        ("default: a\nprofiles:\n  a: {modle: a:1b}\n", "profiles.a.modle: Extra inputs are not permitted (found 'a:1b')"),
        ("default: a\nprofiles:\n  a: {model: a:1b, options: {temprature: 0}}\n",
         "profiles.a.options.temprature: Extra inputs are not permitted (found 0)"),
        ("default: a\nallow_remote: maybe\nprofiles:\n  a: {model: a:1b}\n",
         "allow_remote: Input should be a valid boolean, unable to interpret input (found 'maybe')"),
        ("default: a\n", "profiles: Field required"),
        ("default: b\nprofiles:\n  a: {model: a:1b}\n", "default profile 'b' is not among the profiles (a)"),
    ],
)
def test_invalid_settings_name_the_file_the_key_and_what_was_expected(tmp_path, body, expected):
    path = write(tmp_path / "models.yaml", body)

    message = error_of(path)

    assert message.startswith(f"{path}: invalid settings:\n")
    assert expected in message.splitlines()[1:] or any(expected in line for line in message.splitlines()[1:]), message


def test_yaml_that_does_not_parse_names_the_file_and_line(tmp_path):
    path = write(tmp_path / "models.yaml", "default: a\nprofiles:\n  a: {model: a:1b\n  b: [\n")

    assert error_of(path).startswith(f"{path}:")
    assert "not valid YAML" in error_of(path)


@pytest.mark.parametrize("body", ["", "- a\n- b\n", "just a string\n"])
def test_a_file_that_is_not_a_mapping_says_what_it_needs(tmp_path, body):
    path = write(tmp_path / "models.yaml", body) if body else (tmp_path / "models.yaml")
    path.write_text(body, encoding="utf-8")

    assert error_of(path) == f"{path}: expected a mapping with 'default' and 'profiles'"


def test_the_cli_exits_2_on_an_invalid_project_models_yaml(project):
    root = project("demo")
    write(root / "models.yaml", "default: a\nprofiles:\n  a: {model: a:1b, options: {num_ctx: 100}}\n")

    result = run_cli("models", str(root), env={"XDG_CONFIG_HOME": str(root / "xdg")})

    assert result.returncode == ExitCode.USAGE, result.stderr
    assert f"{root / 'models.yaml'}: invalid settings" in result.stderr
    assert "profiles.a.options.num_ctx: Input should be greater than or equal to 512 (found 100)" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------------- localmig models


def test_models_lists_every_profile_pulled_or_missing_with_the_pull_line(tmp_path):
    with ScriptedOllama(models=["tiny-coder:1b"]) as server:
        config = models_yaml(tmp_path / "models.yaml", host=server.host)

        result = run_cli("models", str(tmp_path), "--config", str(config), env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})

        tags = [r for r in server.requests if r.path == "/api/tags"]
        assert server.chat_requests() == []
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"settings: {config}" in result.stdout
    small = next(line for line in lines if "small (default)" in line)
    large = next(line for line in lines if line.lstrip("│ ").startswith("large"))
    assert "tiny-coder:1b" in small and "yes" in small and server.host in small
    assert "codellama:13b-instruct" in large and "no" in large.split("│")[-2]
    assert "to pull large: ollama pull codellama:13b-instruct" in lines
    assert not any("to pull small" in line for line in lines)
    assert len(tags) == 1  # one listing per host


def test_models_says_when_ollama_is_not_reachable(tmp_path):
    from tests.ollama_servers import free_port

    host = f"http://127.0.0.1:{free_port()}"
    config = models_yaml(tmp_path / "models.yaml", host=host)

    result = run_cli("models", str(tmp_path), "--config", str(config), env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})

    assert result.returncode == 0, result.stderr
    assert f"Ollama is not reachable at {host}" in result.stdout
    assert "start it with `ollama serve`" in result.stdout
    assert "unknown" in result.stdout
    assert "to pull" not in result.stdout


def test_models_does_not_contact_a_refused_host(tmp_path):
    config = models_yaml(tmp_path / "models.yaml", host="http://10.1.2.3:11434")

    result = run_cli("models", str(tmp_path), "--config", str(config), env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")},
                     timeout=60)

    assert result.returncode == 0, result.stderr
    assert "refusing to send schema context to http://10.1.2.3:11434" in result.stdout
    assert "to allow it, set `allow_remote: true` and list '10.1.2.3' under `allowed_hosts`" in result.stdout


def test_the_cli_takes_model_by_profile_name_by_raw_tag_and_from_localmig_model(project, tmp_path):
    """show-prompt --json prints the request body: which model, and which family's wording."""
    root = project("demo")
    models_yaml(root / "models.yaml")
    environment = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}

    def body(*args: str, **env: str) -> dict:
        result = run_cli("show-prompt", str(root), "--rev", "d1a001e4c7b2", "--json", "--model-output", "code", *args,
                         env={**environment, **env})
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    default, by_name, by_tag, from_env = (
        body(), body("--model", "large"), body("--model", "deepseek-coder:6.7b-instruct"),
        body(LOCALMIG_MODEL="starcoder2:3b"),
    )

    assert (default["model"], default["options"]["num_ctx"]) == ("tiny-coder:1b", 4096)
    assert by_name["model"] == "codellama:13b-instruct"
    assert by_name["messages"][0]["content"].startswith("You are a careful Python developer.")  # codellama wording
    assert default["messages"][0]["content"].startswith("You write pytest tests")  # default wording
    assert by_tag["model"] == "deepseek-coder:6.7b-instruct" and by_tag["options"] == default["options"]
    assert by_tag["messages"][0]["content"].startswith("You are DeepSeek Coder")  # the family of the tag's name
    assert from_env["model"] == "starcoder2:3b"


@pytest.mark.parametrize("tag, output, expected", [
    ("smollm2:135m", None, "inputs"), ("qwen2.5-coder:1.5b", None, "inputs"), ("codellama:7b-instruct", None, "scenarios"),
    ("deepseek-coder:6.7b-instruct", None, "scenarios"), ("mystery:latest", None, "scenarios"),
    ("smollm2:135m", "scenarios", "scenarios"), ("codellama:7b-instruct", "code", "code"),
])
def test_what_a_profile_answers_is_its_output_else_inputs_for_models_under_4b(tag, output, expected):
    profile = ModelProfile(model=tag, output=output)

    assert profile.model_output == expected
