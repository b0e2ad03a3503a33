"""What every command shares: options, the console, error reporting and progress display."""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from ..cancel import CancelToken
from ..errors import ExitCode, LocalmigError
from ..events import CaptureProgress, Event, ModelToken, Notice, RevisionProgress, VerifyProgress
from ..options import ModelChoice, SessionOptions

console = Console(stderr=True, highlight=False, soft_wrap=True)  # messages are not cut at a width: a log keeps them whole
out = Console(highlight=False, soft_wrap=True)


def project_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """PATH plus the options that say how to run the project's history."""
    decorators = [
        click.argument("path", type=click.Path(path_type=Path), default=".", required=False),
        click.option("--db-url", envvar="LOCALMIG_DB_URL", metavar="URL",
                     help="PostgreSQL server for scratch databases (localmig creates and drops its own); default: SQLite."),
        click.option("--builtin-env", is_flag=True, help="Run on localmig's env.py instead of the project's."),
        click.option("--metadata", metavar="MODULE:ATTR", help="MetaData for the built-in env (naming conventions)."),
        click.option("--initial-schema", "initial_schema", metavar="MODULE:ATTR", multiple=True,
                     help="The schema the first revision expects (a MetaData, a declarative base or a function of a "
                          "Connection), for histories whose tables start from create_all(); repeatable."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def session_options(path: Path, db_url: str | None, builtin_env: bool, metadata: str | None,
                    initial_schema: tuple[str, ...], **more: Any) -> SessionOptions:
    """The SessionOptions of project_options' values, plus a command's own (out, step_timeout, vendor, ...)."""
    return SessionOptions(path=path, db_url=db_url, builtin_env=builtin_env, metadata=metadata,
                          initial_schema=list(initial_schema), **more)


def style_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """--style: which fixtures the generated tests are written for (generate, batch)."""
    return click.option("--style", type=click.Choice(["localmig", "pytest-alembic"]), default=None,
                        help="Write the tests for pytest-localmig (default) or for pytest-alembic's alembic_runner (no "
                             "plugin of localmig's); default: the style of the suite already there.")(function)


def step_timeout_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """--timeout: how long one migration step may run (scan, generate, batch, check)."""
    return click.option("--timeout", "step_timeout", type=click.FloatRange(min=0), default=300, show_default=True,
                        envvar="LOCALMIG_TIMEOUT", metavar="SECONDS",
                        help="Stop a migration step (one upgrade or downgrade) that runs longer, as a failed step "
                             "(a single blocking C call ends first); 0: no limit.")(function)


def model_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """How the model layer runs: which profile, which settings and prompts, whether it is required."""
    decorators = [
        click.option("--model", "model_name", envvar="LOCALMIG_MODEL", metavar="NAME",
                     help="A models.yaml profile or a raw Ollama tag (default: the profile marked default)."),
        click.option("--config", "config_file", type=click.Path(path_type=Path), help="models.yaml to use."),
        click.option("--prompts", "prompts_dir", type=click.Path(path_type=Path, file_okay=False),
                     help="A folder of prompt templates overriding the packaged ones."),
        click.option("--no-model", is_flag=True, help="Only the deterministic engine."),
        click.option("--require-model", is_flag=True, help="Fail (exit 5) if the model cannot be used (for CI)."),
        click.option("--replay-only", is_flag=True, help="Answer from the cache only; a cache miss is an error (exit 5)."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def model_choice(model_name: str | None, config_file: Path | None, prompts_dir: Path | None, no_model: bool,
                 require_model: bool, replay_only: bool) -> ModelChoice:
    if no_model and (require_model or replay_only):
        raise click.UsageError("--no-model cannot be combined with --require-model or --replay-only")
    mode = "off" if no_model else "require" if require_model or replay_only else "auto"
    return ModelChoice(mode=mode, model=model_name, config=config_file, prompts=prompts_dir, replay_only=replay_only)


def run_guarded(run: Callable[[], Any]) -> None:
    """Run a click command (``run`` calls its ``main`` with ``standalone_mode=False``) and end the
    process with its exit code.

    A LocalmigError is its message + hint + its exit code; a click usage error exits 2; Ctrl-C and
    SIGTERM exit 130 (finished work kept, scratch databases removed); anything else is a bug of
    localmig: one line saying so and exit 70, the traceback only with LOCALMIG_DEBUG=1. Never a
    traceback for the user's own mistakes.
    """
    with signals_as_interrupt():
        try:
            code = run()
        except click.exceptions.Abort:
            report_interrupt()
            sys.exit(ExitCode.INTERRUPTED)
        except click.ClickException as error:
            error.show()
            sys.exit(ExitCode.USAGE)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except LocalmigError as error:
            report_error(error)
            sys.exit(error.exit_code)
        except KeyboardInterrupt:
            report_interrupt()
            sys.exit(ExitCode.INTERRUPTED)
        except Exception as error:  # a bug of localmig: say so plainly, traceback only when asked
            if os.environ.get("LOCALMIG_DEBUG"):
                traceback.print_exc()
            console.print(line(("internal error:", "bold red"), f" {type(error).__name__}: {error}"))
            console.print(line(("this is a bug in localmig (exit 70); rerun with LOCALMIG_DEBUG=1 for the traceback",
                                "dim")))
            sys.exit(ExitCode.INTERNAL)
    if isinstance(code, int) and code:
        sys.exit(code)


class GuardedGroup(click.Group):
    """A click group whose ``main`` reports errors as :func:`run_guarded` does, also when a test
    runs it in-process with click's CliRunner."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:  # the caller handles errors itself
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        run_guarded(lambda: click.Group.main(self, args, prog_name, complete_var, standalone_mode=False, **extra))


@contextmanager
def signals_as_interrupt(cancel: CancelToken | None = None) -> Iterator[None]:
    """While the block runs, SIGTERM is handled like Ctrl-C: KeyboardInterrupt in the main thread
    (the batch report is written, finished files are kept, scratch files are removed). A second
    SIGTERM during that clean-up is ignored. With ``cancel``, both signals also set it: a model
    request or pytest run in another thread stops at once, and work a library kept from seeing the
    KeyboardInterrupt stops at its next check."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        if signum == signal.SIGTERM:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if cancel is not None:
            cancel.cancel()
        raise KeyboardInterrupt

    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, interrupt)}
    if cancel is not None and signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not if ignored
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        for number, handler in previous.items():
            if number == signal.SIGTERM and signal.getsignal(number) is signal.SIG_IGN:
                continue  # terminated: a second SIGTERM stays ignored through the caller's clean-up too
            signal.signal(number, handler)


def line(*parts: str | tuple[str, str]) -> Text:
    """Plain text and (text, style) pairs as one Rich line; nothing in them is read as markup, so
    outside text (SQL errors, migration messages, pytest output, file names) shows as it is."""
    return Text.assemble(*parts)


def plain(value: object, style: str = "") -> Text:
    """``value`` as text Rich will not parse (for table cells holding outside text)."""
    return Text(str(value), style=style)


def report_error(error: LocalmigError) -> None:
    console.print(line(("error:", "bold red"), " ", str(error)))
    if error.hint:
        console.print(line(("hint:", "dim"), " ", error.hint))


def report_interrupt() -> None:
    console.print(line(("interrupted", "red")))


View = TypeVar("View", bound="ProgressView")


class ProgressView:
    """Shows pipeline events as Rich progress bars and messages (or nothing, when quiet)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=console, transient=True, disable=quiet,
        )
        self.tasks: dict[str, Any] = {}
        self.notices: list[Notice] = []
        self.tokens = 0

    def __enter__(self: View) -> View:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def _task(self, key: str, description: str, total: int | None) -> Any:
        if key not in self.tasks:
            self.tasks[key] = self.progress.add_task(description, total=total)
        return self.tasks[key]

    def __call__(self, event: Event) -> None:
        if isinstance(event, CaptureProgress):
            label = "applying revisions" if event.phase == "upgrade" else "running downgrades"
            task = self._task(event.phase, label, event.total)
            self.progress.update(task, completed=event.done if event.phase == "upgrade" else event.total)
        elif isinstance(event, RevisionProgress):
            task = self._task("plan", "planning tests", None)
            if event.stage in ("planned", "skipped", "failed"):
                self.progress.advance(task)
            self.progress.update(task, description=f"planning tests ({event.revision} {event.stage})")
        elif isinstance(event, VerifyProgress):
            task = self._task("verify", "running the generated tests", event.tests)
            if event.stage == "finished":
                self.progress.update(task, completed=event.tests)
        elif isinstance(event, ModelToken):
            task = self._task("plan", "planning tests", None)
            self.tokens += len(event.text)
            self.progress.update(task, description=f"model writing tests for {event.revision} ({self.tokens} chars)")
        elif isinstance(event, Notice):
            self.notices.append(event)
            if not self.quiet or event.level == "error":
                colour = {"info": "cyan", "warning": "yellow", "error": "red"}[event.level]
                self.progress.console.print(line((f"{event.level}:", colour), " ", event.message))
                if event.hint:
                    self.progress.console.print(line("  ", (event.hint, "dim")))
