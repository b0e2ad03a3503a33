"""The detail pane of the migration list: the revision under the cursor in full (message wrapped,
graph, findings, schema changes) and what happened to it in this session, errors in full."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..facts import ProjectFacts
from ..state import STATUS_WORDS, Entry, Problem
from .revision_table import markers


class DetailPane(VerticalScroll):
    """Revision facts, the schema diff summary, the findings, and the generated tests if any."""

    def compose(self) -> ComposeResult:
        yield Static(id="detail-body")

    def say(self, text: str) -> None:
        self.query_one("#detail-body", Static).update(Text(text))

    def show(self, facts: ProjectFacts, revision_id: str, status: str, entry: Entry | None, progress: str,
             problem: Problem | None) -> None:
        colours = self.app.get_css_variables()
        revision = facts.by_id[revision_id]
        heading = Text(f"{revision.id}  ", style="bold")
        heading.append(revision.message or "(no message)")
        facts_text = Text(f"tests {STATUS_WORDS.get(status, status)} · parents {', '.join(revision.down_revisions) or '(base)'}")
        if markers(revision):
            facts_text.append(f" · {markers(revision)}")
        if revision.downgrade != "implemented":
            facts_text.append(f" · downgrade {revision.downgrade}", style=colours.get("warning", ""))
        findings = facts.findings_for(revision.id)
        parts: list[RenderableType] = [heading, facts_text, Text(f"\nFindings ({len(findings)})", style="bold underline")]
        if not findings:
            parts.append(Text("none", style=colours.get("text-muted", "")))
        for finding in findings:
            line = Text(f"• {finding.kind}: ", style=colours.get("error", ""))
            line.append(finding.message, style="")
            parts.append(line)
            parts += [Text(f"    {detail}") for detail in finding.details]
        parts.append(Text("\nSchema changes", style="bold underline"))
        changes = facts.changes.get(revision.id)
        if changes is None:
            parts.append(Text("the upgrade could not be applied", style=colours.get("error", "")))
        elif changes:
            parts.append(Text("\n".join(f"• {line}" for line in changes)))
        else:
            parts.append(Text("no schema change", style=colours.get("text-muted", "")))
        if revision.data_operations:
            parts.append(Text("data steps: " + ", ".join(revision.data_operations)))
        parts += self.session_parts(progress, entry, problem, colours)
        parts.append(Text(f"\nfile {Path(revision.path).name}\ncreated {(revision.created or '?')[:16]}",
                          style=colours.get("text-muted", "")))
        self.query_one("#detail-body", Static).update(Group(*parts))

    @staticmethod
    def session_parts(progress: str, entry: Entry | None, problem: Problem | None,
                      colours: dict[str, str]) -> list[RenderableType]:
        if not (progress or entry or problem):
            return []
        parts: list[RenderableType] = [Text("\nThis session", style="bold underline")]
        if progress:
            parts.append(Text(progress))
        if problem is not None:
            parts.append(Text(f"error: {problem.message}", style=colours.get("error", "")))
            if problem.hint:
                parts.append(Text(f"hint: {problem.hint}"))
        if entry is not None:
            parts.append(Text(f"{len(entry.item.plan.tests)} tests, {entry.engines()}: {entry.summary()}"))
            if entry.item.model_error:
                parts.append(Text(f"model: {entry.item.model_error}", style=colours.get("warning", "")))
            if entry.decision:
                parts.append(Text(entry.decision))
        return parts
