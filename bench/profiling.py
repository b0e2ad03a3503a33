"""``bench/capture.py --profile``: cProfile of ``localmig scan``, ``localmig generate`` and ``pytest -n 0``.

Each runs as ``python -m cProfile -o FILE -m ...`` on the largest project of the run; printed:
the top functions by cumulative time among localmig, pytest_localmig, alembic, sqlalchemy and
_pytest frames, and the top by self time over all frames (where a super-linear cost shows up as
a call count growing faster than the history).
"""

from __future__ import annotations

import io
import pstats
import shutil
import sys
from pathlib import Path

from benchrun import run

FRAMES = r"[/\\](localmig|pytest_localmig|alembic|sqlalchemy|_pytest)[/\\]"


def _print(path: Path, title: str, top: int = 25) -> None:
    for sort, filter_ in (("cumulative", FRAMES), ("tottime", "")):
        stream = io.StringIO()
        stats = pstats.Stats(str(path), stream=stream).sort_stats(sort)
        stats.print_stats(filter_, top) if filter_ else stats.print_stats(top)
        text = stream.getvalue()
        print(f"\n{title}: top {top} by {sort}{' (localmig, runtime, alembic, sqlalchemy, pytest frames)' if filter_ else ''}")
        print(text[text.find("   ncalls"):].rstrip() if "   ncalls" in text else text)


def profile(project: Path, suite: Path, database, work: Path, say) -> None:
    profiled = work / "profile_suite"
    commands = {
        "localmig scan": ["-m", "localmig", "scan", str(project), "--json", *database.localmig_args()],
        "localmig generate": ["-m", "localmig", "generate", str(project), "--out", str(profiled), "-q",
                              *database.localmig_args()],
        "pytest -n 0": ["-m", "pytest", str(suite), "-q", "-p", "no:cacheprovider", "-n", "0", *database.pytest_args()],
    }
    for name, command in commands.items():
        say(f"profile: {name}")
        output = work / f"{name.replace(' ', '_')}.prof"
        sample, _ = run([sys.executable, "-m", "cProfile", "-o", str(output), *command], project, ok=(0, 1))
        print(f"\n=== {name} under cProfile: {sample.wall:.1f}s wall, {sample.cpu:.1f}s CPU (profiling slows it ~2x)")
        _print(output, name)
    shutil.rmtree(profiled, ignore_errors=True)
