"""SQL text in migrations: the ``WHERE`` clauses of ``UPDATE`` and ``DELETE`` statements, found with
sqlglot's tokenizer (which knows quoting, comments and nesting), so that removing one leaves every
other character of the statement as written."""

from __future__ import annotations

from sqlglot.errors import TokenError
from sqlglot.tokens import Token, Tokenizer, TokenType

# where a WHERE clause ends inside its statement, at the statement's own nesting level
_AFTER_WHERE = {TokenType.RETURNING, TokenType.ORDER_BY, TokenType.LIMIT}


def _statements(tokens: list[Token]) -> list[list[Token]]:
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    return [s for s in statements if s]


def where_removals(sql: str) -> list[str]:
    """One new text per UPDATE/DELETE statement of ``sql`` that has a WHERE clause: the same text
    without that clause. Empty when there is none, or the text is not SQL sqlglot can tokenize."""
    try:
        tokens = Tokenizer().tokenize(sql)
    except (TokenError, ValueError):
        return []
    results = []
    for statement in _statements(tokens):
        if statement[0].token_type not in (TokenType.UPDATE, TokenType.DELETE):
            continue
        depth, where, stop = 0, None, None
        for index, token in enumerate(statement):
            if token.token_type == TokenType.L_PAREN:
                depth += 1
            elif token.token_type == TokenType.R_PAREN:
                depth -= 1
            elif depth == 0 and where is None and token.token_type == TokenType.WHERE:
                where = index
            elif depth == 0 and where is not None and token.token_type in _AFTER_WHERE:
                stop = index
                break
        if where is None or where == 0:
            continue
        keep_until = statement[where - 1].end + 1  # just after the token before WHERE
        if stop is not None:
            results.append(sql[:keep_until] + " " + sql[statement[stop].start :])
        else:
            results.append(sql[:keep_until] + sql[statement[-1].end + 1 :])
    return results
