"""The capture stage: the history run on scratch databases, its schema at every revision, its findings."""

from pytest_localmig import ScratchFull

from .findings import FINDING_ASPECTS, ONE_WAY_KINDS, Acceptance, Finding, FindingKind
from .run import Capture, HistoryCapture, RevisionCapture, quiet_role_notes, scratch_errors, scratch_full_error

__all__ = ["FINDING_ASPECTS", "ONE_WAY_KINDS", "Acceptance", "Capture", "Finding", "FindingKind", "HistoryCapture",
           "RevisionCapture", "ScratchFull", "quiet_role_notes", "scratch_errors",
           "scratch_full_error"]
