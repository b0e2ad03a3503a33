"""Scoped quiet: the project's env.py configures logging (``fileConfig``) on every run and
Alembic logs a line per step; localmig silences that while the history runs and puts the
process's logging back as it was afterwards (handlers, levels, disabled loggers)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_migrations() -> Iterator[None]:
    """Run the block with logging below WARNING off; restore the logging configuration after."""
    manager = logging.root.manager
    root = logging.root
    saved_root = (root.level, list(root.handlers))
    loggers = {name: logger for name, logger in manager.loggerDict.items() if isinstance(logger, logging.Logger)}
    saved = {name: (lg.level, lg.disabled, lg.propagate, list(lg.handlers)) for name, lg in loggers.items()}
    disabled = manager.disable
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(disabled)
        root.setLevel(saved_root[0])
        root.handlers[:] = saved_root[1]
        for name, (level, was_disabled, propagate, handlers) in saved.items():
            logger = loggers[name]
            logger.setLevel(level)
            logger.disabled, logger.propagate = was_disabled, propagate
            logger.handlers[:] = handlers
