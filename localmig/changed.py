"""``check --since REF``: which revisions changed since a git ref (for fast pre-merge jobs).

The changed files are ``git diff --name-only REF`` (committed and uncommitted changes against REF)
plus untracked files git does not ignore (a revision file just written). The tail to check is the
first revision, in history order, whose revision file or test file changed, and every revision
after it. A change to a file every revision runs through (env.py, the suite's conftest.py, the
baseline file) means the whole history.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .errors import ConfigError
from .project import RevisionInfo


def changed_files(root: Path, ref: str) -> set[Path]:
    """Absolute paths of the files that differ from ``ref`` in the git work tree holding ``root``."""
    if shutil.which("git") is None:
        raise ConfigError(f"--since {ref}: git is not on PATH", hint="install git, or run check without --since")
    top = _git(root, ref, "rev-parse", "--show-toplevel",
               error=f"{root} is not in a git repository").strip()
    _git(root, ref, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}",
         error="git knows no such commit here",
         hint="fetch it first (in CI, check out with enough history: fetch-depth: 0)")
    names = _git(root, ref, "diff", "--name-only", "-z", "--no-renames", ref, "--", error="git diff failed").split("\0")
    names += _git(root, ref, "ls-files", "--others", "--exclude-standard", "-z", "--full-name", ":/",
                  error="git ls-files failed").split("\0")
    return {(Path(top) / name).resolve() for name in names if name}


def changed_tail(revisions: list[RevisionInfo], changed: set[Path], *, root: Path, test_files: dict[str, Path],
                 whole_history_files: list[Path]) -> list[RevisionInfo]:
    """The first revision (history order) whose revision file or test file (``test_files``:
    revision id -> path) is in ``changed``, and every revision after it; every revision when one
    of ``whole_history_files`` changed; none when nothing did."""
    if any(path.resolve() in changed for path in whole_history_files):
        return list(revisions)
    for index, revision in enumerate(revisions):
        files = [(root / revision.path).resolve()] + ([test_files[revision.id].resolve()]
                                                      if revision.id in test_files else [])
        if any(path in changed for path in files):
            return revisions[index:]
    return []


def _git(root: Path, ref: str, *args: str, error: str, hint: str | None = None) -> str:
    completed = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    if completed.returncode != 0:
        said = completed.stderr.strip().splitlines()
        raise ConfigError(f"--since {ref}: {error}" + (f" ({said[-1]})" if said else ""), hint=hint)
    return completed.stdout
