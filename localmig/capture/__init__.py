"""The capture stage: the history run on scratch databases, its schema at every revision, its findings."""

from .findings import FINDING_ASPECTS, ONE_WAY_KINDS, Acceptance, Finding, FindingKind
from .run import Capture, HistoryCapture, RevisionCapture, quiet_role_notes

__all__ = ["FINDING_ASPECTS", "ONE_WAY_KINDS", "Acceptance", "Capture", "Finding", "FindingKind", "HistoryCapture",
           "RevisionCapture", "quiet_role_notes"]
