"""The migration's own literals behind the placeholders a model is shown, kept on this machine.

The prompt shows the migration source redacted (:mod:`localmig.context.redact`): values in
``op.bulk_insert`` rows and other constants become ``<str_1>`` / ``<num_2>``, literals in SQL text
become ``:str_3`` / ``:num_4``. A scenario may use those placeholders as values (an order whose
status is ``<str_16>`` reaches ``WHERE status = :str_16``); :class:`Literals` maps each one back to
the real value before anything runs, and maps real values back to placeholders in whatever goes
to the model again. The map is built here from the source and the redacted text; it never leaves
the process.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import Any

from ...context import redact_source
from ...syntax import parse

PLACEHOLDER = re.compile(r"<(str|num)_(\d+)>|:(str|num)_(\d+)\b")
_SQL_STRING = r"'(?:[^']|'')*'"
_SQL_NUMBER = r"-?\d+(?:\.\d+)?"


def canonical(match: re.Match[str]) -> str:
    """``<str_3>`` for both spellings (``<str_3>`` and ``:str_3``)."""
    kind, number = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    return f"<{kind}_{number}>"


class Literals:
    """Placeholder -> the migration's literal, and back."""

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = dict(values or {})

    @classmethod
    def of_source(cls, source: str) -> Literals:
        """The placeholders of ``redact_source(source)`` and the literals they stand for
        (empty when the two cannot be lined up, so nothing is ever substituted wrongly)."""
        try:
            original = parse(source)
            redacted = parse(redact_source(source))
        except (SyntaxError, ValueError):
            return cls()
        pairs = _constant_pairs(original, redacted)
        found: dict[str, Any] = {}
        for value, shown in pairs or []:
            if not isinstance(shown, str):
                continue
            whole = PLACEHOLDER.fullmatch(shown)
            if whole and shown.startswith("<"):
                found[canonical(whole)] = value
            elif isinstance(value, str) and PLACEHOLDER.search(shown):
                found.update(_sql_literals(value, shown))
        return cls(found)

    def names(self, kind: str | None = None) -> list[str]:
        """The placeholders known, in number order (``kind``: "str" or "num" only)."""
        chosen = [p for p in self.values if kind is None or p.startswith(f"<{kind}_")]
        return sorted(chosen, key=lambda p: int(p.rsplit("_", 1)[1][:-1]))

    def substitute(self, value: Any) -> Any:
        """The real literal for a value that is a placeholder (of the literal's type); in a longer
        string, each known placeholder replaced by its literal's text ("x<str_17>"); any other
        value as it is."""
        if not isinstance(value, str):
            return value
        match = PLACEHOLDER.fullmatch(value.strip())
        if match and canonical(match) in self.values:
            return self.values[canonical(match)]
        return PLACEHOLDER.sub(lambda m: str(self.values.get(canonical(m), m.group(0))), value)

    def hide(self, value: Any) -> Any:
        """The placeholder for a value that is one of the migration's literals (the model may see
        the placeholder, never the literal); any other value as it is."""
        if value is None or isinstance(value, bool):
            return value
        for placeholder, literal in self.values.items():
            if type(literal) is type(value) and literal == value:
                return placeholder
        return value

    def known(self) -> set[Any]:
        return set(self.values)


def _constants(tree: ast.AST) -> list[ast.Constant]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Constant)]


def _constant_pairs(original: ast.AST, redacted: ast.AST) -> list[tuple[Any, Any]] | None:
    """The constants of both trees side by side, or None when the trees do not line up."""
    shape = [type(node).__name__ for node in ast.walk(original)]
    if shape != [type(node).__name__ for node in ast.walk(redacted)]:
        return None
    return [(a.value, b.value) for a, b in zip(_constants(original), _constants(redacted))]


def _sql_literals(sql: str, shown: str) -> dict[str, Any]:
    """The literals of ``sql`` behind the ``:str_N`` / ``:num_N`` placeholders of its redacted text."""
    parts = PLACEHOLDER.split(shown)
    # re.split with 4 groups: text, then (kind1, n1, kind2, n2) per placeholder
    pattern, names = "", []
    for index in range(0, len(parts), 5):
        pattern += r"\s*".join(re.escape(word) for word in re.split(r"\s+", parts[index]))
        if index + 1 < len(parts):
            kind = parts[index + 1] or parts[index + 3]
            number = parts[index + 2] or parts[index + 4]
            names.append(f"<{kind}_{number}>")
            pattern += f"({_SQL_STRING if kind == 'str' else _SQL_NUMBER})"
    match = re.fullmatch(pattern, sql.strip(), re.DOTALL) or re.fullmatch(pattern, sql, re.DOTALL)
    if match is None:
        return {}
    found: dict[str, Any] = {}
    for name, raw in zip(names, match.groups()):
        if name.startswith("<str_"):
            found[name] = raw[1:-1].replace("''", "'")
        else:
            found[name] = float(raw) if "." in raw else int(raw)
    return found


def placeholders_in(texts: Iterable[str]) -> set[str]:
    """The placeholders (canonical spelling) that occur in ``texts``."""
    return {canonical(m) for text in texts for m in PLACEHOLDER.finditer(text)}
