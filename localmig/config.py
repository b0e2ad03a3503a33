"""Settings: model profiles from models.yaml, validated with pydantic.

Look-up order for models.yaml (first found wins): ``--config FILE``, the Alembic project's
``models.yaml``, the user config folder (``~/.config/localmig/models.yaml`` on Linux), then the
copy packaged with localmig. ``--model`` / ``LOCALMIG_MODEL`` picks a profile by name or takes a
raw Ollama tag (which then gets the default profile's options).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from platformdirs import user_config_dir
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ConfigError

PACKAGED = Path(__file__).parent / "data" / "models.yaml"
DEFAULT_HOST = "http://127.0.0.1:11434"


class ModelOptions(BaseModel):
    """Generation options sent to Ollama with every request."""

    model_config = ConfigDict(extra="forbid")

    temperature: float = Field(0.0, ge=0, le=2, description="0 makes answers repeatable.")
    seed: int = Field(42, description="Fixed seed, for repeatable answers.")
    num_ctx: int = Field(8192, ge=512, description="Context window in tokens; prompts are cut to fit.")
    num_predict: int = Field(2048, ge=64, description="Cap on answer tokens.")
    top_p: float | None = Field(None, gt=0, le=1)


class ModelProfile(BaseModel):
    """One model as localmig uses it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", description="The profile's name (its key in models.yaml).")
    model: str = Field(description="The Ollama tag, e.g. codellama:7b-instruct.")
    family: str = Field("default", description="Which prompts/<family>/ templates to use.")
    options: ModelOptions = Field(default_factory=ModelOptions)
    repair_rounds: int = Field(2, ge=0, le=5, description="How many times a bad answer goes back for repair.")
    timeout: float = Field(300, gt=0, description="Seconds to wait for one answer.")
    host: str | None = Field(None, description="Ollama host for this profile.")
    output: Literal["scenarios", "inputs", "code"] | None = Field(
        None, description="What the model answers: data scenarios with expectations, seed rows only (inputs), or "
                          "test code; default: inputs for models under 4B parameters (by their tag), else scenarios.")

    @property
    def pull_command(self) -> str:
        return f"ollama pull {self.model}"

    @property
    def model_output(self) -> Literal["scenarios", "inputs", "code"]:
        """The output this profile's model answers in (``output``, else by the model's size)."""
        if self.output is not None:
            return self.output
        size = parameters_in_billions(self.model)
        return "inputs" if size is not None and size < SMALL_MODEL_BILLIONS else "scenarios"


SMALL_MODEL_BILLIONS = 4.0


def parameters_in_billions(tag: str) -> float | None:
    """The model's size as its tag says it (``smollm2:135m`` -> 0.135, ``qwen2.5-coder:7b`` -> 7.0)."""
    match = re.search(r"(?:^|[:\-_])(\d+(?:\.\d+)?)([mb])(?=$|[-_:.])", tag.lower())
    if match is None:
        return None
    number = float(match.group(1))
    return number / 1000 if match.group(2) == "m" else number


class Settings(BaseModel):
    """The whole models.yaml."""

    model_config = ConfigDict(extra="forbid")

    default: str = Field(description="The profile used when --model is not given.")
    host: str | None = Field(None, description="Ollama host for profiles that set none.")
    allow_remote: bool = Field(False, description="Allow a non-loopback Ollama host (listed in allowed_hosts).")
    allowed_hosts: list[str] = Field(default_factory=list)
    profiles: dict[str, ModelProfile]
    keys: dict[str, str] = Field(default_factory=dict, description="TUI key bindings by action id.")
    source: Path | None = Field(None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _name_profiles(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("profiles"), dict):
            for name, profile in data["profiles"].items():
                if isinstance(profile, dict):
                    profile.setdefault("name", name)
        return data

    @model_validator(mode="after")
    def _default_exists(self) -> Settings:
        if self.default not in self.profiles:
            raise ValueError(f"default profile {self.default!r} is not among the profiles ({', '.join(self.profiles)})")
        return self

    def profile(self, choice: str | None = None) -> ModelProfile:
        """A profile by name; an unknown name is taken as a raw Ollama tag with default options."""
        choice = choice or os.environ.get("LOCALMIG_MODEL") or self.default
        if choice in self.profiles:
            return self.profiles[choice]
        for profile in self.profiles.values():
            if profile.model == choice:
                return profile
        base = self.profiles[self.default]
        return base.model_copy(update={"name": choice, "model": choice, "family": _family_of(choice)})

    def host_for(self, profile: ModelProfile) -> str:
        return profile.host or self.host or os.environ.get("OLLAMA_HOST") or DEFAULT_HOST


def _family_of(tag: str) -> str:
    for family in ("codellama", "deepseek"):
        if tag.startswith(family):
            return family
    return "default"


def candidates(config: Path | None, project_root: Path | None) -> list[Path]:
    """Where models.yaml may be, in look-up order."""
    if config is not None:
        return [config]
    found = []
    if project_root is not None:
        found.append(project_root / "models.yaml")
    found.append(Path(user_config_dir("localmig")) / "models.yaml")
    found.append(PACKAGED)
    return found


def load_settings(config: Path | None = None, project_root: Path | None = None) -> Settings:
    """Read the first models.yaml found (see the module docstring)."""
    for path in candidates(config, project_root):
        if path.is_file():
            return parse_settings(path)
        if config is not None:
            raise ConfigError(f"{path}: no such file")
    raise ConfigError("no models.yaml found, not even the packaged one (broken installation?)")


def parse_settings(path: Path) -> Settings:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: {getattr(error, 'problem', error)}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read it: {error.strerror}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'default' and 'profiles'")
    try:
        settings = Settings.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{path}: invalid settings:\n" + describe_errors(error)) from None
    settings.source = path
    return settings


def describe_errors(error: ValidationError) -> str:
    """One line per problem: the key path, what was expected, what was found."""
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"]) or "(top)"
        found = problem.get("input")
        shown = "" if isinstance(found, (dict, list)) else f" (found {found!r})"
        lines.append(f"  {key}: {problem['msg']}{shown}")
    return "\n".join(lines)
