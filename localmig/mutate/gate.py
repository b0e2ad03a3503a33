"""``localmig check --min-kill-rate R``: the tests must kill at least that share of the mutants.

The project's kept report (``.localmig/mutate-report.json``, see :mod:`localmig.mutate.report`)
is used while its key holds: same migrations, same generated suite, same localmig, every
operator, every revision. Otherwise the mutants run now (and the new report is kept, so the next
check with nothing changed is instant; commit the file and CI need not run them at all).
"""

from __future__ import annotations

import os

from pydantic import BaseModel, Field

from ..pipeline import Session
from .report import cached_report
from .runner import MutateOptions, ProgressSink, current_key, run_mutations


class KillRateGate(BaseModel):
    minimum: float
    rate: float | None = Field(description="The measured kill rate; None when no mutant counted.")
    killed: int
    counted: int
    cached: bool = Field(description="Taken from the kept report (nothing changed since it was made).")
    survivors: list[str] = Field(default_factory=list, description="Survivors as 'revision line: description'.")

    @property
    def ok(self) -> bool:
        return self.rate is None or self.rate >= self.minimum

    @property
    def message(self) -> str:
        where = "kept result" if self.cached else "measured now"
        rate = f"{self.rate:.1%}" if self.rate is not None else "no mutant counted"
        verdict = "at least" if self.ok else "below"
        text = (f"kill rate {rate} ({self.killed} of {self.counted} mutants, {where}) is {verdict} "
                f"the minimum {self.minimum:.1%}")
        if not self.ok:
            more = f" and {len(self.survivors) - 5} more" if len(self.survivors) > 5 else ""
            text += f"; survivors: {'; '.join(self.survivors[:5])}{more} (`localmig mutate PATH` shows their diffs)"
        return text


def kill_rate_gate(session: Session, minimum: float, *, jobs: int | None = None,
                   progress: ProgressSink | None = None) -> KillRateGate:
    """The kill rate of the session's suite against ``minimum``, from the kept report when it still holds."""
    options = MutateOptions(jobs=jobs or max(1, min(os.cpu_count() or 1, 8)))
    kept = cached_report(session.project.root)
    cached = kept is not None and not kept.interrupted and kept.key == current_key(session, options)
    report = kept if cached and kept is not None else run_mutations(session, options, progress or (lambda event: None))
    totals = report.totals
    return KillRateGate(minimum=minimum, rate=totals.rate, killed=totals.killed, counted=totals.killed + totals.survived,
                        cached=cached, survivors=[f"{m.revision} line {m.line}: {m.description}" for m in report.survivors])
