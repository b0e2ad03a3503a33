"""Which tests judge a mutant, and what a run's result depends on.

A mutant runs the test module of its own revision and, for a change to ``upgrade()``, the modules
of later revisions that depend on it: descendants in the revision graph whose tests name a table
the mutated statement can change (the tables the revision touches, and any table the statement
names). The user's own tests (``--tests``) run whole for every mutant: localmig cannot tell which
of them concern which revision.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
from pathlib import Path

from pydantic import BaseModel, Field

from ..errors import ConfigError
from ..outcomes import ExpectedModule, PlannedTest
from ..project import AlembicProject, RevisionInfo
from ..render import read_header
from .operators import Mutant
from .report import RevisionState


class GeneratedSuite(BaseModel):
    """The generated suite as it is on disk."""

    folder: str = Field(description="Relative to the project root (absolute when outside it).")
    shared: dict[str, str] = Field(description="conftest.py and the built-in env, relative path -> text.")
    modules: dict[str, str] = Field(description="Revision -> its module's file name.")
    texts: dict[str, str] = Field(description="Module file name -> text.")
    expected: dict[str, ExpectedModule]

    def test_id(self, module: str, name: str) -> str:
        return f"{self.folder}/{module}::{name}"

    def ids(self, modules: list[str]) -> list[str]:
        return [self.test_id(m, name) for m in modules for name in self.expected[m].tests]


def _names(text: str) -> list[str] | None:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test_")]


def generated_suite(project: AlembicProject, out: Path, shared_names: list[str], targets: dict[str, Path]) -> GeneratedSuite | None:
    """The suite in ``out`` (None when it has no module): ``targets`` maps revisions to their module paths."""
    modules, texts, expected = {}, {}, {}
    for revision, path in targets.items():
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        names = _names(text)
        if not names:
            continue
        header, _ = read_header(text)
        aspects = header.aspects if header is not None else {}
        modules[revision], texts[path.name] = path.name, text
        expected[path.name] = ExpectedModule(revision=revision, tests={
            n: PlannedTest(aspect=aspects.get(n)) for n in names})
    if not modules:
        return None
    shared = {name: (out / name).read_text(encoding="utf-8") for name in shared_names if (out / name).is_file()}
    try:
        folder = out.resolve().relative_to(project.root.resolve()).as_posix()
    except ValueError:
        folder = str(out.resolve())
    return GeneratedSuite(folder=folder, shared=shared, modules=modules, texts=texts, expected=expected)


def given_paths(project: AlembicProject, paths: list[Path]) -> list[str]:
    """``--tests`` paths relative to the project root (they run in its copy); each must be inside it."""
    root = project.root.resolve()
    relative = []
    for path in paths:
        resolved = Path(path).expanduser().resolve()
        if not resolved.exists():
            raise ConfigError(f"--tests {path}: no such file or folder")
        try:
            relative.append(resolved.relative_to(root).as_posix())
        except ValueError:
            raise ConfigError(f"--tests {path} is outside the project folder {root}",
                              hint="localmig mutate runs your tests in a copy of the project folder; keep them in it") from None
    return relative


def descendants(revisions: list[RevisionInfo], revision: str) -> list[str]:
    """Every revision that needs ``revision`` (through down revisions or depends_on), in history order."""
    children: dict[str, set[str]] = {}
    for info in revisions:
        for parent in (*info.down_revisions, *info.depends_on):
            children.setdefault(parent, set()).add(info.id)
    found, pending = set(), [revision]
    while pending:
        for child in children.get(pending.pop(), ()):
            if child not in found:
                found.add(child)
                pending.append(child)
    return [r.id for r in revisions if r.id in found]


def names_table(text: str, table: str) -> bool:
    """Whether ``text`` names ``table`` (as a quoted name, or a word of SQL)."""
    name = table.rpartition(".")[2]
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text) is not None


def modules_for(mutant: Mutant, suite: GeneratedSuite, revisions: list[RevisionInfo], touched: list[str],
                tables: set[str]) -> list[str]:
    """The module files that judge ``mutant`` (see the module docstring); ``tables`` are every table
    before and after its revision, ``touched`` the ones its upgrade changes."""
    own = suite.modules.get(mutant.revision)
    chosen = [own] if own else []
    if mutant.function != "upgrade":
        return chosen
    affected = set(touched) | {t for t in tables if names_table(mutant.context, t)}
    for later in descendants(revisions, mutant.revision):
        module = suite.modules.get(later)
        if module and any(names_table(suite.texts[module], t) for t in affected):
            chosen.append(module)
    return chosen


def referenced_revisions(text: str, known: set[str]) -> set[str]:
    """Revision ids written as string literals in a test module (its own REVISION and any other)."""
    return {m.group(2) for m in re.finditer(r"(['\"])([\w.\-]+)\1", text) if m.group(2) in known}


def revision_states(project: AlembicProject, targets: dict[str, Path]) -> dict[str, RevisionState]:
    """What each revision's result depends on now: its source and its generated module."""
    states = {}
    for revision in project.revisions:
        path = targets.get(revision.id)
        tests = hashlib.sha256(path.read_bytes()).hexdigest() if path is not None and path.is_file() else None
        states[revision.id] = RevisionState(source_sha256=revision.source_sha256, tests_sha256=tests)
    return states


def file_digests(root: Path, relative: list[str]) -> dict[str, str]:
    """sha256 of every file under the given paths (files, or folders walked), relative path -> digest."""
    digests = {}
    for entry in relative:
        path = root / entry
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for file in files:
            digests[os.path.relpath(file, root)] = hashlib.sha256(file.read_bytes()).hexdigest()
    return digests
