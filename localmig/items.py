"""The values the pipeline hands from stage to stage and to the front ends.

A :class:`ReviewItem` is one revision's generated tests after verification, waiting for a
decision (accept in the review app, the write policy in batch mode). It is immutable: each stage
returns a new one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .capture import Finding
from .engines.model import Conversation
from .observe import DataObservation
from .outcomes import TestOutcome
from .plan import TestPlan
from .project import RevisionInfo
from .render import FileStatus, RenderedModule, module_name
from .schema import SchemaDiff


class ReviewItem(BaseModel):
    """One revision's generated tests, verified, waiting for a decision."""

    model_config = ConfigDict(frozen=True)

    revision: RevisionInfo
    diff: SchemaDiff | None = None
    observation: DataObservation | None = None
    plan: TestPlan = Field(description="The tests of the module: after the decision, those kept.")
    findings: list[Finding] = Field(default_factory=list)
    rendered: RenderedModule | None = Field(None, description="Every planned test, rendered once.")
    module: str = Field("", description="The module file as it would be written, header included.")
    existing: FileStatus = "missing"
    outcomes: list[TestOutcome] = Field(default_factory=list)
    dropped: list[TestOutcome] = Field(default_factory=list, description="Tests left out: they failed and no finding explains why.")
    conversation: Conversation | None = Field(None, description="What was sent to the model and what it answered.")
    model_error: str | None = None
    error: str | None = Field(None, description="Why this revision got no tests (it could not be planned, rendered or verified).")
    hint: str = Field("", description="A reviewer's hint for the model, added to the prompt.")

    @property
    def filename(self) -> str:
        return module_name(self.revision)

    def count(self, verdict: str) -> int:
        return sum(1 for o in self.outcomes if o.verdict == verdict)

    def engines(self) -> dict[str, int]:
        """Tests of the module by engine (after the decision: the tests kept)."""
        return {e: sum(1 for t in self.plan.tests if t.engine == e) for e in ("deterministic", "model")}


class WriteResult(BaseModel):
    path: str
    action: Literal["written", "unchanged", "kept_hand_edited", "dry_run"]
