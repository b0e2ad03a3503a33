"""What a mutation run found: every mutant's fate, and the kill rates it adds up to.

A mutant is *killed* when a test that passed on the original fails or errors with the mutant in
place, *survived* when every such test still passes (or no test ran for it), *equivalent* when
the mutant revision gives the same schema (and the same rows) as the original, so that no test
could tell them apart: equivalent mutants are not counted. The kill rate is
killed / (killed + survived).

The last report of a project is kept in ``.localmig/mutate-report.json`` with a key over the
migrations, the tests and the settings it was made with; ``localmig check --min-kill-rate``
uses it while that key holds, and :func:`kill_rates` reads it for the review app.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, computed_field

from .. import __version__
from .operators import Function, OperatorName

Status = Literal["killed", "survived", "equivalent", "error"]
CACHE = Path(".localmig") / "mutate-report.json"


class KillRate(BaseModel):
    """Mutants killed and survived (equivalent ones and errors are shown, never counted)."""

    killed: int = 0
    survived: int = 0
    equivalent: int = 0
    errors: int = 0
    current: bool = Field(True, description="The revision and its tests are as when this was measured.")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float | None:
        """killed / (killed + survived); None when no mutant counted."""
        counted = self.killed + self.survived
        return round(self.killed / counted, 4) if counted else None

    def add(self, status: Status) -> None:
        if status == "killed":
            self.killed += 1
        elif status == "survived":
            self.survived += 1
        elif status == "equivalent":
            self.equivalent += 1
        else:
            self.errors += 1


class MutantResult(BaseModel):
    """One mutant: what was changed, and what the tests made of it."""

    id: str
    revision: str
    file: str
    function: Function
    operator: OperatorName
    line: int
    description: str
    diff: str = Field(description="Unified diff of the revision file.")
    status: Status
    detail: str = Field("", description="Why equivalent, what went wrong, or how the upgrade fared.")
    killed_by: list[str] = Field(default_factory=list, description="Tests that passed on the original and failed here.")
    killed_by_source: dict[str, bool] = Field(
        default_factory=dict, description="Per test source ('generated', 'given'): whether one of its tests killed it.")
    tests_ran: list[str] = Field(default_factory=list, description="Every test that ran against the mutant.")
    seconds: float = 0.0
    timings: dict[str, float] = Field(default_factory=dict, description=(
        "Seconds per step: 'equivalence' (the revision from its parent's template), 'generated', 'given'."))


class RevisionState(BaseModel):
    """What a revision's numbers were measured on (to tell a current result from a stale one)."""

    source_sha256: str
    tests_sha256: str | None = Field(None, description="Its generated test module, if it had one.")


class MutationReport(BaseModel):
    """The ``--report`` document; its JSON schema is docs/mutate-report.schema.json (kept in step by a test)."""

    localmig: str = __version__
    project: str
    dialect: str
    key: str = Field(description="sha256 over the migrations, the tests and the settings of the run.")
    started_at: str
    seconds: float = 0.0
    interrupted: bool = False
    operators: list[str]
    sources: dict[str, list[str]] = Field(description="Test sources judged: 'generated' (the suite folder), 'given' (--tests).")
    baseline: dict[str, int] = Field(default_factory=dict, description="Tests per source that passed on the original.")
    baseline_not_passing: list[str] = Field(default_factory=list, description=(
        "Tests that did not pass on the original (failed, errors, skipped): they judge no mutant."))
    totals: KillRate = Field(default_factory=KillRate)
    by_source: dict[str, KillRate] = Field(default_factory=dict)
    by_revision: dict[str, KillRate] = Field(default_factory=dict)
    by_operator: dict[str, KillRate] = Field(default_factory=dict)
    revisions: dict[str, RevisionState] = Field(default_factory=dict)
    mutants: list[MutantResult] = Field(default_factory=list)
    seconds_per_mutant: float | None = Field(None, description="Mean wall time of one mutant (equivalence check and tests).")

    @property
    def survivors(self) -> list[MutantResult]:
        return [m for m in self.mutants if m.status == "survived"]

    def tally(self) -> MutationReport:
        """The same report with its rates counted again from ``mutants``."""
        totals = KillRate()
        by_revision: dict[str, KillRate] = {}
        by_operator: dict[str, KillRate] = {}
        by_source = {source: KillRate() for source in self.sources}
        for mutant in self.mutants:
            totals.add(mutant.status)
            by_revision.setdefault(mutant.revision, KillRate()).add(mutant.status)
            by_operator.setdefault(mutant.operator, KillRate()).add(mutant.status)
            for source, rate in by_source.items():
                if mutant.status == "killed":
                    rate.add("killed" if mutant.killed_by_source.get(source) else "survived")
                else:
                    rate.add(mutant.status)
        timed = [m.seconds for m in self.mutants if m.status != "error"]
        return self.model_copy(update={
            "totals": totals, "by_revision": by_revision, "by_operator": by_operator, "by_source": by_source,
            "seconds_per_mutant": round(sum(timed) / len(timed), 3) if timed else None,
        })


def run_key(revisions: dict[str, RevisionState], tests: dict[str, str], settings: dict[str, object]) -> str:
    """The cache key of a run: revision sources, test file digests (path -> sha256), settings."""
    document = {"localmig": __version__, "revisions": {r: s.model_dump() for r, s in sorted(revisions.items())},
                "tests": dict(sorted(tests.items())), "settings": settings}
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()


def cached_report(project_root: Path) -> MutationReport | None:
    """The last report kept for the project, if any (and readable)."""
    path = Path(project_root) / CACHE
    try:
        return MutationReport.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError, ValueError):
        return None


def keep(report: MutationReport, project_root: Path) -> Path:
    """Keep ``report`` as the project's last one (atomically)."""
    from ..write import atomic_write

    path = Path(project_root) / CACHE
    atomic_write(path, report.model_dump_json(indent=1) + "\n")
    return path


def kill_rates(project_root: Path, current: dict[str, RevisionState] | None = None) -> dict[str, KillRate]:
    """Revision -> its kill rate, from the project's last report (empty when there is none).

    With ``current`` (revision -> what its source and tests are now, see
    :func:`localmig.mutate.runner.revision_states`) each rate says whether it still holds.
    """
    report = cached_report(project_root)
    if report is None:
        return {}
    rates = {}
    for revision, rate in report.by_revision.items():
        then, now = report.revisions.get(revision), (current or {}).get(revision)
        rates[revision] = rate.model_copy(update={"current": current is None or (then is not None and then == now)})
    return rates
