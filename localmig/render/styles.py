"""Which style a suite is written in, and its shared files: for pytest-localmig (the default, optionally with
the runtime vendored beside it) or for pytest-alembic (``--style pytest-alembic``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..errors import ConfigError
from ..project import RevisionInfo
from .alembic_style import STYLE as ALEMBIC_STYLE
from .alembic_style import alembic_suite_files, refusal
from .headers import CONFTEST, read_header
from .suite import SuiteLayout, suite_files

STYLES = ("localmig", ALEMBIC_STYLE)


def style_on_disk(out: Path) -> str | None:
    """The style of the suite already in ``out`` (its conftest's header), None when there is none."""
    try:
        header, _ = read_header((out / CONFTEST).read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    if header is None:
        return None
    return header.style or "localmig"


def checked_style(style: str | None, layout: SuiteLayout, *, vendor: bool) -> str:
    """``style`` (default: localmig's), refused with the reason when this project cannot have it."""
    if style in (None, "localmig"):
        return "localmig"
    if style != ALEMBIC_STYLE:
        raise ConfigError(f"unknown suite style {style!r}", hint=f"use one of: {', '.join(STYLES)}")
    if vendor:
        raise ConfigError("--vendor and --style pytest-alembic do not go together",
                          hint="a pytest-alembic suite needs no runtime of localmig's: leave out --vendor")
    if importlib.util.find_spec("pytest_alembic") is None:
        raise ConfigError("--style pytest-alembic needs pytest-alembic where localmig runs (it verifies the tests)",
                          hint="pip install pytest-alembic")
    why = refusal(layout)
    if why:
        raise ConfigError(f"--style pytest-alembic: {why}", hint="generate this project's suite in localmig's "
                          "style (leave out --style)")
    return style


def shared_files(layout: SuiteLayout, suite: str, *, style: str, vendor: bool) -> dict[str, str]:
    if style == ALEMBIC_STYLE:
        return alembic_suite_files(layout, suite)
    return suite_files(layout, suite, vendor=vendor)


def linear(revision: RevisionInfo, revisions: list[RevisionInfo]) -> bool:
    """One parent, which has no other child: pytest-alembic's linear walk of the history passes through it."""
    parents = [r for r in revisions if r.id in revision.down_revisions]
    return len(revision.down_revisions) <= 1 and not any(p.is_branch_point for p in parents)
