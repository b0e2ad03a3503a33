"""The settings of a generated suite: the ``LOCALMIG_SUITE`` dict its ``conftest.py`` holds.

A plain dict of literals, read by the plugin when pytest loads the conftest: any version of the
plugin can read it and judge whether it can run the suite (``api_version``), and the conftest
itself needs nothing installed to be imported. Paths are relative to the conftest's folder
(``project_root``) or to the project root (``config_file``, ``version_folders``), so the suite
runs on any clone and in CI.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import HarnessError
from .version import API_VERSION, DROPPED_IN, FIRST_RELEASE, MIN_API_VERSION, __version__

SETTINGS_NAME = "LOCALMIG_SUITE"  # the conftest's dict of settings
RUNTIME_NAME = "LOCALMIG_RUNTIME"  # a vendored conftest's own copy of this runtime (a module)
ENV_FOLDER = "alembic_env"  # beside the conftest: the env.py of suites that run on localmig's own
CONFIG_KINDS = ("ini", "pyproject", "versions")
REGENERATE = "localmig generate PATH"

if TYPE_CHECKING:
    from alembic.config import Config


def incompatibility(values: Mapping[str, Any]) -> str | None:
    """Why this runtime cannot run a suite whose conftest declares ``values``; None when it can."""
    version = values.get("api_version")
    if not isinstance(version, int) or isinstance(version, bool):
        return (f"{SETTINGS_NAME} in this suite's conftest.py has no valid api_version ({version!r}); "
                f"generate the suite again: {REGENERATE}")
    if version > API_VERSION:
        first = FIRST_RELEASE.get(version)
        requires = values.get("requires") or (f"pytest-localmig>={first}" if first else "pytest-localmig")
        return (f"these migration tests were generated for the pytest-localmig fixture API {version}, but the "
                f"installed pytest-localmig {__version__} provides API {API_VERSION}: install a newer one "
                f"(pip install '{requires}'), or generate the tests again for this one ({REGENERATE})")
    if version < MIN_API_VERSION:
        dropped = DROPPED_IN.get(version)
        older = f" (or pip install 'pytest-localmig<{dropped}')" if dropped else ""
        return (f"these migration tests were generated for the pytest-localmig fixture API {version}, which the "
                f"installed pytest-localmig {__version__} no longer provides (it runs API {MIN_API_VERSION} to "
                f"{API_VERSION}): generate them again ({REGENERATE}){older}")
    return None


@dataclass(frozen=True)
class SuiteSettings:
    """Where a suite's Alembic project is and how its expectations were measured."""

    folder: str  # the suite folder (the conftest's), absolute
    api_version: int
    project_root: str  # relative to folder
    config_kind: str = "ini"  # "ini", "pyproject" or "versions" (a bare folder of revision files)
    config_file: str | None = "alembic.ini"  # relative to the project root
    ini_section: str = "alembic"
    version_folders: tuple[str, ...] = ()  # relative to the project root
    builtin_env: bool = False  # run on the env.py in <folder>/alembic_env instead of the project's
    metadata: str | None = None  # module:attribute of a MetaData, for the built-in env.py
    initial_schema: tuple[str, ...] = ()  # MODULE:ATTR the history starts from (see initial.py)
    measured_on: str = "sqlite"  # the dialect the tests' expectations were measured on
    requires: str | None = None  # the requirement that provides api_version, e.g. "pytest-localmig>=0.1"

    @classmethod
    def from_conftest(cls, conftest: str, values: Mapping[str, Any]) -> SuiteSettings:
        """The settings a conftest declares (an unknown key is ignored: a newer generator may add some)."""
        problem = incompatibility(values)
        if problem:
            raise HarnessError(problem)
        kind = values.get("config_kind", "ini")
        if kind not in CONFIG_KINDS:
            raise HarnessError(f"{SETTINGS_NAME}['config_kind'] is {kind!r}; expected one of {', '.join(CONFIG_KINDS)}")
        if not isinstance(values.get("project_root"), str):
            raise HarnessError(f"{SETTINGS_NAME}['project_root'] must be a path relative to the suite folder")
        return cls(
            folder=os.path.dirname(os.path.abspath(conftest)),
            api_version=values["api_version"],
            project_root=values["project_root"],
            config_kind=kind,
            config_file=values.get("config_file"),
            ini_section=values.get("ini_section") or "alembic",
            version_folders=tuple(values.get("version_folders") or ()),
            builtin_env=bool(values.get("builtin_env")),
            metadata=values.get("metadata"),
            initial_schema=tuple(values.get("initial_schema") or ()),
            measured_on=values.get("measured_on") or "sqlite",
            requires=values.get("requires"),
        )

    def root(self, override: str | None = None) -> str:
        """The project root: ``override`` (from --migration-project-root) or project_root."""
        return override or os.path.normpath(os.path.join(self.folder, self.project_root))

    def alembic_config(self, root_override: str | None = None) -> Config:
        """The project's Alembic Config (its database URL is replaced on every run)."""
        from alembic.config import Config  # here: alembic loads only when a suite runs

        root = self.root(root_override)
        if self.config_kind == "ini":
            config = Config(os.path.join(root, self.config_file or "alembic.ini"), ini_section=self.ini_section)
        elif self.config_kind == "pyproject":
            config = Config(toml_file=os.path.join(root, self.config_file or "pyproject.toml"))
        else:
            config = Config()
        if self.builtin_env:
            config.set_main_option("script_location", os.path.join(self.folder, ENV_FOLDER))
            config.set_main_option("path_separator", "os")
            folders = [os.path.join(root, folder) for folder in self.version_folders]
            config.set_main_option("version_locations", os.pathsep.join(folders))
            if self.metadata:
                config.set_main_option("localmig.metadata", self.metadata)
        return config

    def dialect_mismatch(self, running_on: str) -> str | None:
        """Why the suite's expectations do not hold on ``running_on``; None when they do."""
        if running_on == self.measured_on:
            return None
        if self.measured_on == "sqlite":
            run = "without --migration-db-url"
        else:
            run = f"with --migration-db-url set to a {self.measured_on} server"
        generate = REGENERATE + ("" if running_on == "sqlite" else " --db-url URL")
        return (f"these migration tests were generated from a run of the migrations on {self.measured_on}; their "
                f"expectations (types, defaults) do not hold on {running_on}. Run them {run}, or generate them "
                f"again on {running_on}: {generate}")
