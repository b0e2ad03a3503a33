"""``localmig scan``: the revisions, their graph, their tests' state and the history's findings."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from ..pipeline import Session
from ..render import runtime_problems
from .common import ProgressView, line, out, plain, project_options, session_options, step_timeout_option


@click.command()
@project_options
@step_timeout_option
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="The suite folder whose files are checked.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead of a table.")
@click.option("--round-trips", is_flag=True,
              help="Also upgrade again after every downgrade (slower; generate does it where a test needs it).")
def scan(path: Path, db_url: str | None, builtin_env: bool, metadata: str | None, initial_schema: tuple[str, ...], step_timeout: float, out_dir: Path | None, as_json: bool,
         round_trips: bool) -> None:
    """Run the history on a scratch database and report revisions and findings.

    Exit codes: 0 done (findings are reported, not a failure); 2 usage error; 3 not a usable
    project; 4 scratch database unusable; 70 internal error; 130 interrupted.
    """
    options = session_options(path, db_url, builtin_env, metadata, initial_schema, step_timeout=step_timeout, out=out_dir,
                             round_trips=round_trips)
    with ProgressView(quiet=as_json) as view, Session.open(options, view) as session:
        if as_json:
            click.echo(json.dumps(scan_document(session), indent=2))  # rich's print_json: 2.5 s at N=1000
        else:
            print_scan(session)


def scan_document(session: Session) -> dict:
    capture = session.capture
    return {
        "project": str(session.project.root),
        "dialect": capture.dialect,
        "heads": capture.heads,
        "revisions": [
            {
                **revision.model_dump(mode="json"),
                "tests": session.status(revision),
                "applied": capture.captures[revision.id].applied,
                "changes": diff.describe() if (diff := capture.captures[revision.id].diff) else [],
            }
            for revision in capture.revisions
        ],
        "findings": [f.model_dump(mode="json") for f in session.findings],
        "runtime": [problem.message for problem in runtime_problems(session.out)],
    }


def graph_markers(revision) -> str:
    markers = []
    if revision.is_base:
        markers.append("base")
    if revision.is_branch_point:
        markers.append("branch")
    if revision.is_merge:
        markers.append("merge")
    if revision.is_head:
        markers.append("head")
    markers += [f"@{label}" for label in revision.branch_labels]
    return " ".join(markers)


def print_scan(session: Session) -> None:
    capture = session.capture
    table = Table(title=plain(f"{session.project.root} ({len(capture.revisions)} revisions, {capture.dialect})"))
    for column in ("revision", "message", "graph", "tests", "changes", "findings"):
        table.add_column(column, overflow="fold")
    for revision in capture.revisions:
        found = session.findings_for(revision.id)
        diff = capture.captures[revision.id].diff
        table.add_row(
            plain(revision.id),
            plain(revision.message),
            plain(graph_markers(revision)),
            session.status(revision),
            str(len(diff.changes)) if diff is not None else "-",
            f"[red]{len(found)}[/]" if found else "",
        )
    out.print(table)
    for problem in runtime_problems(session.out):
        out.print(line(("runtime", "yellow"), f": {problem.message}"))
    print_findings(session.findings)


def print_findings(findings) -> None:
    if not findings:
        out.print("[green]no findings[/]: every upgrade applied and every downgrade restored the schema")
        return
    accepted = sum(1 for f in findings if f.accepted)
    out.print(f"[bold]{len(findings)} finding(s)" + (f", {accepted} accepted (acknowledged or one-way)" if accepted else "") + ":[/]")
    for finding in findings:
        where = finding.revision or "history"
        if finding.accepted:  # acknowledged, or a downgrade finding of a one-way revision: dimmed, with the reason
            out.print(line("  ", (f"{finding.label} {where}: {finding.message}", "dim")))
            out.print(line("      ", (f"reason: {finding.reason or ''}", "dim")))
            continue
        out.print(line("  ", (finding.kind, "red"), f" {where}: {finding.message}"))
        for detail in finding.details:
            out.print(line(f"      {detail}"))
