"""Find an Alembic project and its revisions, through Alembic's own Config and ScriptDirectory.

A project is given as an ``alembic.ini``, a folder holding one (or a ``pyproject.toml`` with a
``[tool.alembic]`` table), or a bare folder of revision files, which then runs on localmig's own
env.py. Broken histories are reported as :class:`ProjectError` with the file and line to fix.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import sys
import traceback
import warnings
from pathlib import Path
from typing import Literal

from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from pydantic import BaseModel, Field

from .errors import ProjectError
from .harness import topological_order

BUILTIN_ENV = Path(__file__).parent / "builtin_env"

DowngradeKind = Literal["implemented", "empty", "not_implemented", "missing"]


class RevisionInfo(BaseModel):
    """One revision as localmig knows it: identity, place in the graph, and a static read."""

    id: str
    down_revisions: list[str] = Field(description="Direct parents (two or more for a merge).")
    depends_on: list[str] = Field(default_factory=list)
    branch_labels: list[str] = Field(default_factory=list)
    message: str = ""
    created: str | None = Field(None, description="The 'Create Date' line of the docstring.")
    path: str = Field(description="The revision file, relative to the project root.")
    source_sha256: str
    is_head: bool = False
    is_base: bool = False
    is_merge: bool = False
    is_branch_point: bool = False
    downgrade: DowngradeKind = "implemented"
    upgrade_empty: bool = Field(False, description="upgrade() does nothing (typical of merge revisions).")
    data_operations: list[str] = Field(
        default_factory=list, description="Calls that can change rows: op.execute, op.bulk_insert, ..."
    )

    @property
    def slug(self) -> str:
        words = re.sub(r"[^a-z0-9]+", "_", self.message.lower()).strip("_")
        return words[:40].rstrip("_") or "revision"


class ProjectSettings(BaseModel):
    """How the project is loaded: where from, and with which env.py."""

    kind: Literal["ini", "pyproject", "versions"]
    root: Path = Field(description="The folder the project's paths are relative to.")
    config_file: Path | None = Field(None, description="alembic.ini or pyproject.toml, if any.")
    ini_section: str = "alembic"
    version_folders: list[Path] = Field(default_factory=list)
    builtin_env: bool = Field(False, description="Run on localmig's env.py, not the project's.")
    metadata: str | None = Field(None, description="module:attribute of a MetaData for the built-in env.")


class AlembicProject:
    """A located Alembic project: its settings, a way to make fresh Configs, and its revisions."""

    def __init__(self, settings: ProjectSettings) -> None:
        self.settings = settings
        self.root = settings.root
        script = self._load_script()
        self.revisions = _revisions_in_order(script, self.root)
        if not self.revisions:
            folders = ", ".join(str(p) for p in settings.version_folders)
            raise ProjectError(f"the history is empty: no revision files in {folders}", hint="create one with `alembic revision`")
        self.heads = [r.id for r in self.revisions if r.is_head]
        self.by_id = {r.id: r for r in self.revisions}
        # A branch label names the revision that declares it (as in alembic), not every
        # revision of the branch (RevisionInfo.branch_labels lists the inherited ones too).
        labels = {label for r in self.revisions for label in r.branch_labels}
        self.labels = {label: script.get_revision(label).revision for label in labels}

    def config(self) -> Config:
        """A fresh Alembic Config for this project (never used with the project's URL)."""
        return alembic_config(self.settings)

    def _own_config(self) -> Config:
        return _own_config(self.settings)

    def revision(self, spec: str) -> RevisionInfo:
        """A revision by id, unique id prefix, or branch label."""
        if spec in self.by_id:
            return self.by_id[spec]
        matches = [r for r in self.revisions if r.id.startswith(spec)]
        if not matches and spec in self.labels:
            matches = [self.by_id[self.labels[spec]]]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(r.id for r in self.revisions[:8])
        problem = "is ambiguous" if matches else "is not a revision of this project"
        raise ProjectError(f"{spec!r} {problem} (revisions: {known}{', ...' if len(self.revisions) > 8 else ''})")

    def _load_script(self) -> ScriptDirectory:
        try:
            if not self.settings.version_folders:
                own = ScriptDirectory.from_config(self._own_config())
                folders = [Path(p) for p in own.version_locations] or [Path(own.dir) / "versions"]
                self.settings.version_folders = folders
            script = ScriptDirectory.from_config(self.config())
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    list(script.walk_revisions())  # loads every revision file and the graph
                except KeyError:
                    pass
            for warning in caught:
                missing = re.search(r"Revision (\S+) referenced from .*?-> (\S+)", str(warning.message))
                if missing:
                    file, line = self._declaration([missing.group(2)])
                    raise ProjectError(
                        f"down_revision {missing.group(1)!r} of revision {missing.group(2)} does not exist",
                        file=file,
                        line=line,
                        hint="fix down_revision, or restore the missing revision file",
                    )
            list(script.walk_revisions())
            return script
        except ProjectError:
            raise
        except SyntaxError as error:
            raise ProjectError(
                f"syntax error: {error.msg}", file=self._relative(error.filename), line=error.lineno
            ) from None
        except CommandError as error:
            file, line = self._declaration(re.findall(r"[0-9A-Za-z_]{4,}", str(error)))
            raise ProjectError(f"Alembic cannot read the history: {error}", file=file, line=line) from None
        except Exception as error:  # import errors and any other failure inside a revision file
            file, line = self._frame_in_project(error)
            what = f"cannot import {error.name!r}" if isinstance(error, ImportError) and error.name else f"{type(error).__name__}: {error}"
            raise ProjectError(
                f"{what} while loading the revision",
                file=file,
                line=line,
                hint="localmig runs revisions in your environment: install and activate what your app needs",
            ) from None

    def _relative(self, path: str | os.PathLike[str] | None) -> str | None:
        if path is None:
            return None
        try:
            return os.path.relpath(path, self.root)
        except ValueError:
            return str(path)

    def _frame_in_project(self, error: BaseException) -> tuple[str | None, int | None]:
        root = os.path.realpath(self.root)
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            if os.path.realpath(frame.filename).startswith(root + os.sep):
                return self._relative(frame.filename), frame.lineno
        return None, None

    def _declaration(self, ids: list[str]) -> tuple[str | None, int | None]:
        """File and ``down_revision`` line of the first revision file declaring one of ``ids``."""
        for folder in self.settings.version_folders:
            for path in sorted(Path(folder).glob("*.py")):
                lines = path.read_text(errors="replace").splitlines()
                declares = any(
                    re.match(rf"revision\b.*['\"]{re.escape(r)}['\"]", line) for line in lines for r in ids
                )
                if declares:
                    line = next((n for n, text in enumerate(lines, 1) if text.startswith("down_revision")), None)
                    return self._relative(path), line
        return None, None


def alembic_config(settings: ProjectSettings) -> Config:
    """A fresh Alembic Config for a project with these settings (never used with the project's URL)."""
    config = _own_config(settings)
    if settings.kind == "versions" or settings.builtin_env:
        config.set_main_option("script_location", str(BUILTIN_ENV))
        config.set_main_option("path_separator", "os")
        config.set_main_option("version_locations", os.pathsep.join(str(p) for p in settings.version_folders))
        if settings.metadata:
            config.set_main_option("localmig.metadata", settings.metadata)
    return config


def _own_config(settings: ProjectSettings) -> Config:
    if settings.kind == "ini":
        return Config(str(settings.config_file), ini_section=settings.ini_section)
    if settings.kind == "pyproject":
        return Config(toml_file=str(settings.config_file))
    return Config()


def locate(path: str | os.PathLike[str], *, builtin_env: bool = False, metadata: str | None = None) -> ProjectSettings:
    """Settings for the project at ``path`` (see the module docstring), or a ProjectError."""
    given = Path(path).expanduser()
    if not given.exists():
        raise ProjectError(f"{given}: no such file or folder")
    given = given.resolve()
    settings = dict(builtin_env=builtin_env, metadata=metadata)
    if given.is_file():
        if given.suffix == ".ini":
            return _ini_settings(given, settings)
        if given.name == "pyproject.toml" and _has_tool_alembic(given):
            return ProjectSettings(kind="pyproject", root=given.parent, config_file=given, **settings)
        raise ProjectError(f"{given}: not an Alembic project (give an alembic.ini, a project folder or a versions folder)")
    if (given / "alembic.ini").is_file():
        return _ini_settings(given / "alembic.ini", settings)
    if (given / "pyproject.toml").is_file() and _has_tool_alembic(given / "pyproject.toml"):
        return ProjectSettings(kind="pyproject", root=given, config_file=given / "pyproject.toml", **settings)
    if any(_looks_like_revision(p) for p in given.glob("*.py")):
        settings["builtin_env"] = True
        return ProjectSettings(kind="versions", root=given.parent, version_folders=[given], **settings)
    raise ProjectError(
        f"{given}: not an Alembic project: no alembic.ini, no [tool.alembic] in pyproject.toml, "
        "and no revision files",
        hint="point localmig at alembic.ini, the folder holding it, or the versions folder",
    )


def load(path: str | os.PathLike[str], *, builtin_env: bool = False, metadata: str | None = None) -> AlembicProject:
    """Locate and load the project at ``path``."""
    return AlembicProject(locate(path, builtin_env=builtin_env, metadata=metadata))


def _ini_settings(ini: Path, settings: dict) -> ProjectSettings:
    config = Config(str(ini))
    try:
        script_location = config.get_main_option("script_location")
    except Exception as error:  # configparser errors: bad syntax, bad interpolation
        raise ProjectError(f"cannot read it: {error}", file=str(ini)) from None
    if not script_location:
        raise ProjectError("no [alembic] section with a script_location", file=str(ini))
    return ProjectSettings(kind="ini", root=ini.parent, config_file=ini, **settings)


def _has_tool_alembic(pyproject: Path) -> bool:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(pyproject.read_text())
    except (OSError, ValueError) as error:
        raise ProjectError(f"cannot read it: {error}", file=str(pyproject)) from None
    return "alembic" in data.get("tool", {})


def _looks_like_revision(path: Path) -> bool:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return False
    return bool(re.search(r"^(revision|down_revision)\s*[:=]", text, re.M))


def _revisions_in_order(script: ScriptDirectory, root: Path) -> list[RevisionInfo]:
    return [_revision_info(script.get_revision(r), root) for r in topological_order(script)]


def _tuple(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)  # type: ignore[call-overload]


def _revision_info(script: Script, root: Path) -> RevisionInfo:
    source = Path(script.path).read_bytes()
    created = re.search(r"^Create Date:\s*(.+)$", script.longdoc or "", re.M)
    tree = ast.parse(source)
    return RevisionInfo(
        id=script.revision,
        down_revisions=_tuple(script.down_revision),
        depends_on=_tuple(script.dependencies),
        branch_labels=sorted(script.branch_labels or ()),
        message=(script.doc or "").strip(),
        created=created.group(1).strip() if created else None,
        path=os.path.relpath(script.path, root),
        source_sha256=hashlib.sha256(source).hexdigest(),
        is_head=script.is_head,
        is_base=script.is_base,
        is_merge=script.is_merge_point,
        is_branch_point=script.is_branch_point,
        downgrade=downgrade_kind(tree),
        upgrade_empty=function_kind(tree, "upgrade") == "empty",
        data_operations=data_operations(tree),
    )


def downgrade_kind(tree: ast.Module) -> DowngradeKind:
    """What the revision's ``downgrade()`` is, read from its source."""
    return function_kind(tree, "downgrade")


def function_kind(tree: ast.Module, name: str) -> DowngradeKind:
    """Whether the module-level function ``name`` is missing, empty, raises NotImplementedError."""
    function = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)
    if function is None:
        return "missing"
    body = [
        n
        for n in function.body
        if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))  # docstring, ...
        and not isinstance(n, ast.Pass)
    ]
    if not body:
        return "empty"
    for node in body:
        if isinstance(node, ast.Raise) and node.exc is not None:
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(raised, ast.Name) and raised.id == "NotImplementedError":
                return "not_implemented"
    return "implemented"


def data_operations(tree: ast.Module) -> list[str]:
    """Calls in the upgrade that may change rows (op.execute, op.bulk_insert, connection.execute)."""
    upgrade = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), tree)
    found = set()
    for node in ast.walk(upgrade):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = node.func.attr
        if isinstance(owner, ast.Name) and owner.id == "op" and name in ("execute", "bulk_insert"):
            found.add(f"op.{name}")
        elif name in ("execute", "exec_driver_sql") and not (isinstance(owner, ast.Name) and owner.id == "op"):
            found.add("connection.execute")
    return sorted(found)
