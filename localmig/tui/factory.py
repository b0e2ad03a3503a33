"""The one way to build the app, shared by ``localmig tui`` and the tests."""

from __future__ import annotations

import os
from pathlib import Path

from ..config import load_settings
from ..errors import LocalmigError
from ..options import SessionOptions
from ..pipeline import Session
from ..project import locate
from .app import LocalmigApp
from .owner import SessionFactory


def create_app(options: SessionOptions, *, config: Path | None = None, model: str | None = None,
               prompts: Path | None = None, no_model: bool = False, theme: str | None = None,
               session_factory: SessionFactory | None = None) -> LocalmigApp:
    """The app for a project, as ``localmig tui`` runs it (tests pass a ``session_factory`` to swap in fakes)."""
    try:
        root = locate(options.path, builtin_env=options.builtin_env, metadata=options.metadata).root
    except Exception:  # the session reports an unusable project, in the app
        root = None
    settings, error = None, None
    try:
        settings = load_settings(config, root)
    except LocalmigError as problem:
        error = problem
    chosen = None if no_model or settings is None else (model or os.environ.get("LOCALMIG_MODEL") or settings.default)
    factory = session_factory or (lambda events, cancel: Session.open(options, events, cancel))
    name = (root or Path(options.path).resolve()).name
    return LocalmigApp(factory, settings, model=chosen, prompts=prompts, project=name, startup_error=error, theme=theme)
