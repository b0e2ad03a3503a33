"""Prompt templates: packaged defaults, family variants, override folders, strict variables, the version."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from localmig.context import estimate_tokens
from localmig.engines.answers import ALLOWED_MODULES, FIXTURE_API, MAX_TESTS, answer_schema
from localmig.engines.scenarios.types import MAX_ROWS, MAX_SCENARIOS
from localmig.errors import ConfigError, ExitCode
from localmig.prompts import NAMES, PACKAGED, PromptSet
from localmig.store import cache_key

ROOT = Path(__file__).resolve().parents[2]
GENERATE_VARIABLES = {
    "revision": "abc", "message": "m", "dialect": "sqlite", "changes": "- c", "schema_before": "t:", "schema_after": "t:",
    "source": "pass", "existing_tests": "(none)", "findings": "(none)", "hint": "", "cut": "",
}
SYSTEM_VARIABLES = {"fixture_api": FIXTURE_API, "allowed_imports": ", ".join(ALLOWED_MODULES), "max_tests": MAX_TESTS,
                    "max_scenarios": MAX_SCENARIOS, "max_rows": MAX_ROWS}


@pytest.fixture(autouse=True)
def no_user_prompts(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def template(folder: Path, family: str, name: str, text: str) -> Path:
    path = folder / family / f"{name}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_packaged_templates_are_the_ones_in_the_repository():
    """prompts/ (documented for users) and the packaged copy must not drift apart."""
    packaged = sorted(p.relative_to(PACKAGED) for p in PACKAGED.rglob("*") if p.is_file())
    in_repo = sorted(p.relative_to(ROOT / "prompts") for p in (ROOT / "prompts").rglob("*") if p.is_file())
    assert packaged == in_repo
    for relative in packaged:
        assert (PACKAGED / relative).read_bytes() == (ROOT / "prompts" / relative).read_bytes(), relative


@pytest.mark.parametrize("family", ["default", "codellama", "deepseek", "starcoder"])
def test_every_template_of_every_family_renders_with_what_localmig_provides(family):
    prompts = PromptSet(family)

    assert prompts.version == (PACKAGED / "VERSION").read_text().strip()
    scenarios = prompts.render("system", **SYSTEM_VARIABLES)
    inputs = prompts.render("system_inputs", **SYSTEM_VARIABLES)
    code = prompts.render("system_code", **SYSTEM_VARIABLES)
    generate = prompts.render("generate", **GENERATE_VARIABLES)
    assert not re.search(r"\$[A-Za-z_{]", scenarios + inputs + code + generate)  # every placeholder was filled
    assert FIXTURE_API in code and f"{MAX_TESTS}" in code
    assert f"At most {MAX_SCENARIOS} scenarios" in scenarios and FIXTURE_API not in scenarios
    assert "placeholders" in scenarios and "placeholders" in inputs
    assert generate.startswith("Revision abc: m\nDatabase: sqlite")
    assert "Your answer could not be used:\n- e" in prompts.render("repair_answer", errors="- e")
    assert "- f" in prompts.render("repair_tests", failures="- f")
    assert "These did not hold:\n- o\n" in prompts.render("repair_scenarios", observations="- o")


@pytest.mark.parametrize("family", ["default", "codellama", "deepseek"])
@pytest.mark.parametrize("name, limit", [("system", 700), ("system_inputs", 400), ("system_code", 800)])
def test_system_prompts_stay_small(family, name, limit):
    """They are sent with every request; a 4k context (CodeLlama's default) must keep room for the revision."""
    assert estimate_tokens(PromptSet(family).render(name, **SYSTEM_VARIABLES)) <= limit


def test_a_family_file_overrides_only_that_file():
    prompts = PromptSet("codellama")

    family = {"system", "system_inputs", "system_code"}
    assert {name: prompts.paths[name] for name in family} == {name: PACKAGED / "codellama" / f"{name}.txt" for name in family}
    assert {name: prompts.paths[name] for name in NAMES if name not in family} == {
        name: PACKAGED / "default" / f"{name}.txt" for name in NAMES if name not in family
    }
    assert PromptSet("starcoder").paths["system"] == PACKAGED / "default" / "system.txt"


def test_an_unknown_variable_in_a_template_is_a_clear_error(tmp_path):
    path = template(tmp_path / "mine", "default", "generate", "Revision $revision touches $tablez\n")
    prompts = PromptSet("default", [tmp_path / "mine"])

    with pytest.raises(ConfigError) as raised:
        prompts.render("generate", **GENERATE_VARIABLES)

    assert str(raised.value) == f"{path}: uses $tablez, which localmig does not provide for generate"
    assert raised.value.exit_code == ExitCode.USAGE


def test_a_stray_dollar_sign_says_how_to_write_one(tmp_path):
    path = template(tmp_path / "mine", "default", "repair_answer", "That costs $5: $errors\n")
    prompts = PromptSet("default", [tmp_path / "mine"])

    with pytest.raises(ConfigError) as raised:
        prompts.render("repair_answer", errors="x")

    assert str(raised.value).startswith(f"{path}: bad placeholder")
    assert "write $$ for a literal dollar sign" in str(raised.value)
    template(tmp_path / "mine", "default", "repair_answer", "That costs $$5: $errors\n")
    assert PromptSet("default", [tmp_path / "mine"]).render("repair_answer", errors="x") == "That costs $5: x\n"


def test_values_are_inserted_verbatim_never_expanded_again():
    text = PromptSet("default").render("repair_tests", failures="assert '$revision' == '${x}'")

    assert "assert '$revision' == '${x}'" in text


def test_an_override_changes_the_prompt_and_the_version_and_so_the_cache_key(tmp_path):
    packaged = PromptSet("default")
    template(tmp_path / "mine", "default", "system", "Only JSON. Fixture: $fixture_api. Imports: $allowed_imports. Max $max_tests.\n")
    custom = PromptSet("default", [tmp_path / "mine"])

    assert custom.render("system", **SYSTEM_VARIABLES).startswith("Only JSON. Fixture: - migrations.")
    assert custom.version.startswith(packaged.version + "+custom.")
    assert custom.paths["generate"] == packaged.paths["generate"]

    messages = [{"role": "user", "content": "same"}]
    options = {"temperature": 0, "seed": 42}
    keys = {cache_key(messages, "m:1", options, p.version, answer_schema()) for p in (packaged, custom)}
    assert len(keys) == 2

    template(tmp_path / "mine", "default", "system", "Changed again $fixture_api $allowed_imports $max_tests\n")
    assert PromptSet("default", [tmp_path / "mine"]).version not in (custom.version, packaged.version)


def test_the_version_does_not_depend_on_where_the_override_folder_is(tmp_path):
    for folder in ("one", "two"):
        template(tmp_path / folder, "default", "generate", "$revision $message $dialect $changes $schema_before "
                 "$schema_after $source $existing_tests $findings $hint$cut\n")

    assert PromptSet("default", [tmp_path / "one"]).version == PromptSet("default", [tmp_path / "two"]).version


def test_override_folders_in_order_given_then_project_then_user(tmp_path):
    project = tmp_path / "project"
    user = tmp_path / "xdg" / "localmig" / "prompts"
    given = tmp_path / "given"
    for folder in (user, project / ".localmig" / "prompts", given):
        template(folder, "default", "repair_tests", f"from {folder.name}: $failures\n")

    assert PromptSet.for_project("default", project, given).render("repair_tests", failures="x") == "from given: x\n"
    assert PromptSet.for_project("default", project).render("repair_tests", failures="x") == "from prompts: x\n"
    assert PromptSet.for_project("default", project).paths["repair_tests"] == project / ".localmig" / "prompts" / "default" / "repair_tests.txt"
    assert PromptSet.for_project("default", tmp_path / "elsewhere").paths["repair_tests"] == user / "default" / "repair_tests.txt"


def test_a_family_override_in_a_folder_beats_the_packaged_family_file(tmp_path):
    template(tmp_path / "mine", "codellama", "system", "codellama, mine: $fixture_api $allowed_imports $max_tests\n")

    prompts = PromptSet("codellama", [tmp_path / "mine"])

    assert prompts.render("system", **SYSTEM_VARIABLES).startswith("codellama, mine:")
    assert PromptSet("deepseek", [tmp_path / "mine"]).paths["system"] == PACKAGED / "deepseek" / "system.txt"


def test_a_missing_override_folder_is_ignored(tmp_path):
    prompts = PromptSet("default", [tmp_path / "does-not-exist"])

    assert prompts.folders == [PACKAGED]
    assert prompts.version == PromptSet("default").version


def test_the_fixture_api_the_prompt_documents_is_the_runtimes():
    """Every ``migrations.x``, ``database.x`` and ``schema.x`` the model is told about exists on the runtime's
    classes (a renamed or removed method must change the prompt too)."""
    import re

    from pytest_localmig import Database, MigrationHistory, SchemaView

    owners = {"migrations": MigrationHistory, "database": Database, "schema": SchemaView}
    named = set(re.findall(r"\b(migrations|database|schema)\.(\w+)", FIXTURE_API))
    named |= {("migrations", m) for m in re.findall(r", (schema_after\w*)\(", FIXTURE_API)}
    assert len(named) >= 15
    missing = [f"{owner}.{name}" for owner, name in sorted(named) if not hasattr(owners[owner], name)]
    assert not missing
