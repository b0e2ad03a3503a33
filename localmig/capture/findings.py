"""Findings: defects of the history itself, found by running it, and which tests each explains."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

FindingKind = Literal[
    "upgrade_failed",
    "not_applied",
    "downgrade_failed",
    "downgrade_incomplete",
    "downgrade_not_implemented",
    "round_trip_failed",
    "multiple_heads",
    "upgrade_fails_with_rows",
    "downgrade_fails_with_rows",
    "downgrade_loses_rows",
    "models_differ_from_head",
]

# Which generated tests a finding explains when they fail (see verify.py).
FINDING_ASPECTS: dict[str, set[str]] = {
    "upgrade_failed": {"upgrade", "downgrade", "round_trip", "data"},
    "not_applied": {"upgrade", "downgrade", "round_trip", "data"},
    "downgrade_failed": {"downgrade", "round_trip", "data"},
    "downgrade_incomplete": {"downgrade", "round_trip", "data"},
    "downgrade_not_implemented": {"downgrade", "round_trip", "data"},
    "round_trip_failed": {"round_trip", "data"},
    "multiple_heads": set(),
    "upgrade_fails_with_rows": {"data"},
    "downgrade_fails_with_rows": {"data"},
    "downgrade_loses_rows": {"data"},
    "models_differ_from_head": {"models"},
}


# Findings a downgrade across a one-way revision is expected to give (see localmig/baseline.py).
ONE_WAY_KINDS: frozenset[str] = frozenset(
    {"downgrade_failed", "downgrade_incomplete", "downgrade_not_implemented", "round_trip_failed",
     "downgrade_fails_with_rows", "downgrade_loses_rows"})

Acceptance = Literal["acknowledged", "one_way"]


class Finding(BaseModel):
    """A defect of the history itself, found by running it."""

    revision: str | None = None
    kind: FindingKind
    message: str
    details: list[str] = Field(default_factory=list)
    accepted: Acceptance | None = Field(
        None, description="Why the finding does not fail `localmig check`: acknowledged in the baseline file, or "
        "one_way: a downgrade finding of a revision declared one-way (or below one). None: it counts.")
    reason: str | None = Field(None, description="The reason given with the acknowledgement or the one-way declaration.")

    @property
    def label(self) -> str:
        """How the finding is shown: its kind, or how it is accepted."""
        return {"acknowledged": f"{self.kind} (acknowledged)", "one_way": f"{self.kind}: one-way (declared)",
                None: self.kind}[self.accepted]

