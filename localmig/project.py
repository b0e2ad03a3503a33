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
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from pydantic import BaseModel, Field
from pytest_localmig import topological_order

from .errors import ProjectError, UnknownRevision

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
    one_way: str | None = Field(
        None, description="Why the revision file declares itself one-way (irreversible): the message of the "
        "NotImplementedError its downgrade() raises, or its module attribute `irreversible`.",
    )

    @property
    def slug(self) -> str:
        """The message as a file-name fragment of at most 40 characters, cut between words."""
        words = re.sub(r"[^a-z0-9]+", "_", self.message.lower()).strip("_")
        if len(words) > 40:
            cut = words[:41].rsplit("_", 1)[0]
            words = cut if len(cut) >= 20 else words[:40]
        return words.rstrip("_") or "revision"


class ProjectSettings(BaseModel):
    """How the project is loaded: where from, and with which env.py."""

    kind: Literal["ini", "pyproject", "versions"]
    root: Path = Field(description="The folder the project's paths are relative to.")
    config_file: Path | None = Field(None, description="alembic.ini or pyproject.toml, if any.")
    ini_section: str = "alembic"
    version_folders: list[Path] = Field(default_factory=list)
    builtin_env: bool = Field(False, description="Run on localmig's env.py, not the project's.")
    metadata: str | None = Field(None, description="module:attribute of a MetaData for the built-in env.")
    initial_schema: list[str] = Field(default_factory=list, description="MODULE:ATTR the history starts from.")


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
        self._script: ScriptDirectory | None = script

    def take_script(self) -> ScriptDirectory | None:
        """The ScriptDirectory the project was read with, once (its modules have run no step yet;
        after a capture they have, so a second caller gets None and loads its own)."""
        script, self._script = self._script, None
        return script

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
        known = ", ".join(r.id for r in (matches or self.revisions)[:8])
        problem = "is ambiguous" if matches else "is not a revision of this project"
        more = ", ..." if len(matches or self.revisions) > 8 else ""
        raise UnknownRevision(f"{spec!r} {problem} ({'matches' if matches else 'revisions'}: {known}{more})",
                              hint="give a revision id, a unique prefix of one, or a branch label (see `localmig scan`)")

    def _load_script(self) -> ScriptDirectory:
        try:
            if not self.settings.version_folders:
                own = ScriptDirectory.from_config(self._own_config())
                folders = [Path(p) for p in own.version_locations or ()] or [Path(own.dir) / "versions"]
                self.settings.version_folders = folders
            self._refuse_unreadable()
            script = ScriptDirectory.from_config(self.config())
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    list(script.walk_revisions())  # loads every revision file and the graph
                except KeyError:
                    pass
                except Exception:  # a duplicate id makes Alembic fail in odd ways: name it first
                    self._refuse_duplicates(str(w.message) for w in caught)
                    raise
            self._refuse_duplicates(str(w.message) for w in caught)
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
        except SystemExit as error:  # sys.exit() at import would end localmig silently
            file, line = self._frame_in_project(error)
            raise ProjectError(
                f"the revision file called sys.exit({error.code!r}) while being loaded",
                file=file,
                line=line,
                hint="a revision file must not exit at import; move that code into upgrade() or remove it",
            ) from None
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

    def _refuse_unreadable(self) -> None:
        """A revision file that cannot be opened (permissions, a dangling symlink) is named as such."""
        for folder in self.settings.version_folders:
            for path in sorted(Path(folder).glob("*.py")):
                try:
                    with open(path, "rb"):
                        pass
                except OSError as error:
                    raise ProjectError(f"cannot read the revision file: {error.strerror}", file=self._relative(path),
                                       hint="fix its permissions, or remove it if it is not a revision") from None

    def _refuse_duplicates(self, warnings: Iterator[str]) -> None:
        """A revision id declared by two files: Alembic keeps one and warns; localmig refuses."""
        for text in warnings:
            duplicate = re.search(r"Revision (\S+) is present more than once", text)
            if duplicate:
                files = revision_files(self.settings.version_folders, duplicate.group(1))
                shown = " and ".join(self._relative(f) or str(f) for f in files) or "two files"
                raise ProjectError(
                    f"revision id {duplicate.group(1)!r} is declared by {shown}; Alembic would use only one of them",
                    hint="give one of them a new revision id (and fix the down_revision that should point to it)",
                )

    def _relative(self, path: str | os.PathLike[str] | None) -> str | None:
        if path is None:
            return None
        try:
            return os.path.relpath(path, self.root)
        except ValueError:
            return str(path)

    def _frame_in_project(self, error: BaseException) -> tuple[str | None, int | None]:
        """The innermost frame in a revision file (the version folders may be outside the project
        root, in site-packages), else in the project; pseudo-files like ``<frozen ...>`` never."""
        frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith("<")]
        for roots in ([str(p) for p in self.settings.version_folders], [str(self.root)]):
            real = [os.path.realpath(r) for r in roots]
            for frame in reversed(frames):
                path = os.path.realpath(frame.filename)
                if any(path.startswith(r + os.sep) for r in real):
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


def locate(path: str | os.PathLike[str], *, builtin_env: bool = False, metadata: str | None = None,
           initial_schema: list[str] | None = None) -> ProjectSettings:
    """Settings for the project at ``path`` (see the module docstring), or a ProjectError."""
    given = Path(path).expanduser()
    if not given.exists():
        raise ProjectError(f"{given}: no such file or folder")
    given = given.resolve()
    settings: dict[str, Any] = dict(builtin_env=builtin_env, metadata=metadata, initial_schema=initial_schema or [])
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


def load(path: str | os.PathLike[str], *, builtin_env: bool = False, metadata: str | None = None,
         initial_schema: list[str] | None = None) -> AlembicProject:
    """Locate and load the project at ``path``."""
    return AlembicProject(locate(path, builtin_env=builtin_env, metadata=metadata, initial_schema=initial_schema))


def revision_files(folders: list[Path], revision: str) -> list[Path]:
    """The files in ``folders`` whose module-level ``revision = ...`` is ``revision``."""
    found = []
    for folder in folders:
        for path in sorted(Path(folder).glob("*.py")):
            try:
                tree = ast.parse(path.read_bytes())
            except (OSError, SyntaxError, ValueError):
                continue
            for node in tree.body:
                target = node.target if isinstance(node, ast.AnnAssign) else (
                    node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
                value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
                if (isinstance(target, ast.Name) and target.id == "revision" and isinstance(value, ast.Constant)
                        and value.value == revision):
                    found.append(path)
    return found


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
        message=_message(script.doc),
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
        one_way=one_way_declaration(tree),
    )


def _message(doc: str | None) -> str:
    """The revision's message: Alembic's ``doc``, unless the docstring had none and ``doc`` is
    the template's ``Revision ID: ... Revises: ...`` block."""
    text = " ".join((doc or "").split())
    return "" if text.startswith("Revision ID:") else text


def downgrade_kind(tree: ast.Module) -> DowngradeKind:
    """What the revision's ``downgrade()`` is, read from its source."""
    return function_kind(tree, "downgrade")


def function_kind(tree: ast.Module, name: str) -> DowngradeKind:
    """Whether the module-level function ``name`` is missing, empty, or deliberately not there:
    it raises NotImplementedError, or its only statement raises (``raise Exception("no downgrade")``)."""
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
    if len(body) == 1 and isinstance(body[0], ast.Raise):
        return "not_implemented"
    for node in body:
        if isinstance(node, ast.Raise) and node.exc is not None:
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(raised, ast.Name) and raised.id == "NotImplementedError":
                return "not_implemented"
    return "implemented"


def one_way_declaration(tree: ast.Module) -> str | None:
    """How the revision file declares itself one-way, if it does: a module attribute
    ``irreversible = True`` (or a string: the reason), or ``raise NotImplementedError("why")``
    with a message in ``downgrade()`` (a bare ``raise NotImplementedError`` is no declaration)."""
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        value = getattr(node, "value", None)
        if any(isinstance(t, ast.Name) and t.id == "irreversible" for t in targets) and isinstance(value, ast.Constant):
            if value.value is True:
                return "irreversible = True"
            if isinstance(value.value, str) and value.value.strip():
                return value.value.strip()
    downgrade = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "downgrade"), None)
    for node in downgrade.body if downgrade is not None else ():  # a raise at the top, not one under an if
        if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name)
                and node.exc.func.id == "NotImplementedError" and node.exc.args
                and isinstance(message := node.exc.args[0], ast.Constant) and isinstance(message.value, str)
                and message.value.strip()):
            return f"downgrade() raises NotImplementedError({message.value.strip()!r})"
    return None


ORM_WRITES = {"bulk_update_mappings", "bulk_insert_mappings", "bulk_save_objects", "add", "add_all", "merge",
              "delete", "update", "commit", "flush"}


def data_operations(tree: ast.Module) -> list[str]:
    """Calls in the upgrade (and the module's functions it calls) that may change rows:
    ``op.execute``, ``op.bulk_insert``, ``connection.execute``, ORM session work."""
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    todo = ["upgrade"] if "upgrade" in functions else []
    reached: set[str] = set()
    while todo:
        name = todo.pop()
        if name in reached or name == "downgrade":
            continue
        reached.add(name)
        todo += [c.func.id for c in ast.walk(functions[name]) if isinstance(c, ast.Call)
                 and isinstance(c.func, ast.Name) and c.func.id in functions]
    found = set()
    sessions = False
    for node in (n for name in reached for n in ast.walk(functions[name])):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("Session", "sessionmaker"):
            sessions = True
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = node.func.attr
        if isinstance(owner, ast.Name) and owner.id == "op" and name in ("execute", "bulk_insert"):
            found.add(f"op.{name}")
        elif name in ("execute", "exec_driver_sql") and not (isinstance(owner, ast.Name) and owner.id == "op"):
            found.add("connection.execute")
        elif name in ORM_WRITES and not (isinstance(owner, ast.Name) and owner.id == "op") and (
                sessions or name.startswith("bulk_") or _is_query(owner)):
            found.add("orm.session")
    return sorted(found)


def _is_query(node: ast.AST) -> bool:
    """``session.query(...)....`` somewhere down the chain of ``node``."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "query"
               for n in ast.walk(node))
