"""``localmig generate``: write a verified pytest suite for chosen revisions."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from ..errors import ExitCode
from ..options import SessionOptions
from ..pipeline import Session
from .common import ProgressView, model_choice, model_options, out, project_options
from .scan import print_findings

model_output_option = click.option(
    "--model-output", type=click.Choice(["scenarios", "inputs", "code"]), default=None,
    help="What the model answers: data scenarios with expectations, seed rows only (inputs: localmig records "
         "what the migration does with them), or test code. Default: the profile's (inputs for models under "
         "4B parameters, else scenarios).")


@click.command()
@project_options
@click.option("--rev", "revisions", multiple=True, metavar="REV", help="A revision (id, prefix or branch label); repeatable.")
@click.option("--all", "all_revisions", is_flag=True, help="Every revision (the default when no --rev is given).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Suite folder (default: <project>/tests/migrations).")
@click.option("--dry-run", is_flag=True, help="Generate and verify, but write nothing.")
@click.option("--force", is_flag=True, help="Overwrite files that were edited by hand.")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@model_options
@model_output_option
def generate(path: Path, db_url: str | None, builtin_env: bool, metadata: str | None, revisions: tuple[str, ...],
             all_revisions: bool, out_dir: Path | None, dry_run: bool, force: bool, quiet: bool,
             model_output: str | None, **model: object) -> None:
    """Generate tests, run them on scratch databases, and write the suite.

    The deterministic engine always runs; the model layer adds tests when Ollama answers
    (see --model, --no-model, --require-model, --replay-only).
    """
    if revisions and all_revisions:
        raise click.UsageError("give --rev or --all, not both")
    choice = model_choice(**model).model_copy(update={"output": model_output})  # type: ignore[arg-type]
    options = SessionOptions(path=path, db_url=db_url, builtin_env=builtin_env, metadata=metadata, out=out_dir)
    with ProgressView(quiet=quiet) as view, Session.open(options, view) as session:
        session.use_model(choice)
        model_label, skipped = session.model_label, session.model_skipped
        items = session.generate(session.select(list(revisions)))
        written = session.write(items, force=force, dry_run=dry_run)
    table = Table(title="generated tests" + (f" (model: {model_label})" if model_label else " (no model)"))
    for column in ("revision", "deterministic", "model", "passed", "expose a finding", "left out"):
        table.add_column(column, overflow="fold")
    for item in items:
        by_engine = [sum(1 for t in item.plan.tests if t.engine == e) for e in ("deterministic", "model")]
        table.add_row(
            item.revision.id, str(by_engine[0]),
            "[red]error[/]" if item.model_error else str(by_engine[1]), str(item.count("passed")),
            f"[yellow]{item.count('migration_defect')}[/]" if item.count("migration_defect") else "0",
            f"[red]{len(item.dropped)}[/]" if item.dropped else "0",
        )
    out.print(table)
    if skipped is not None:
        out.print(f"[bold yellow]The model layer was skipped[/]: only deterministic tests were written. "
                  f"{escape(str(skipped))}. {escape(skipped.hint or '')}")
    print_findings(session.findings)
    for result in written:
        if result.action != "unchanged":
            out.print(f"{result.action.replace('_', ' ')}: {result.path}")
    if dry_run:
        out.print("[dim]--dry-run: nothing was written[/]")
    if any(item.model_error for item in items):
        sys.exit(ExitCode.MODEL)
    if any(o.engine == "deterministic" for item in items for o in item.dropped):
        sys.exit(ExitCode.PROBLEMS)
