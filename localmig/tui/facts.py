"""What the app shows of a loaded project: an immutable copy of the session's facts.

The session belongs to one thread (:mod:`localmig.tui.owner`); screens and widgets read these
values instead, so nothing on the UI thread ever touches the Session. The owner sends a new
copy when something changes (findings found while generating).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from ..capture import Finding
from ..project import RevisionInfo
from ..render import module_name

if TYPE_CHECKING:
    from ..pipeline import Session


class ProjectFacts(BaseModel):
    """A captured project as the app shows it."""

    model_config = ConfigDict(frozen=True)

    name: str
    root: Path
    out: Path = Field(description="The suite folder.")
    dialect: str
    revisions: list[RevisionInfo] = Field(description="In history order.")
    findings: list[Finding] = Field(default_factory=list)
    changes: dict[str, list[str] | None] = Field(
        default_factory=dict, description="revision -> the measured schema changes; None: the upgrade could not be applied.")
    shared_files: dict[str, str] = Field(default_factory=dict, description="conftest.py… as this localmig writes them.")

    @classmethod
    def of(cls, session: Session, name: str) -> ProjectFacts:
        changes: dict[str, list[str] | None] = {}
        for revision in session.revisions:
            capture = session.capture.captures.get(revision.id)
            applied = capture is not None and capture.applied and capture.diff is not None
            changes[revision.id] = capture.diff.describe() if applied and capture and capture.diff else None
        return cls(name=name, root=session.project.root, out=session.out, dialect=session.capture.dialect,
                   revisions=list(session.revisions), findings=list(session.findings), changes=changes,
                   shared_files=session.shared_files())

    @property
    def by_id(self) -> dict[str, RevisionInfo]:
        return {r.id: r for r in self.revisions}

    @property
    def order(self) -> list[str]:
        return [r.id for r in self.revisions]

    def findings_for(self, revision: str) -> list[Finding]:
        return [f for f in self.findings if f.revision == revision]

    def target(self, revision: RevisionInfo) -> Path:
        """Where the revision's test module goes."""
        return self.out / module_name(revision)

    def with_findings(self, findings: list[Finding]) -> ProjectFacts:
        return self.model_copy(update={"findings": list(findings)})
