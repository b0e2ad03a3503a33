"""Keep a project's exits and env.py failures inside the capture.

The history runs the user's code in localmig's own process, so two things must not escape:

* ``sys.exit()`` in a migration's ``upgrade()`` / ``downgrade()``: it becomes
  :class:`MigrationExited`, an ordinary failure of that step, so the revision gets an
  ``upgrade_failed`` (or ``downgrade_failed``) finding and localmig goes on;
* an env.py that raises, exits or returns before running any migration: that is no failure of
  the first revision, and :meth:`EnvironmentWatch.failure` says what env.py did instead.

``os._exit()`` cannot be caught in-process: it ends localmig at once (no report, scratch files
left). Only a capture running in a subprocess could contain it.
"""

from __future__ import annotations

import functools
import os
import traceback
from collections.abc import Callable
from typing import Any

from pytest_localmig import EnvironmentIgnoresURL, MigrationRunner
from pytest_localmig.errors import as_scratch_full

from ..errors import CaptureError, ProjectError


class MigrationExited(Exception):
    """A migration called ``sys.exit()``: a failure of that migration, not localmig's exit."""


class EnvironmentWatch:
    """Wraps a runner's revision functions and env.py run (see the module docstring)."""

    def __init__(self, runner: MigrationRunner, root: str | os.PathLike[str]) -> None:
        self.runner = runner
        self.root = os.path.realpath(root)
        self.env_file = os.path.realpath(os.path.join(runner.script.dir, "env.py"))
        self.steps_started = 0
        self._failure: CaptureError | ProjectError | None = None
        for script in runner.script.walk_revisions():
            self._wrap(script.module)
        runner.module_hooks.append(self._wrap)  # a module loaded again for another run
        setattr(runner.script, "run_env", self._watched(runner.script.run_env))  # noqa: B010 (shadows the method)

    def _wrap(self, module: Any) -> None:
        for name in ("upgrade", "downgrade"):
            function = getattr(module, name, None)
            if callable(function):
                setattr(module, name, self._guarded(function))

    def failure(self) -> CaptureError | ProjectError | None:
        """What env.py did instead of running migrations, if it did (the first time only)."""
        return self._failure

    def _guarded(self, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def step(*args: Any, **kwargs: Any) -> Any:
            self.steps_started += 1
            try:
                return function(*args, **kwargs)
            except SystemExit as exited:
                error = MigrationExited(f"the migration called sys.exit({exited.code!r})")
                raise error.with_traceback(exited.__traceback__) from None

        return step

    def _watched(self, run_env: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            started = self.steps_started
            try:
                run_env()
            except SystemExit as exited:  # not an Exception: it passes the harness, the capture reports it
                self._failure = self._env_error(f"called sys.exit({exited.code!r})", exited)
                raise
            except EnvironmentIgnoresURL:
                raise
            except Exception as error:  # (a full scratch disk is the runner's ScratchFull, not env.py's failure)
                if self.steps_started == started and self._failure is None and as_scratch_full(error, "") is None:
                    self._failure = self._env_error(f"raised {type(error).__name__}: {error}", error)
                raise
            if self.steps_started == started and self._failure is None:
                self._failure = CaptureError(
                    "the project's env.py returned without running any migration (is it written for offline "
                    "mode only?); nothing was captured",
                    hint="make env.py run context.run_migrations() online on config.attributes['connection'], "
                    "or run with --builtin-env",
                )

        return run

    def _env_error(self, what: str, error: BaseException) -> ProjectError:
        line = next((frame.lineno for frame in reversed(traceback.extract_tb(error.__traceback__))
                     if os.path.realpath(frame.filename) == self.env_file), None)
        return ProjectError(
            f"env.py {what}" + (" before any migration ran" if self.steps_started == 0 else ""),
            file=os.path.relpath(self.env_file, self.root),
            line=line,
            hint=("env.py treats config.attributes['connection'] as an Engine (it calls .connect()); localmig "
                  "hands it a Connection, as Alembic's cookbook does: run with --builtin-env, or accept both in env.py"
                  if isinstance(error, AttributeError) and "connect" in str(error) else
                  "localmig runs env.py in your environment with its own scratch database: make env.py work "
                  "without your app's settings, or run with --builtin-env"),
        )
