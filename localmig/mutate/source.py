"""Exact source positions for AST nodes, and the text edits mutation operators make with them.

``ast`` gives every node its start and end as (line, column), columns counted in UTF-8 bytes.
:class:`Source` turns those into offsets in the text, so an edit replaces exactly the characters
of a node (or of an argument with its comma) and leaves every other character of the file as
the user wrote it: the mutant's diff shows one change.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` with ``replacement``."""

    start: int
    end: int
    replacement: str

    def apply(self, text: str) -> str:
        return text[: self.start] + self.replacement + text[self.end :]


class Source:
    """A module's text, its tree, and node positions as character offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tree = ast.parse(text)
        self._lines = text.splitlines(keepends=True)
        self._starts = [0]
        for line in self._lines:
            self._starts.append(self._starts[-1] + len(line))

    def offset(self, line: int, column: int) -> int:
        """The character offset of (1-based ``line``, UTF-8 byte ``column``)."""
        text = self._lines[line - 1] if line - 1 < len(self._lines) else ""
        return self._starts[line - 1] + len(text.encode("utf-8")[:column].decode("utf-8", errors="replace"))

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def segment(self, node: ast.AST) -> str:
        return self.text[self.start(node) : self.end(node)]

    def replace(self, node: ast.AST, replacement: str) -> Edit:
        """An edit replacing exactly the node's characters."""
        return Edit(self.start(node), self.end(node), replacement)

    def remove_argument(self, call: ast.Call, argument: ast.AST) -> Edit:
        """An edit removing one argument (positional or keyword) of ``call``, with its comma."""
        items = sorted([*call.args, *call.keywords], key=lambda n: (n.lineno, n.col_offset))  # type: ignore[attr-defined]
        index = next(i for i, item in enumerate(items) if item is argument)
        if index > 0:  # ", argument": from the end of the one before
            return Edit(self.end(items[index - 1]), self.end(argument), "")
        if len(items) > 1:  # "argument, ": up to the start of the next one
            return Edit(self.start(argument), self.start(items[1]), "")
        return Edit(self.start(argument), self.end(argument), "")

    def remove_statement(self, statement: ast.stmt) -> Edit:
        """An edit replacing a statement by ``pass`` (the block stays valid; line numbers move little)."""
        return self.replace(statement, "pass")

    def one_line(self, node: ast.AST, limit: int = 90) -> str:
        """The node's source on one line, whitespace collapsed, cut at ``limit`` characters."""
        text = " ".join(self.segment(node).split())
        return text if len(text) <= limit else text[: limit - 1] + "…"
