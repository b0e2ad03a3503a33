"""``localmig generate``: write a verified pytest suite for chosen revisions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ..capture import Finding
from ..errors import ExitCode, LocalmigError
from ..items import ReviewItem, WriteResult
from ..pipeline import Session
from .common import (
    ProgressView,
    line,
    model_choice,
    model_options,
    out,
    plain,
    project_options,
    session_options,
    step_timeout_option,
    style_option,
)
from .scan import print_findings

model_output_option = click.option(
    "--model-output", type=click.Choice(["scenarios", "inputs", "code"]), default=None,
    help="What the model answers: data scenarios with expectations, seed rows only (inputs: localmig records "
         "what the migration does with them), or test code. Default: the profile's (inputs for models under "
         "4B parameters, else scenarios).")


@click.command()
@project_options
@step_timeout_option
@click.option("--rev", "revisions", multiple=True, metavar="REV", help="A revision (id, prefix or branch label); repeatable.")
@click.option("--all", "all_revisions", is_flag=True, help="Every revision (the default when no --rev is given).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Suite folder (default: <project>/tests/migrations).")
@click.option("--dry-run", is_flag=True, help="Generate and verify, but write nothing.")
@click.option("--force", is_flag=True, help="Overwrite files that were edited by hand.")
@click.option("--vendor", is_flag=True,
              help="Also write the runtime (pytest-localmig) beside the suite, for repositories that cannot install it.")
@style_option
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead of the table (no progress).")
@model_options
@model_output_option
def generate(path: Path, db_url: str | None, builtin_env: bool, metadata: str | None, initial_schema: tuple[str, ...], step_timeout: float, revisions: tuple[str, ...],
             all_revisions: bool, out_dir: Path | None, dry_run: bool, force: bool, vendor: bool, style: str | None, quiet: bool,
             as_json: bool, model_output: str | None, **model: object) -> None:
    """Generate tests, run them on scratch databases, and write the suite.

    The deterministic engine always runs; the model layer adds tests when Ollama answers
    (see --model, --no-model, --require-model, --replay-only).

    Exit codes: 0 done; 1 a generated test had to be left out; 2 usage error; 3 not a usable
    project; 4 scratch database unusable; 5 model error; 70 internal error; 130 interrupted.
    """
    if revisions and all_revisions:
        raise click.UsageError("give --rev or --all, not both")
    choice = model_choice(**model).model_copy(update={"output": model_output})  # type: ignore[arg-type]
    options = session_options(path, db_url, builtin_env, metadata, initial_schema, step_timeout=step_timeout, out=out_dir,
                              vendor=vendor, style=style)
    with ProgressView(quiet=quiet or as_json) as view, Session.open(options, view) as session:
        session.use_model(choice)
        model_label, skipped = session.model_label, session.model_skipped
        items = session.generate(session.select(list(revisions)))
        written = session.write(items, force=force, dry_run=dry_run)
    if as_json:
        document = {"model": model_label, "model_skipped": f"{skipped}. {skipped.hint or ''}".strip() if skipped else None,
                    "dry_run": dry_run, "revisions": [_item_json(item) for item in items],
                    "findings": [f.model_dump(mode="json") for f in session.findings],
                    "files": [r.model_dump(mode="json") for r in written]}
        click.echo(json.dumps(document, indent=2))
    else:
        _print(items, written, session.findings, model_label, skipped, dry_run)
    if any(item.error or item.count("not_run") for item in items):
        sys.exit(ExitCode.NOT_VERIFIED)
    if any(item.model_error for item in items):
        sys.exit(ExitCode.MODEL)
    if any(o.engine == "deterministic" and o.verdict == "test_defect" for item in items for o in item.dropped):
        sys.exit(ExitCode.PROBLEMS)


def _item_json(item: ReviewItem) -> dict[str, Any]:
    """One revision of ``generate --json``: its tests by engine, each test's verdict, what was left out and why."""
    return {
        "revision": item.revision.id, "file": item.filename, "tests": item.engines(),
        "outcomes": [{"test": o.name, "engine": o.engine, "verdict": o.verdict} for o in item.outcomes],
        "left_out": [{"test": o.name, "engine": o.engine, "verdict": o.verdict, "message": o.message}
                     for o in item.dropped],
        "findings": [f.kind for f in item.findings], "model_error": item.model_error, "error": item.error,
    }


def _print(items: list[ReviewItem], written: list[WriteResult], findings: list[Finding], model_label: str | None,
           skipped: LocalmigError | None, dry_run: bool) -> None:
    table = Table(title=plain("generated tests" + (f" (model: {model_label})" if model_label else " (no model)")))
    table.add_column("revision", no_wrap=True)  # an id is read whole; the counts' headers may wrap
    for column in ("deterministic", "model", "passed", "expose a finding", "left out", "not run"):
        table.add_column(column, overflow="fold")
    for item in items:
        by_engine = [sum(1 for t in item.plan.tests if t.engine == e) for e in ("deterministic", "model")]
        table.add_row(
            plain(item.revision.id), str(by_engine[0]),
            "[red]error[/]" if item.model_error else str(by_engine[1]), str(item.count("passed")),
            f"[yellow]{item.count('migration_defect')}[/]" if item.count("migration_defect") else "0",
            f"[red]{failed}[/]" if (failed := sum(o.verdict == "test_defect" for o in item.dropped)) else "0",
            f"[red]{not_run}[/]" if (not_run := sum(o.verdict == "not_run" for o in item.dropped)) else
            ("[red]all[/]" if item.error else "0"),
        )
    out.print(table)
    for item in items:
        if item.error:
            out.print(line((item.revision.id, "red"), f": {item.error}"))
    if skipped is not None:
        out.print(line(("The model layer was skipped", "bold yellow"),
                       f": only deterministic tests were written. {skipped}. {skipped.hint or ''}"))
    print_findings(findings)
    for result in written:
        if result.action != "unchanged":
            out.print(line(f"{result.action.replace('_', ' ')}: {result.path}"))
    if dry_run:
        out.print("[dim]--dry-run: nothing was written[/]")
