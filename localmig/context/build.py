"""What a model may see about one revision, assembled in one place (the privacy boundary)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, Field

from ..project import RevisionInfo
from ..schema import SchemaDiff, SchemaSnapshot
from .redact import redact_finding, redact_source


class ModelContext(BaseModel):
    """Everything a model may see about one revision (and nothing else)."""

    revision: str
    message: str
    dialect: str
    changes: list[str]
    schema_before: dict[str, list[str]] = Field(description="table -> DDL-like lines")
    schema_after: dict[str, list[str]]
    source: str = Field(description="The redacted migration source.")
    neighbours: list[str] = Field(default_factory=list, description="Tables shown only as foreign-key neighbours.")
    existing_tests: list[str]
    findings: list[str]
    hint: str = ""
    cut: list[str] = Field(default_factory=list, description="What was left out to fit the context window.")

    def names(self) -> set[str]:
        """The names the model is shown anyway: revision, tables, columns, constraints."""
        text = " ".join([self.revision, *self.changes, *self.schema_before, *self.schema_after,
                         *(line for lines in self.schema_before.values() for line in lines),
                         *(line for lines in self.schema_after.values() for line in lines)])
        return {self.revision, *re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)}

    def variables(self) -> dict[str, str]:
        """The template variables of generate.txt."""
        return {
            "revision": self.revision,
            "message": self.message or "(no message)",
            "dialect": self.dialect,
            "changes": _lines(self.changes, "(no schema change)"),
            "schema_before": _tables(self.schema_before),
            "schema_after": _tables(self.schema_after),
            "source": self.source,
            "existing_tests": _lines(self.existing_tests, "(none)"),
            "findings": _lines(self.findings, "(none)"),
            "hint": f"\nWhat the reviewer asks for: {self.hint}\n" if self.hint else "",
            "cut": f"\n(Left out to fit the context window: {'; '.join(self.cut)}.)\n" if self.cut else "",
        }


def _lines(items: list[str], empty: str) -> str:
    return "\n".join(f"- {item}" for item in items) if items else empty


def _tables(tables: dict[str, list[str]]) -> str:
    if not tables:
        return "(no tables)"
    return "\n".join(f"{name}:\n" + "\n".join(f"  {line}" for line in lines) for name, lines in tables.items())


def build_context(
    revision: RevisionInfo,
    source_path: Path,
    diff: SchemaDiff,
    before: SchemaSnapshot,
    after: SchemaSnapshot,
    *,
    dialect: str,
    existing_tests: list[str],
    findings: list[str],
    hint: str = "",
) -> ModelContext:
    touched = set(diff.touched_tables)
    source = redact_source(source_path.read_text(encoding="utf-8"), dialect)
    mentioned = _mentioned_tables(source, before, after)  # in code, not in comments or docstring prose
    focus = touched | mentioned
    neighbours = before.neighbours(focus) | after.neighbours(focus)
    shown = sorted(focus | neighbours)
    known = _shown_words(" ".join([source, revision.id, revision.message, *diff.describe(),
                                   *(" ".join(t.describe()) for t in [*before.tables.values(), *after.tables.values()])]))
    return ModelContext(
        revision=revision.id,
        message=revision.message,
        dialect=dialect,
        changes=diff.describe(),
        schema_before={t: before.tables[t].describe() for t in shown if t in before.tables},
        schema_after={t: after.tables[t].describe() for t in sorted(touched) if t in after.tables},
        source=source,
        neighbours=sorted(neighbours),
        existing_tests=existing_tests,
        findings=[redact_finding(f, dialect, known) for f in findings],
        hint=hint,
    )


def _shown_words(text: str) -> set[str]:
    """The names and numbers of what the model is shown anyway (the redacted source, the schemas):
    a finding may quote them; any other quoted value or number in it is redacted."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_$]*|\d+", text))
    return words | {part for word in words for part in word.split(".")}


def _mentioned_tables(source: str, before: SchemaSnapshot, after: SchemaSnapshot) -> set[str]:
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", source))
    words |= {part for word in words for part in word.split(".")}
    return {t for t in set(before.tables) | set(after.tables) if t in words}

