"""``localmig mutate``: how strong are the migration tests? Break each migration on purpose and see."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.syntax import Syntax
from rich.table import Table

from ..errors import ExitCode
from ..mutate.operators import OPERATORS
from ..mutate.report import KillRate, MutationReport
from ..mutate.runner import MutateOptions, MutateProgress, chosen_operators, run_mutations
from ..pipeline import Session
from ..write import atomic_write
from .common import ProgressView, console, out, project_options, session_options


class MutateView(ProgressView):
    """The capture's bars, then one bar over the mutants with the count so far."""

    def __init__(self, quiet: bool) -> None:
        super().__init__(quiet)
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 TimeRemainingColumn(), console=console, transient=True, disable=quiet)
        self.mutants: TaskID | None = None
        self.rate = KillRate()

    def mutant(self, event: MutateProgress) -> None:
        if event.phase == "mutants":
            self.progress.console.print(f"[cyan]{event.total} mutants[/] of {event.detail}")
        elif event.phase == "baseline":
            self.mutants = self.progress.add_task("running the tests on the unchanged project", total=event.total)
        elif event.result is not None and self.mutants is not None:
            self.rate.add(event.result.status)
            rate = f"{self.rate.rate:.0%}" if self.rate.rate is not None else "-"
            self.progress.update(self.mutants, completed=event.done, description=(
                f"mutants: {self.rate.killed} killed, {self.rate.survived} survived, "
                f"{self.rate.equivalent} equivalent (kill rate {rate})"))


def _operators(values: tuple[str, ...]) -> list[str] | None:
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    return names or None


@click.command()
@project_options
@click.option("--rev", "revisions", multiple=True, metavar="REV", help="Mutate this revision (id, prefix or label); repeatable. Default: all.")
@click.option("--operators", multiple=True, metavar="NAMES",
              help=f"Comma-separated operators (default: all): {', '.join(OPERATORS)}.")
@click.option("--mutant", "mutants", multiple=True, metavar="ID",
              help="Only the mutants whose id (as the report gives it) starts with ID; repeatable.")
@click.option("--tests", "tests", multiple=True, type=click.Path(path_type=Path),
              help="Your own tests (file or folder inside the project) to judge too; repeatable.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="The generated suite (default: <project>/tests/migrations).")
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(1, 64), help="Mutants at once (processes).")
@click.option("--timeout", type=click.FloatRange(1), help="Seconds one mutant's tests may take (default: from the baseline run).")
@click.option("--report", "report_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the JSON report here (its JSON schema: docs/mutate-report.schema.json).")
@click.option("--quiet", "-q", is_flag=True, help="No progress display and no survivor diffs, only the rates.")
def mutate(path: Path, db_url: str | None, builtin_env: bool, metadata: str | None, initial_schema: tuple[str, ...], revisions: tuple[str, ...],
           operators: tuple[str, ...], mutants: tuple[str, ...], tests: tuple[Path, ...], out_dir: Path | None, jobs: int, timeout: float | None,
           report_file: Path | None, quiet: bool) -> None:
    """Change each migration the way people get migrations wrong and run the tests: the share of
    changes the tests notice (the kill rate), per revision and per operator, and every change they
    miss with its diff. The project's files are never changed (mutants live in a scratch copy).

    Exit codes: 0 done; 1 some mutants could not be run (see the report); 2 usage or configuration
    error; 3 not a usable Alembic project; 130 interrupted (nothing is kept).
    """
    options = MutateOptions(revisions=list(revisions), operators=_operators(operators), mutants=list(mutants),
                            tests=list(tests), jobs=jobs, timeout=timeout)
    chosen_operators(options.operators)  # a bad name is an error before the history runs
    project = session_options(path, db_url, builtin_env, metadata, initial_schema, out=out_dir)
    with MutateView(quiet) as view, Session.open(project, view) as session:
        report = run_mutations(session, options, view.mutant)
    if report_file is not None:
        atomic_write(report_file, report.model_dump_json(indent=2) + "\n")
    print_report(report, quiet=quiet)
    if report.interrupted:
        console.print("[red]interrupted[/]: the rates above cover the mutants done so far; nothing was kept")
        sys.exit(ExitCode.INTERRUPTED)
    if report.totals.errors:
        sys.exit(ExitCode.PROBLEMS)


def _percent(rate: KillRate) -> str:
    return f"{rate.rate:.1%}" if rate.rate is not None else "-"


def _rates_table(title: str, first: str, rates: dict[str, KillRate]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in (first, "killed", "survived", "equivalent", "errors", "kill rate"):
        table.add_column(column, justify="left" if column == first else "right")
    for name, rate in rates.items():
        table.add_row(name, str(rate.killed), str(rate.survived), str(rate.equivalent), str(rate.errors), _percent(rate))
    return table


def print_report(report: MutationReport, *, quiet: bool = False) -> None:
    totals = report.totals
    out.print(f"[bold]kill rate {_percent(totals)}[/]: {totals.killed} of {totals.killed + totals.survived} mutants "
              f"killed ({totals.equivalent} equivalent, not counted; {totals.errors} could not run)")
    if len(report.by_source) > 1 or "given" in report.by_source:
        out.print("  " + "; ".join(f"{source} tests: {_percent(rate)}" for source, rate in report.by_source.items()))
    if report.seconds_per_mutant is not None:
        out.print(f"  {len(report.mutants)} mutants in {report.seconds:.1f} s ({report.seconds_per_mutant:.2f} s per mutant)")
    out.print(_rates_table("per operator", "operator", report.by_operator))
    out.print(_rates_table("per revision", "revision", report.by_revision))
    for mutant in report.mutants:
        if mutant.status == "error":
            out.print(f"[red]could not run[/] {mutant.id}: {escape(mutant.detail)}")
    survivors = report.survivors
    if not survivors:
        out.print("[green]no mutant survived[/]")
        return
    out.print(f"[bold]{len(survivors)} survivor(s)[/]: changes no test noticed")
    for mutant in survivors:
        ran = len(mutant.tests_ran)
        out.print(f"[yellow]survived[/] {mutant.id}: {escape(mutant.description)} ({ran} test(s) ran)", highlight=False)
        if not quiet:
            out.print(Syntax(mutant.diff.rstrip("\n"), "diff", theme="ansi_dark", background_color="default"))
