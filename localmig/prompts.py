"""Prompt templates: packaged defaults, per-family variants, user overrides, strict variables.

A template is looked up in each override folder (``--prompts``, ``<project>/.localmig/prompts``,
the user config folder) and then in the packaged ``prompts/``; in each, ``<family>/<name>.txt``
before ``default/<name>.txt``. Variables are ``$name``; a missing one is an error.
"""

from __future__ import annotations

import hashlib
import string
from pathlib import Path

from platformdirs import user_config_dir

from .errors import ConfigError

PACKAGED = Path(__file__).parent / "data" / "prompts"
NAMES = ("system", "system_inputs", "system_code", "generate", "repair_answer", "repair_tests", "repair_scenarios")


class PromptSet:
    """The templates of one model family, with the version that identifies their text."""

    def __init__(self, family: str, overrides: list[Path] | None = None) -> None:
        self.family = family
        self.folders = [p for p in (overrides or []) if p.is_dir()] + [PACKAGED]
        self.paths = {name: self._find(name) for name in NAMES}
        base = (PACKAGED / "VERSION").read_text(encoding="utf-8").strip()
        custom = [p for p in self.paths.values() if PACKAGED not in p.parents]
        if custom:
            digest = hashlib.sha256(b"".join(p.read_bytes() for p in custom)).hexdigest()[:8]
            self.version = f"{base}+custom.{digest}"
        else:
            self.version = base

    @classmethod
    def for_project(cls, family: str, project_root: Path | None, extra: Path | None = None) -> PromptSet:
        overrides = [extra] if extra else []
        if project_root is not None:
            overrides.append(project_root / ".localmig" / "prompts")
        overrides.append(Path(user_config_dir("localmig")) / "prompts")
        return cls(family, overrides)

    def _find(self, name: str) -> Path:
        for folder in self.folders:
            for family in (self.family, "default"):
                path = folder / family / f"{name}.txt"
                if path.is_file():
                    return path
        raise ConfigError(f"no prompt template {name}.txt for family {self.family!r} in {', '.join(map(str, self.folders))}")

    def render(self, name: str, **variables: object) -> str:
        """The template ``name`` with every ``$variable`` filled; a missing one is a ConfigError."""
        path = self.paths[name]
        template = string.Template(path.read_text(encoding="utf-8"))
        try:
            return template.substitute({key: str(value) for key, value in variables.items()})
        except KeyError as error:
            raise ConfigError(f"{path}: uses ${error.args[0]}, which localmig does not provide for {name}") from None
        except ValueError as error:
            raise ConfigError(f"{path}: bad placeholder ({error}); write $$ for a literal dollar sign") from None
