"""Batch mode: a whole history (or part of it) without a person, resumable, with a report.

Revisions are processed in chunks: each chunk is planned, sent to the model (``jobs`` requests at
a time), verified in one pytest run and written before the next chunk starts, so an interrupt
or a crash loses at most the chunk in progress and a re-run resumes: revisions whose tests are
current for the same migration source and model settings are skipped.
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from . import __version__
from .cancel import CancelToken, never
from .capture import Finding
from .errors import ConfigError
from .events import EventSink, Notice, ignore
from .pipeline import ReviewItem, Session, WriteResult
from .project import RevisionInfo
from .render import read_header

Status = Literal["written", "unchanged", "skipped_current", "kept_hand_edited", "not_applied", "no_tests", "dry_run",
                 "error"]


class BatchOptions(BaseModel):
    revisions: list[str] = Field(default_factory=list, description="--rev: ids, prefixes or branch labels.")
    since: str | None = Field(None, description="--since: revisions after this one in history order.")
    missing: bool = Field(False, description="--missing: only revisions without current tests.")
    branch: str | None = Field(None, description="--branch: the revision carrying this label and its descendants.")
    jobs: int = Field(1, ge=1, le=32, description="Model requests at once.")
    keep_failing: bool = Field(False, description="Write failing tests marked xfail instead of leaving them out.")
    dry_run: bool = False
    force: bool = Field(False, description="Overwrite hand-edited files.")
    chunk: int = Field(40, ge=1, description="Revisions verified and written together.")


class RevisionReport(BaseModel):
    revision: str
    message: str
    status: Status
    file: str | None = None
    tests: dict[str, int] = Field(default_factory=dict, description="Tests written, by engine.")
    passed: int = 0
    migration_defects: int = Field(0, description="Tests that fail because the migration is broken (kept, reported).")
    left_out: list[str] = Field(default_factory=list)
    xfail: list[str] = Field(default_factory=list)
    model_error: str | None = None
    error: str | None = Field(None, description="Why the revision got no tests written (it could not be planned, rendered or verified).")
    model_seconds: float = 0.0
    prompt_tokens: int = 0
    answer_tokens: int = 0


class BatchTotals(BaseModel):
    selected: int = 0
    processed: int = 0
    skipped: int = 0
    written: int = 0
    tests_deterministic: int = 0
    tests_model: int = 0
    findings: int = 0
    model_errors: int = 0
    model_seconds: float = 0.0
    prompt_tokens: int = 0
    answer_tokens: int = 0


class BatchReport(BaseModel):
    """The ``--report`` document; its JSON schema is docs/batch-report.schema.json (kept in step by a test)."""

    localmig: str = __version__
    project: str
    started_at: str
    finished_at: str | None = None
    interrupted: bool = False
    model: str | None = None
    prompts_version: str | None = None
    revisions: list[RevisionReport] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    totals: BatchTotals = Field(default_factory=BatchTotals)
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per phase: capture, observe, model, verify, write, total.")
    step_runs: dict[str, int] = Field(default_factory=dict, description="'upgrade <rev>' / 'downgrade <rev>' -> how often "
                                      "localmig ran that migration step in its own process (the verified suites run theirs too).")


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def select(session: Session, options: BatchOptions) -> list[RevisionInfo]:
    """The revisions the options ask for, in history order."""
    chosen = session.select(options.revisions) if options.revisions else list(session.revisions)
    if options.since:
        index = session.revisions.index(session.project.revision(options.since))
        later = {r.id for r in session.revisions[index + 1 :]}
        chosen = [r for r in chosen if r.id in later]
    if options.branch:
        family = branch_members(session.revisions, options.branch)
        chosen = [r for r in chosen if r.id in family]
    if options.missing:
        chosen = [r for r in chosen if session.status(r) in ("missing", "stale")]
    return chosen


def branch_members(revisions: list[RevisionInfo], label: str) -> set[str]:
    """The revision that carries ``label`` and every revision that descends from it."""
    roots = [r.id for r in revisions if label in r.branch_labels]
    if not roots:
        labels = sorted({lab for r in revisions for lab in r.branch_labels})
        raise ConfigError(f"--branch {label!r}: no revision carries that label (labels: {', '.join(labels) or 'none'})")
    members = set(roots)
    for revision in revisions:  # history order: parents come first
        if set(revision.down_revisions + revision.depends_on) & members and revision.id not in members:
            members.add(revision.id)
    return members


def is_current(session: Session, revision: RevisionInfo) -> bool:
    """The file exists, matches the migration, and (with a model) came from the same model settings."""
    if session.status(revision) != "current":
        return False
    if session.model is None:
        return True
    header, _ = read_header(session.target(revision).read_text(encoding="utf-8"))
    return header is not None and header.options_sha256 == session.model.engine.settings_sha256


def run_batch(session: Session, options: BatchOptions, report: BatchReport, events: EventSink = ignore,
              cancel: CancelToken | None = None) -> BatchReport:
    """Process the selected revisions chunk by chunk, filling ``report`` as chunks finish; once
    ``cancel`` is set, Cancelled (at once in a model request or pytest run, else between chunks)."""
    cancel = cancel or never()
    started = time.perf_counter()
    engine = session.model.engine if session.model else None
    report.model = engine.profile.model if engine else None
    report.prompts_version = engine.prompts.version if engine else None
    selected = select(session, options)
    report.totals.selected = len(selected)
    pending = []
    for revision in selected:
        if not session.capture.captures[revision.id].applied:
            report.revisions.append(RevisionReport(revision=revision.id, message=revision.message, status="not_applied"))
        elif is_current(session, revision):
            report.revisions.append(RevisionReport(revision=revision.id, message=revision.message, status="skipped_current",
                                                   file=session.target(revision).name))
        else:
            pending.append(revision)
    try:
        for start in range(0, len(pending), options.chunk):
            cancel.check("interrupted")
            chunk = pending[start : start + options.chunk]
            items = session.generate(chunk, jobs=options.jobs, keep_failing=options.keep_failing, cancel=cancel)
            with session.timed("write"):
                written = session.write(items, force=options.force, dry_run=options.dry_run)
            _record(report, chunk, items, written, {i.revision.id: session.target(i.revision).name for i in items})
            events(Notice(level="info", message=f"{min(start + len(chunk), len(pending))}/{len(pending)} revisions done"))
    finally:
        report.findings = list(session.findings)
        _totals(report)
        report.timings = {**{k: round(v, 3) for k, v in session.timings.items()},
                          "total": round(time.perf_counter() - started + session.timings.get("capture", 0.0), 3)}
        report.step_runs = session.step_runs()
        report.finished_at = now()
    return report


def _record(report: BatchReport, chunk: list[RevisionInfo], items: list[ReviewItem], written: list[WriteResult],
            files: dict[str, str]) -> None:
    by_revision = {item.revision.id: item for item in items}
    actions = {Path(w.path).name: w.action for w in written}
    for revision in chunk:
        item = by_revision.get(revision.id)
        if item is None:
            report.revisions.append(RevisionReport(revision=revision.id, message=revision.message, status="no_tests"))
            continue
        conversation = item.conversation
        report.revisions.append(RevisionReport(
            revision=revision.id,
            message=revision.message,
            status=actions.get(item.filename, "error" if item.error else "no_tests"),
            file=item.filename,
            tests=item.engines(),
            passed=item.count("passed"),
            migration_defects=item.count("migration_defect"),
            left_out=[o.name for o in item.dropped],
            xfail=[t.name for t in item.plan.tests if t.xfail],
            model_error=item.model_error,
            error=item.error or (f"{item.count('not_run')} test(s) did not run: "
                                 + next(o.message for o in item.outcomes if o.verdict == "not_run")
                                 if item.count("not_run") else None),
            model_seconds=round(conversation.seconds, 3) if conversation else 0.0,
            prompt_tokens=conversation.prompt_tokens if conversation else 0,
            answer_tokens=conversation.answer_tokens if conversation else 0,
        ))


def _totals(report: BatchReport) -> None:
    totals = report.totals
    done = [r for r in report.revisions if r.status not in ("skipped_current", "not_applied")]
    totals.processed = len(done)
    totals.skipped = len(report.revisions) - len(done)
    totals.written = sum(1 for r in report.revisions if r.status == "written")
    totals.tests_deterministic = sum(r.tests.get("deterministic", 0) for r in done)
    totals.tests_model = sum(r.tests.get("model", 0) for r in done)
    totals.findings = len(report.findings)
    totals.model_errors = sum(1 for r in done if r.model_error)
    totals.model_seconds = round(sum(r.model_seconds for r in done), 3)
    totals.prompt_tokens = sum(r.prompt_tokens for r in done)
    totals.answer_tokens = sum(r.answer_tokens for r in done)
