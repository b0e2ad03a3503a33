"""Scratch copies of the user's project: mutants are written there, never into the project.

A run copies the project folder once (a *pristine* copy, without version control, virtual
environments, caches, database files or localmig's own folder); each mutant then gets a copy of
the pristine one made of hard links (cheap, whatever the project's size), in which only the
mutated revision file is replaced by a new file — the link to the pristine file is removed
first, so nothing ever writes through a link.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from ..errors import ConfigError
from ..project import ProjectSettings

# never copied: version control, environments, caches, localmig's own data, database files
SKIPPED = shutil.ignore_patterns(
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".localmig", "*.db", "*.sqlite", "*.sqlite3", "*.db-journal",
)


def copy_project(root: Path, target: Path) -> Path:
    """The pristine copy of the project at ``root`` (a folder ``target`` that must not exist)."""
    shutil.copytree(root, target, ignore=SKIPPED, symlinks=True)
    return target


def _link(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:  # another file system, or links not allowed: a real copy
        shutil.copy2(source, destination)


def mutant_copy(pristine: Path, target: Path, relative_file: str, text: str) -> Path:
    """A copy of ``pristine`` (hard links) in which ``relative_file`` holds ``text``."""
    shutil.copytree(pristine, target, copy_function=_link, symlinks=True)
    path = target / relative_file
    path.unlink()
    path.write_text(text, encoding="utf-8")
    return target


def settings_for_copy(settings: ProjectSettings, copy: Path) -> ProjectSettings:
    """The project's settings with every path moved from the project root into ``copy``."""
    root = settings.root.resolve()

    def moved(path: Path) -> Path:
        resolved = Path(path).resolve()
        try:
            return copy / resolved.relative_to(root)
        except ValueError:
            raise ConfigError(
                f"{resolved} is outside the project folder {root}; localmig mutate copies only that folder",
                hint="keep alembic.ini and the version folders inside the project folder",
            ) from None

    return settings.model_copy(update={
        "root": copy,
        "config_file": moved(settings.config_file) if settings.config_file else None,
        "version_folders": [moved(p) for p in settings.version_folders],
    })


def checksums(root: Path, skip: Iterable[str] = (".localmig", "__pycache__")) -> dict[str, str]:
    """sha256 of every file under ``root`` (relative path -> digest), folders named in ``skip`` left out."""
    skipped = set(skip)
    digests: dict[str, str] = {}
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if f not in skipped)
        for name in sorted(files):
            path = Path(folder) / name
            digests[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests
