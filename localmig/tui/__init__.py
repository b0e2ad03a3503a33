"""The Textual review app (``localmig tui``). Only this package and the CLI import textual."""

from __future__ import annotations

from .app import LocalmigApp
from .factory import create_app

__all__ = ["LocalmigApp", "create_app"]
