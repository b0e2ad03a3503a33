"""The detail pane of the migration list: what the selected revision is, changes and risks."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...pipeline import Session
from ..state import STATUS_WORDS, Entry


class DetailPane(VerticalScroll):
    """Revision facts, the schema diff summary, the findings, and the generated tests if any."""

    def compose(self):
        yield Static(id="detail-body")

    def say(self, text: str) -> None:
        self.query_one("#detail-body", Static).update(Text(text))

    def show(self, session: Session, revision_id: str, status: str, entry: Entry | None, progress: str) -> None:
        colours = self.app.get_css_variables()
        revision = session.project.by_id[revision_id]
        heading = Text(f"{revision.id}  ", style="bold")
        heading.append(revision.message or "(no message)")
        facts = Text()
        parents = ", ".join(revision.down_revisions) or "(base)"
        facts.append(f"file      {Path(revision.path).name}\n")
        facts.append(f"created   {revision.created or '?'}\n")
        facts.append(f"parents   {parents}\n")
        if revision.branch_labels:
            facts.append(f"labels    {', '.join(revision.branch_labels)}\n")
        if revision.downgrade != "implemented":
            facts.append(f"downgrade {revision.downgrade}\n", style=colours.get("warning", ""))
        facts.append(f"tests     {STATUS_WORDS.get(status, status)}\n")
        findings = session.findings_for(revision.id)
        parts: list[Text] = [heading, facts, Text(f"Findings ({len(findings)})", style="bold underline")]
        if not findings:
            parts.append(Text("none", style=colours.get("text-muted", "")))
        for finding in findings:
            line = Text(f"• {finding.kind}: ", style=colours.get("error", ""))
            line.append(finding.message, style="")
            parts.append(line)
            parts += [Text(f"    {detail}") for detail in finding.details]
        parts.append(Text("\nSchema changes", style="bold underline"))
        capture = session.capture.captures.get(revision.id)
        if capture is None or not capture.applied or capture.diff is None:
            parts.append(Text("the upgrade could not be applied", style=colours.get("error", "")))
        elif capture.diff.changes:
            parts.append(Text("\n".join(f"• {line}" for line in capture.diff.describe())))
        else:
            parts.append(Text("no schema change", style=colours.get("text-muted", "")))
        if revision.data_operations:
            parts.append(Text("data steps: " + ", ".join(revision.data_operations)))
        if progress or entry is not None:
            parts.append(Text("\nThis session", style="bold underline"))
        if progress:
            parts.append(Text(progress))
        if entry is not None:
            engines = [t.engine for t in entry.item.plan.tests]
            made = ", ".join(f"{engines.count(e)} {e}" for e in ("deterministic", "model") if e in engines)
            parts.append(Text(f"{len(entry.item.plan.tests)} tests ({made}): {entry.summary()}"))
            if entry.decision:
                parts.append(Text(entry.decision))
        self.query_one("#detail-body", Static).update(Group(*parts))
