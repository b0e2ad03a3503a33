"""SQL text with its literals redacted, read by sqlglot's tokenizer (not by regexes).

Every literal the tokenizer reads becomes a placeholder: strings of every form (``'…'``,
``E'…'``, ``N'…'``, ``X'…'``, ``B'…'``, ``U&'…'``, ``$$…$$``, ``$tag$…$tag$``) become
``:str_N``, numbers ``:num_N`` (a sign in front included). Comments are dropped. Names stay,
quoted or not, and so do keywords, operators and bind parameters (``:name``, ``%(name)s``,
``?``, ``$1``). The tokenizer is the capture's dialect's, made to read the literal prefixes of
PostgreSQL in every dialect too: a migration may hold SQL for another database in a branch
(``if op.get_bind().dialect.name == "postgresql"``), and reading too much as a literal only
hides a little more. Text the tokenizer cannot read to its end (an unterminated quote) is
kept up to the last token it read; the rest becomes one placeholder.
"""

from __future__ import annotations

import functools

from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, Tokenizer, TokenType

# SQLAlchemy's dialect names (and sqlglot's own) -> sqlglot's
_DIALECTS = {"postgresql": "postgres", "postgres": "postgres", "sqlite": "sqlite", "mysql": "mysql", "mariadb": "mysql",
             "mssql": "tsql", "tsql": "tsql", "oracle": "oracle", "duckdb": "duckdb", "snowflake": "snowflake",
             "bigquery": "bigquery"}

STRINGS = {TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.RAW_STRING, TokenType.NATIONAL_RAW_STRING,
           TokenType.HEREDOC_STRING, TokenType.BYTE_STRING, TokenType.BIT_STRING, TokenType.HEX_STRING,
           TokenType.UNICODE_STRING}
# Tokens after which a "-" is a binary minus (a value ends there), not the sign of a number.
_VALUE_ENDS = STRINGS | {TokenType.NUMBER, TokenType.VAR, TokenType.IDENTIFIER, TokenType.R_PAREN,
                         TokenType.R_BRACKET, TokenType.PLACEHOLDER, TokenType.NULL, TokenType.TRUE, TokenType.FALSE}
_PARAMETER_MARKS = {TokenType.PARAMETER, TokenType.COLON}  # $1, :1 are positions, not data


def sqlglot_dialect(name: str | None) -> str:
    """sqlglot's name for a SQLAlchemy dialect name; "" (sqlglot's generic dialect) when unknown."""
    return _DIALECTS.get((name or "").lower().split("+")[0], "")


def _union(*forms: list) -> list:
    merged: list = []
    for form in forms:
        merged += [f for f in form if f not in merged]
    return merged


@functools.cache
def _tokenizer_classes(dialect: str) -> tuple[type[Tokenizer], ...]:
    """The dialect's tokenizer, reading PostgreSQL's literal prefixes too, in two variants: plain
    strings without backslash escapes (the SQL standard's rule) and with them (MySQL's)."""
    base = Dialect.get_or_raise(dialect or None).tokenizer_class
    pg = Postgres.Tokenizer

    class Redacting(base):  # type: ignore[misc, valid-type]
        SINGLE_TOKENS = {**base.SINGLE_TOKENS, "$": TokenType.HEREDOC_STRING}
        BIT_STRINGS = _union(base.BIT_STRINGS, pg.BIT_STRINGS)
        BYTE_STRINGS = _union(base.BYTE_STRINGS, pg.BYTE_STRINGS)
        BYTE_STRING_ESCAPES = _union(base.BYTE_STRING_ESCAPES, pg.BYTE_STRING_ESCAPES)
        HEX_STRINGS = _union(base.HEX_STRINGS, pg.HEX_STRINGS)
        UNICODE_STRINGS = _union(base.UNICODE_STRINGS, pg.UNICODE_STRINGS)
        HEREDOC_STRINGS = _union(base.HEREDOC_STRINGS, pg.HEREDOC_STRINGS)
        HEREDOC_TAG_IS_IDENTIFIER = pg.HEREDOC_TAG_IS_IDENTIFIER
        HEREDOC_STRING_ALTERNATIVE = pg.HEREDOC_STRING_ALTERNATIVE
        VAR_SINGLE_TOKENS = base.VAR_SINGLE_TOKENS | pg.VAR_SINGLE_TOKENS

    class Plain(Redacting):
        STRING_ESCAPES = [escape for escape in base.STRING_ESCAPES if escape != "\\"] or ["'"]

    class Backslashing(Redacting):
        STRING_ESCAPES = _union(base.STRING_ESCAPES, ["\\"])

    return Plain, Backslashing


Span = tuple[int, int, str]  # start, end (exclusive), kind: "str", "num" or "comment"


def literal_spans(sql: str, tokenizer: Tokenizer) -> list[Span]:
    """Where ``tokenizer`` reads a literal or a comment in ``sql`` (in order, not overlapping)."""
    try:
        tokens, unreadable_from = tokenizer.tokenize(sql), None
    except TokenError:
        tokens = list(tokenizer.tokens)
        unreadable_from = tokens[-1].end + 1 if tokens else 0
    spans: list[Span] = []
    position = 0
    for index, token in enumerate(tokens):
        if sql[position:token.start].strip():
            spans.append((position, token.start, "comment"))
        previous = tokens[index - 1] if index else None
        if token.token_type in STRINGS:
            spans.append((token.start, token.end + 1, "num" if sql[token.start:token.start + 2].lower() == "0x" else "str"))
        elif token.token_type == TokenType.NUMBER and not _is_parameter_position(previous, token):
            sign = previous if previous is not None and _is_sign(tokens[index - 2] if index > 1 else None, previous, token, sql) else None
            spans.append((sign.start if sign is not None else token.start, token.end + 1, "num"))
        position = token.end + 1
    rest = sql[unreadable_from if unreadable_from is not None else position:]
    if rest.strip():
        start = len(sql) - len(rest.lstrip())
        spans.append((start, len(sql), "str" if unreadable_from is not None else "comment"))
    return spans


def _merged(spans: list[Span]) -> list[Span]:
    """Overlapping spans as one: a comment only if all of it was read as comments, a number only
    if all of it was read as numbers."""
    merged: list[Span] = []
    for start, end, kind in sorted(spans):
        if merged and start < merged[-1][1]:
            last_start, last_end, last_kind = merged[-1]
            kind = last_kind if last_kind == kind else "str"
            merged[-1] = (last_start, max(last_end, end), kind)
        else:
            merged.append((start, end, kind))
    return merged


def redact_sql_text(sql: str, counter: list[int], dialect: str | None = None) -> str:
    """``sql`` with every literal replaced by ``:str_N`` / ``:num_N`` (``counter[0]`` counts them)
    and its comments dropped; everything else as written. Whatever either reading (with or
    without backslash escapes) sees as a literal is redacted, so that a quote read differently
    by another database never brings a literal's content out into the open."""
    name = sqlglot_dialect(dialect)
    readings = _tokenizer_classes(name) if "\\" in sql else _tokenizer_classes(name)[:1]  # the same without "\\"
    spans = [span for cls in readings for span in literal_spans(sql, cls(dialect=name or None))]
    out: list[str] = []
    position = 0
    for start, end, kind in _merged(spans):
        out.append(sql[position:start])
        out.append(_gap(sql[start:end]) if kind == "comment" else _placeholder(kind, counter))
        position = end
    out.append(sql[position:])
    return "".join(out)


def _placeholder(kind: str, counter: list[int]) -> str:
    counter[0] += 1
    return f":{kind}_{counter[0]}"


def _gap(comment: str) -> str:
    """Comments and the whitespace around them: the whitespace only (one space if there is none)."""
    before, after = comment[: len(comment) - len(comment.lstrip())], comment[len(comment.rstrip()):]
    return before + after or " "


def _is_parameter_position(previous: Token | None, token: Token) -> bool:
    return previous is not None and previous.token_type in _PARAMETER_MARKS and previous.end + 1 == token.start


def _is_sign(before: Token | None, token: Token, number: Token, sql: str) -> bool:
    """Whether ``token`` is a "-", "+" or "." that belongs to ``number`` after it (``= -1.5``, ``.5``)."""
    if token.token_type in (TokenType.DASH, TokenType.PLUS):
        return (before is None or before.token_type not in _VALUE_ENDS) and not sql[token.end + 1:number.start].strip()
    if token.token_type == TokenType.DOT:
        return token.end + 1 == number.start and (before is None or before.end + 1 < token.start
                                                  or before.token_type not in _VALUE_ENDS)
    return False
