"""What the app knows between screens: generated items, the reviewer's edits and decisions.

Plain Python (no widgets), so both screens read the same facts and tests can check them.
Nothing here writes a file: accepting goes through :mod:`localmig.tui.writer`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..items import ReviewItem, WriteResult
from ..outcomes import TestOutcome

Decision = Literal["accepted", "rejected"]

STATUS_WORDS = {
    "missing": "none",
    "current": "current",
    "stale": "stale",
    "hand_edited": "hand-edited",
    "not_generated": "hand-written",
}


@dataclass
class Entry:
    """One revision's generated module as the reviewer sees it."""

    item: ReviewItem
    text: str = ""
    outcomes: list[TestOutcome] = field(default_factory=list)
    tested_text: str = ""
    decision: Decision | None = None
    written: list[WriteResult] = field(default_factory=list)
    writing: bool = False  # an accept is being written: no second one
    migration_changed: bool = False  # the project was loaded again and this revision's file differs

    def __post_init__(self) -> None:
        self.text = self.text or self.item.module
        self.outcomes = self.outcomes or list(self.item.outcomes)
        self.tested_text = self.tested_text or self.item.module

    @property
    def revision(self) -> str:
        return self.item.revision.id

    @property
    def edited(self) -> bool:
        return self.text != self.item.module

    @property
    def untested_edits(self) -> bool:
        """The editor holds text that was not run since it changed."""
        return self.text != self.tested_text

    def count(self, verdict: str) -> int:
        return sum(1 for o in self.outcomes if o.verdict == verdict)

    def short(self) -> str:
        """The summary in a few characters, for the list."""
        parts = [f"{self.count('passed')} ok"]
        parts += [f"{n} {word}" for n, word in ((self.count("migration_defect"), "defect"),
                                                 (self.count("test_defect"), "failed"), (len(self.item.dropped), "out")) if n]
        return ", ".join(parts)

    def summary(self) -> str:
        parts = [f"{self.count('passed')} passed"]
        if self.count("migration_defect"):
            parts.append(f"{self.count('migration_defect')} expose a defect")
        if self.count("test_defect"):
            parts.append(f"{self.count('test_defect')} failed")
        if self.item.dropped:
            parts.append(f"{len(self.item.dropped)} left out")
        return ", ".join(parts)

    def engines(self) -> str:
        """Who wrote the tests kept (after the decision), and why no model test is among them."""
        kept = self.item.engines()
        if kept["model"]:
            return f"{kept['model']} by the model + {kept['deterministic']} deterministic"
        if self.item.conversation is None:
            return "deterministic only"
        if self.item.model_error:
            return "deterministic only (the model gave no usable answer)"
        return "deterministic only (the model's tests were left out)"

    def words(self) -> str:
        """Everything the list's filter may match for this entry: verdicts and the decision."""
        verdicts = {o.verdict.replace("_", " ") for o in self.outcomes} | {o.verdict for o in self.outcomes}
        if self.item.dropped:
            verdicts |= {"left out", "dropped"}
        return " ".join(sorted(verdicts) + [self.decision or "to review", "generated"])


@dataclass
class Problem:
    """Why a revision got nothing in this session: the message and hint in full."""

    message: str
    hint: str | None = None


@dataclass
class ReviewState:
    """Generated entries by revision id, and the progress of revisions still being worked on."""

    entries: dict[str, Entry] = field(default_factory=dict)
    progress: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)

    def add(self, item: ReviewItem) -> Entry:
        entry = Entry(item)
        self.entries[item.revision.id] = entry
        self.progress.pop(item.revision.id, None)
        self.notes.pop(item.revision.id, None)
        self.problems.pop(item.revision.id, None)
        return entry

    def ordered(self, history: list[str]) -> list[str]:
        """Revisions with an entry, in history order."""
        return [r for r in history if r in self.entries]

    def undecided(self) -> list[str]:
        return [r for r, e in self.entries.items() if e.decision is None]

    def label(self, revision: str) -> str:
        """One short phrase for the list: what happened to this revision in this session."""
        if revision in self.progress:
            return self.progress[revision]
        entry = self.entries.get(revision)
        if entry is None:
            return self.notes.get(revision, "")
        if entry.writing:
            return "writing…"
        if entry.decision:
            return entry.decision
        return "to review: " + entry.short()
