"""What every command shares: options, the console, error reporting and progress display."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ..errors import ExitCode, LocalmigError
from ..events import CaptureProgress, Event, ModelToken, Notice, RevisionProgress, VerifyProgress
from ..options import ModelChoice

console = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)


def project_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """PATH plus the options that say how to run the project's history."""
    decorators = [
        click.argument("path", type=click.Path(path_type=Path), default=".", required=False),
        click.option("--db-url", envvar="LOCALMIG_DB_URL", metavar="URL",
                     help="PostgreSQL server for scratch databases (localmig creates and drops its own); default: SQLite."),
        click.option("--builtin-env", is_flag=True, help="Run on localmig's env.py instead of the project's."),
        click.option("--metadata", metavar="MODULE:ATTR", help="MetaData for the built-in env (naming conventions)."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


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


def run_guarded(command: click.Command) -> None:
    """Run the click command; LocalmigError -> message + hint + its exit code, never a traceback."""
    try:
        command.main(standalone_mode=False)
    except click.exceptions.Abort:
        console.print("[red]aborted[/]")
        sys.exit(ExitCode.INTERRUPTED)
    except click.ClickException as error:
        error.show()
        sys.exit(ExitCode.USAGE)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except LocalmigError as error:
        console.print(f"[bold red]error:[/] {escape(str(error))}")
        if error.hint:
            console.print(f"[dim]hint:[/] {escape(error.hint)}")
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        console.print("[red]interrupted[/]")
        sys.exit(ExitCode.INTERRUPTED)
    except Exception as error:  # a bug of localmig: say so plainly, traceback only when asked
        if os.environ.get("LOCALMIG_DEBUG"):
            traceback.print_exc()
        console.print(f"[bold red]internal error:[/] {type(error).__name__}: {error}")
        console.print("[dim]this is a bug in localmig; rerun with LOCALMIG_DEBUG=1 for the traceback[/]")
        sys.exit(ExitCode.PROBLEMS)


View = TypeVar("View", bound="ProgressView")


class ProgressView:
    """Shows pipeline events as Rich progress bars and messages (or nothing, when quiet)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
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
                self.progress.console.print(f"[{colour}]{event.level}:[/] {escape(event.message)}")
                if event.hint:
                    self.progress.console.print(f"  [dim]{escape(event.hint)}[/]")
