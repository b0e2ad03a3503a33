"""What became of each planned test when it ran, and what localmig makes of it.

Every planned test gets an outcome: one that pytest never reported (its module did not import,
collection failed, the name is not in the module) is ``not_run``, a verification failure of its
own, never "passed". A failing test is a *migration defect* when a finding of the capture
explains it (a downgrade test of a revision whose downgrade raises), else a *test defect*.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .capture import FINDING_ASPECTS, Finding
from .plan import Aspect, Engine

Outcome = Literal["passed", "failed", "error", "skipped", "not_run"]
Verdict = Literal["passed", "migration_defect", "test_defect", "not_run"]


class PlannedTest(BaseModel):
    """What verification needs to know of a test it expects: what it exercises and who wrote it."""

    aspect: Aspect | None = None
    engine: Engine | None = None


class ExpectedModule(BaseModel):
    """A test module handed to verification: its revision and the tests it must report."""

    revision: str
    tests: dict[str, PlannedTest] = Field(default_factory=dict)


class TestOutcome(BaseModel):
    """What happened to one generated test, and what localmig makes of it."""

    __test__ = False

    revision: str
    name: str
    aspect: Aspect | None = None
    engine: Engine | None = None
    outcome: Outcome
    message: str = ""
    output: str = Field("", description="pytest's report of the failure (bounded).")
    verdict: Verdict = "passed"
    finding: str | None = Field(None, description="The finding that explains the failure, if any.")
    refused: str | None = Field(None, description="What localmig's runtime policy refused the test (never written).")


class VerificationResult(BaseModel):
    outcomes: list[TestOutcome] = Field(default_factory=list)
    duration: float = 0.0
    returncode: int = 0
    collection_errors: dict[str, str] = Field(default_factory=dict, description="module file -> why it was not collected.")
    refusals: list[str] = Field(default_factory=list, description="What the runtime policy refused, by test.")

    def for_revision(self, revision: str) -> list[TestOutcome]:
        return [o for o in self.outcomes if o.revision == revision]

    def count(self, verdict: Verdict) -> int:
        return sum(1 for o in self.outcomes if o.verdict == verdict)

    def reclassified(self, findings: list[Finding]) -> VerificationResult:
        """The same outcomes with verdicts decided again against ``findings``."""
        outcomes = [classify(o, [f for f in findings if f.revision == o.revision]) for o in self.outcomes]
        return self.model_copy(update={"outcomes": outcomes})


def classify(result: TestOutcome, findings: list[Finding]) -> TestOutcome:
    """The outcome with its verdict: passed, not run, a migration defect (a finding explains it)
    or a test defect."""
    policy = _policy_reason(result)
    if policy is not None:  # the runtime policy refused something: a defect of the test, whatever else failed
        return result.model_copy(update={"verdict": "test_defect", "finding": None, "refused": policy})
    if result.outcome in ("passed", "skipped"):
        return result.model_copy(update={"verdict": "passed", "finding": None})
    if result.outcome == "not_run":
        return result.model_copy(update={"verdict": "not_run", "finding": None})
    for finding in findings:
        if result.aspect in FINDING_ASPECTS[finding.kind]:
            return result.model_copy(update={"verdict": "migration_defect", "finding": finding.message})
    return result.model_copy(update={"verdict": "test_defect", "finding": None})


POLICY_MARK = "localmig policy:"  # localmig.policy.MARK (outcomes imports nothing of the subprocess side)


def _policy_reason(result: TestOutcome) -> str | None:
    """The policy's refusal in a failed test's message or output (its first line), if any."""
    line = marked_line(result, POLICY_MARK)
    return line[:300] if line else None


def marked_line(result: TestOutcome, mark: str) -> str | None:
    """A failed test's message or output from ``mark`` to the end of that line, if either holds it."""
    if result.outcome not in ("failed", "error"):
        return None
    for text in (result.message, result.output):
        at = text.find(mark)
        if at >= 0:
            return text[at:].splitlines()[0]
    return None
