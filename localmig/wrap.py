"""Long lines of generated code, wrapped so that ruff (line-length 120) has nothing to say about them.

Only line breaks (and indentation) are added inside brackets, where Python ignores them; the one
other change is an assert's message put in parentheses, or a long string message split into
implicitly concatenated pieces, which leaves its value the same. :func:`wrap_code` checks that
the wrapped module parses to the same AST as before and otherwise returns the code unchanged.

Strategies, first that fits wins: an assert's message on its own lines; a *visual* fill that
breaks after commas and aligns the rest under its opening bracket (rows of data, tuples); a
*hanging* split of a bracket's content onto indented lines of their own (calls).
"""

from __future__ import annotations

import ast
import io
import tokenize
from typing import NamedTuple

from .syntax import parse

LIMIT = 120
_OPENERS, _CLOSERS = "([{", ")]}"


class _Token(NamedTuple):
    start: int
    end: int
    kind: int
    text: str
    depth: int  # brackets open (on this line) around the token
    opener: int | None  # the column of the innermost of them
    opaque: bool  # inside an f-string (Python 3.12 tokenizes its parts)


def wrap_code(source: str, limit: int = LIMIT) -> str:
    """``source`` with every line longer than ``limit`` wrapped, where it can be (see the module docstring)."""
    lines = source.split("\n")
    if all(len(line) <= limit for line in lines):
        return source
    nested, covered = _context(source)
    out: list[str] = []
    for number, line in enumerate(lines, 1):
        wrapped = None
        if len(line) > limit and number not in covered:
            wrapped = wrap_line(line, nested.get(number, False), limit)
        out.extend(wrapped or [line])
    result = "\n".join(out)
    try:
        if ast.dump(parse(result)) == ast.dump(parse(source)):
            return result
    except SyntaxError:
        pass
    return source


def _context(source: str) -> tuple[dict[int, bool], set[int]]:
    """For each line: whether it starts inside brackets; and the lines inside multi-line tokens."""
    nested: dict[int, bool] = {}
    covered: set[int] = set()
    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            row = token.start[0]
            nested.setdefault(row, depth > 0)
            if token.end[0] != row:
                covered.update(range(row, token.end[0] + 1))
            if token.type == tokenize.OP and token.string in _OPENERS:
                depth += 1
            elif token.type == tokenize.OP and token.string in _CLOSERS:
                depth -= 1
    except (tokenize.TokenError, SyntaxError):
        pass
    return nested, covered


def wrap_line(line: str, nested: bool = False, limit: int = LIMIT) -> list[str] | None:
    """One physical line as several, each within ``limit``; None if no strategy fits. ``nested``:
    the line starts inside brackets opened on an earlier line (so it may break at its own commas)."""
    if len(line) <= limit:
        return [line]
    code = line.strip()
    indent = line[: len(line) - len(line.lstrip())]
    tokens = _tokens(code)
    if not tokens:
        return None
    for strategy in (_assert_message, _visual, _hanging):
        lines = strategy(indent, code, tokens, nested, limit)
        if lines:
            return lines
    return None


def _tokens(code: str) -> list[_Token] | None:
    """The tokens of one line of code, or None if it has a comment or a token that goes on."""
    tokens: list[_Token] = []
    openers: list[int] = []
    fstrings = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT):
                continue
            if token.type == tokenize.COMMENT or token.start[0] != 1 or token.end[0] != 1:
                return None
            name = tokenize.tok_name.get(token.type, "")
            fstrings += name == "FSTRING_START"
            opaque = fstrings > 0
            fstrings -= name == "FSTRING_END"
            bracket = token.type == tokenize.OP and not opaque
            if bracket and token.string in _CLOSERS:
                if not openers:
                    return None
                openers.pop()
            tokens.append(_Token(token.start[1], token.end[1], token.type, token.string, len(openers),
                                 openers[-1] if openers else None, opaque))
            if bracket and token.string in _OPENERS:
                openers.append(token.start[1])
    except (tokenize.TokenError, SyntaxError):
        pass  # the line opens brackets that close on a later line: what was read is enough
    return tokens


def _is_comma(token: _Token) -> bool:
    return token.kind == tokenize.OP and token.text == "," and not token.opaque


def _assert_message(indent: str, code: str, tokens: list[_Token], nested: bool, limit: int) -> list[str] | None:
    """``assert condition, (`` / the message / ``)``."""
    if nested or tokens[0].text != "assert":
        return None
    comma = next((t for t in tokens if _is_comma(t) and t.depth == 0), None)
    if comma is None:
        return None
    first = f"{indent}{code[: comma.end]} ("
    if len(first) > limit:
        return None
    message = code[comma.end :].strip()
    inner = indent + "    "
    body = wrap_line(inner + message, True, limit) or _split_string(inner, message, limit)
    return [first, *body, indent + ")"] if body else None


def _split_string(indent: str, literal: str, limit: int) -> list[str] | None:
    """A plain string literal as implicitly concatenated pieces that fit (the same value)."""
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return None
    if not isinstance(value, str) or literal[:1] not in "'\"":
        return None
    words = value.split(" ")
    pieces: list[str] = []
    current = ""
    for index, word in enumerate(words):
        word = word + (" " if index < len(words) - 1 else "")
        if current and len(indent) + len(repr(current + word)) > limit:
            pieces.append(current)
            current = ""
        current += word
    pieces.append(current)
    lines = [indent + repr(piece) for piece in pieces]
    return lines if all(len(line) <= limit for line in lines) else None


def _visual(indent: str, code: str, tokens: list[_Token], nested: bool, limit: int) -> list[str] | None:
    """Break after commas, each continuation aligned one column right of its opening bracket."""
    breaks = [t for t in tokens if _is_comma(t) and (t.depth >= 1 or nested) and t.end < len(code)]
    if not breaks:
        return None
    placed: dict[int, int] = {}  # column of an opening bracket in code -> its column in the output
    out: list[str] = []
    start, prefix = 0, indent
    while len(prefix) + len(code) - start > limit:
        fits = [t for t in breaks if t.end > start and len(prefix) + len(code[start : t.end].rstrip()) <= limit]
        if not fits:
            return None
        best = min(fits, key=lambda t: (t.depth, -1 if t.opener is None else t.opener, -t.end))
        for token in tokens:
            if start <= token.start < best.end and token.text in _OPENERS and not token.opaque:
                placed[token.start] = len(prefix) + token.start - start
        out.append(prefix + code[start : best.end].rstrip())
        start = best.end
        while start < len(code) and code[start] == " ":
            start += 1
        column = placed[best.opener] + 1 if best.opener is not None and best.depth >= 1 else len(indent)
        prefix = " " * column
    out.append(prefix + code[start:])
    return out


def _hanging(indent: str, code: str, tokens: list[_Token], nested: bool, limit: int) -> list[str] | None:
    """``head(`` / the content on indented lines (filled, comma-separated) / ``)tail``."""
    closers = [i for i, t in enumerate(tokens) if t.text in _CLOSERS and not t.opaque and t.depth == 0]
    for close in reversed(closers):
        open_ = max(i for i in range(close) if tokens[i].text in _OPENERS and tokens[i].depth == 0
                    and not tokens[i].opaque)
        head, tail = indent + code[: tokens[open_].end], indent + code[tokens[close].start :]
        body = code[tokens[open_].end : tokens[close].start].strip()
        if not body or len(head) > limit or len(tail) > limit:
            continue
        cuts = [t.end for t in tokens[open_ + 1 : close] if _is_comma(t) and t.depth == 1]
        items = [code[a:b].strip() for a, b in zip([tokens[open_].end, *cuts], [*cuts, tokens[close].start])]
        lines = _fill([item for item in items if item], indent + "    ", limit)
        if lines:
            return [head, *lines, tail]
    return None


def _fill(items: list[str], indent: str, limit: int) -> list[str] | None:
    """Items (each with its comma already) packed onto lines of at most ``limit``."""
    lines: list[str] = []
    current = ""
    for item in items:
        candidate = f"{current} {item}" if current else item
        if len(indent) + len(candidate) <= limit:
            current = candidate
            continue
        if current:
            lines.append(indent + current)
            current = ""
        if len(indent) + len(item) <= limit:
            current = item
            continue
        wrapped = wrap_line(indent + item, True, limit)
        if wrapped is None:
            return None
        lines += wrapped
    if current:
        lines.append(indent + current)
    return lines
