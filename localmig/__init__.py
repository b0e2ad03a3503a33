"""localmig: pytest tests for Alembic migrations, written by a deterministic engine and a local model.

The package is a headless core (no textual, no click): the CLI and the TUI sit on top of
:mod:`localmig.pipeline`. See the README for the command line.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
