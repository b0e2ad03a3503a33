"""The capture stage: the history run on scratch databases, its schema at every revision, its findings."""

from .findings import FINDING_ASPECTS, Finding, FindingKind
from .run import Capture, HistoryCapture, RevisionCapture

__all__ = ["FINDING_ASPECTS", "Capture", "Finding", "FindingKind", "HistoryCapture", "RevisionCapture"]
