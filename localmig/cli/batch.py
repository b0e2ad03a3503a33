"""``localmig batch`` and ``localmig check``: unattended generation and the CI gate."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..baseline import explaining
from ..batch import BatchOptions, BatchReport, now, run_batch
from ..cancel import CancelToken
from ..changed import changed_files, changed_tail
from ..checks import CheckReport, Problem, run_check
from ..errors import Cancelled, ExitCode
from ..events import Event, Notice, RevisionProgress
from ..pipeline import Session
from ..project import RevisionInfo
from ..write import atomic_write
from .common import (
    ProgressView,
    console,
    line,
    model_choice,
    model_options,
    out,
    plain,
    project_options,
    session_options,
    signals_as_interrupt,
    step_timeout_option,
    style_option,
)
from .generate import model_output_option
from .scan import print_findings


class BatchView(ProgressView):
    """One bar over the selected revisions (with ETA) plus the usual phase bars."""

    def __init__(self, quiet: bool) -> None:
        super().__init__(quiet)
        self.progress = Progress(
            TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TimeRemainingColumn(), console=console, transient=True, disable=quiet,
        )
        self.revisions: TaskID | None = None

    def start_revisions(self, total: int) -> None:
        self.revisions = self.progress.add_task("revisions", total=total)

    def __call__(self, event: Event) -> None:
        if isinstance(event, RevisionProgress) and self.revisions is not None:
            if event.stage in ("planned", "skipped"):
                self.progress.advance(self.revisions)
            self.progress.update(self.revisions, description=f"revisions ({event.revision}: {event.stage})")
            return
        if isinstance(event, Notice) and event.level == "info":
            return
        super().__call__(event)


@click.command()
@project_options
@step_timeout_option
@click.option("--all", "all_revisions", is_flag=True, help="Every revision (the default).")
@click.option("--rev", "revisions", multiple=True, metavar="REV", help="A revision (id, prefix or label); repeatable.")
@click.option("--since", metavar="REV", help="Only revisions after REV in history order.")
@click.option("--missing", is_flag=True, help="Only revisions without current tests.")
@click.option("--branch", metavar="LABEL", help="Only the revision with this branch label and its descendants.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Suite folder (default: <project>/tests/migrations).")
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(1, 32), help="Model requests at once.")
@click.option("--chunk", default=40, show_default=True, type=click.IntRange(1, 10000),
              help="Revisions verified and written together (an interrupt loses at most one chunk).")
@click.option("--keep-failing", is_flag=True, help="Write failing model tests marked xfail instead of leaving them out.")
@click.option("--dry-run", is_flag=True, help="Generate and verify, but write nothing.")
@click.option("--force", is_flag=True, help="Overwrite files that were edited by hand.")
@click.option("--vendor", is_flag=True,
              help="Also write the runtime (pytest-localmig) beside the suite, for repositories that cannot install it.")
@style_option
@click.option("--report", "report_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Write a JSON report here (its JSON schema: docs/batch-report.schema.json).")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@model_options
@model_output_option
def batch(path: Path, db_url: str | None, builtin_env: bool, metadata: str | None, initial_schema: tuple[str, ...], step_timeout: float, all_revisions: bool,
          revisions: tuple[str, ...], since: str | None, missing: bool, branch: str | None, out_dir: Path | None,
          jobs: int, chunk: int, keep_failing: bool, dry_run: bool, force: bool, vendor: bool, style: str | None,
          report_file: Path | None,
          quiet: bool, model_output: str | None, **model: object) -> None:
    """Generate, verify and write tests for many revisions, resumably (a re-run skips current files).

    Exit codes: 0 done; 1 a generated test had to be left out (localmig bug) or kept as xfail;
    2 usage error; 3 not a usable project; 4 scratch database unusable; 5 model errors; 70 internal
    error; 130 interrupted, also by SIGTERM (finished revisions are kept, the report is written; run
    again to resume).
    """
    if all_revisions and (revisions or since or missing or branch):
        raise click.UsageError("--all cannot be combined with --rev, --since, --missing or --branch")
    choice = model_choice(**model).model_copy(update={"output": model_output})  # type: ignore[arg-type]
    options = BatchOptions(revisions=list(revisions), since=since, missing=missing, branch=branch, jobs=jobs,
                           chunk=chunk, keep_failing=keep_failing, dry_run=dry_run, force=force)
    project = session_options(path, db_url, builtin_env, metadata, initial_schema, step_timeout=step_timeout, out=out_dir,
                                     vendor=vendor, style=style)
    report, cancel = None, CancelToken()
    try:
        with signals_as_interrupt(cancel), BatchView(quiet) as view, Session.open(project, view, cancel) as session:
            session.use_model(choice)
            report = BatchReport(project=str(session.project.root), started_at=now())
            view.start_revisions(len(session.revisions))
            run_batch(session, options, report, view, cancel)
    except (KeyboardInterrupt, Cancelled):
        if report is not None:
            report.interrupted = True
            _finish(report, report_file, quiet)
        console.print(line(("interrupted", "red"), ": finished revisions are written; run the same command again to resume"))
        sys.exit(ExitCode.INTERRUPTED)
    _finish(report, report_file, quiet)
    if any(r.error for r in report.revisions):
        sys.exit(ExitCode.NOT_VERIFIED)
    if report.totals.model_errors:
        sys.exit(ExitCode.MODEL)
    if any(r.left_out or r.xfail for r in report.revisions):
        sys.exit(ExitCode.PROBLEMS)


def _finish(report: BatchReport, report_file: Path | None, quiet: bool) -> None:
    if report_file is not None:
        atomic_write(report_file, report.model_dump_json(indent=2) + "\n")
    if not quiet:
        print_summary(report)


def print_summary(report: BatchReport) -> None:
    t = report.totals
    out.print(line(("batch", "bold"), f" {report.project} — model: {report.model or 'none'}",
                   (" (interrupted)" if report.interrupted else "", "red")))
    out.print(f"revisions: {t.selected} selected, {t.processed} processed, {t.skipped} skipped "
              f"(current or not applied), {t.written} files written")
    out.print(f"tests: {t.tests_deterministic} deterministic, {t.tests_model} from the model; "
              f"model: {t.model_seconds:.1f} s, {t.prompt_tokens} prompt tokens, {t.answer_tokens} answer tokens; "
              f"{t.model_errors} model error(s)")
    problems = [r for r in report.revisions if r.left_out or r.xfail or r.model_error or r.error]
    if problems:
        table = Table(title="revisions needing attention")
        for column in ("revision", "left out", "xfail", "model error", "error"):
            table.add_column(column, overflow="fold")
        for r in problems:
            table.add_row(*(plain(cell) for cell in (r.revision, ", ".join(r.left_out), ", ".join(r.xfail),
                                                      r.model_error or "", r.error or "")))
        out.print(table)
    print_findings(report.findings)


@click.command()
@project_options
@step_timeout_option
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Suite folder (default: <project>/tests/migrations).")
@click.option("--allow-findings", is_flag=True, help="No finding fails the check (not even new ones; see --update-baseline).")
@click.option("--update-baseline", is_flag=True,
              help="Acknowledge today's findings in the baseline file (.localmig.toml or [tool.localmig] in "
                   "pyproject.toml; reasons of entries that still occur are kept, stale ones removed), then check.")
@click.option("--since", "since_ref", metavar="REF",
              help="Only the revisions whose files changed since this git ref, and every revision after them.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--min-kill-rate", type=click.FloatRange(0, 1), metavar="RATE",
              help="Also require the tests to kill at least this share of mutants (localmig mutate; a kept "
                   "result is used while migrations and tests are unchanged).")
def check(path: Path, db_url: str | None, builtin_env: bool, metadata: str | None, initial_schema: tuple[str, ...], step_timeout: float, out_dir: Path | None,
          allow_findings: bool, update_baseline: bool, since_ref: str | None, as_json: bool,
          min_kill_rate: float | None) -> None:
    """CI gate: every revision has a current test file, the suite passes, and no finding is new.

    Findings acknowledged in the baseline file, and downgrade findings of one-way revisions, do
    not fail it; an acknowledgement that no longer occurs does ("stale acknowledgement").

    Exit codes: 0 clean; 1 problems (missing, stale or failing tests; findings the baseline does
    not accept, unless --allow-findings; stale acknowledgements; a kill rate below
    --min-kill-rate); 2 usage or configuration error
    (a bad baseline file, an unknown --since ref); 3 not a usable Alembic project; 4 scratch
    database unusable; 70 internal error (a bug in localmig, never a problem of the suite); 130
    interrupted.
    """
    options = session_options(path, db_url, builtin_env, metadata, initial_schema, step_timeout=step_timeout, out=out_dir)
    gate = None
    with ProgressView(quiet=as_json) as view, Session.open(options, view) as session:
        revisions = _changed_since(session, since_ref) if since_ref else None
        result = run_check(session, allow_findings=allow_findings, revisions=revisions, update_baseline=update_baseline)
        total = len(session.revisions)
        if min_kill_rate is not None:
            from ..mutate.gate import kill_rate_gate

            gate = kill_rate_gate(session, min_kill_rate)
            if not gate.ok:
                result.problems.append(Problem(kind="kill_rate", message=gate.message))
    if as_json:
        out.print_json(json.dumps({"ok": result.ok, **result.model_dump(mode="json", exclude={"outcomes"}),
                                   "tests": len(result.outcomes),
                                   **({"kill_rate": gate.model_dump(mode="json")} if gate else {})}))
    else:
        if gate is not None and gate.ok:
            out.print(plain(gate.message))
        _print_check(result, since_ref, total)
    if not result.ok:
        sys.exit(ExitCode.PROBLEMS)


def _changed_since(session: Session, ref: str) -> list[RevisionInfo]:
    """The revisions whose files changed since ``ref``, and every revision after them."""
    root = session.project.root
    whole = [session.out / name for name in session.shared_files()] + [session.baseline.path]
    env = Path(ScriptDirectory.from_config(session.project.config()).dir) / "env.py"
    return changed_tail(session.revisions, changed_files(root, ref), root=root, whole_history_files=[*whole, env],
                        test_files={r.id: session.target(r) for r in session.revisions})


def _print_check(result: CheckReport, since_ref: str | None, total: int) -> None:
    if since_ref:
        first = f" (from {result.checked[0]})" if result.checked else ""
        out.print(f"{len(result.checked)} of {total} revisions changed since {since_ref} or come after one{first}",
                  highlight=False)
    passed = sum(1 for o in result.outcomes if o.outcome == "passed")
    skipped = sum(1 for o in result.outcomes if o.outcome == "skipped")
    expected = sum(1 for o in result.outcomes if (f := explaining(o, result.findings)) is not None and f.accepted)
    out.print(f"{result.files} test files, {len(result.outcomes)} tests, {passed} passed"
              + (f", {skipped} xfailed or skipped" if skipped else "")
              + (f", {expected} fail because of accepted findings" if expected else ""), highlight=False)
    if result.one_way:
        out.print(f"one-way: no downgrade tests for {len(result.one_way)} revision(s)", highlight=False)
        for why in result.one_way.values():
            out.print(line("  ", (why, "dim")))
    if result.baseline_written:
        out.print(f"baseline written: {result.baseline} ({sum(1 for f in result.findings if f.accepted == 'acknowledged')} "
                  "acknowledged finding(s))", highlight=False)
    for problem in result.problems:
        out.print(line((problem.kind, "red"), f" {problem.revision or ''} {problem.message}"), highlight=False)
    print_findings(result.findings)
    out.print("[green]check passed[/]" if result.ok else f"[red]check failed: {len(result.problems)} problem(s)[/]")
