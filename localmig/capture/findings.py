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
}


class Finding(BaseModel):
    """A defect of the history itself, found by running it."""

    revision: str | None = None
    kind: FindingKind
    message: str
    details: list[str] = Field(default_factory=list)

