"""Redaction: data literals out of the migration source, of finding texts and of pytest reports.

Redaction keeps what describes the schema (table and column names, types, server defaults,
constraint names) and replaces every other literal: literals in SQL passed to
``op.execute``/``text()``/``connection.execute`` become ``:str_1``/``:num_1`` (read by sqlglot's
tokenizer, see :mod:`.sqltext`; an f-string or a concatenation is read as one SQL text), values
in ``op.bulk_insert`` rows, in SQLAlchemy Core statements (``.values(...)``, ``.where(col == ...)``),
in bind parameters and any other constant (bytes included) become placeholders. Python
comments are dropped (``ast`` does not keep them) and docstrings cut to their first line. SQL
quoted in a finding (``[SQL: ...]``) is redacted too.
"""

from __future__ import annotations

import ast
import re
from typing import Any

SCHEMA_CALLS = {
    "Column", "create_table", "add_column", "drop_column", "alter_column", "create_index", "drop_index",
    "create_foreign_key", "create_unique_constraint", "create_check_constraint", "create_primary_key",
    "drop_constraint", "drop_table", "rename_table", "batch_alter_table", "ForeignKey", "Index",
    "UniqueConstraint", "CheckConstraint", "PrimaryKeyConstraint", "ForeignKeyConstraint", "Enum", "ENUM",
    "String", "VARCHAR", "CHAR", "Numeric", "NUMERIC", "DECIMAL", "Computed", "Identity", "Sequence",
    "table", "column", "create_exclude_constraint", "f", "Table", "MetaData",
}
DATA_CALLS = {"execute", "bulk_insert", "exec_driver_sql", "text", "executemany", "insert", "update", "delete", "values", "where"}
REVISION_NAMES = {"revision", "down_revision", "branch_labels", "depends_on"}
SQL_TEXT_CALLS = {"execute", "exec_driver_sql", "text", "executemany"}  # their first argument is SQL text
DIALECT_NAMES = {"postgresql", "sqlite", "mysql", "mariadb", "mssql", "oracle"}  # dialect branches: no data

_LOOKS_LIKE_SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|ALTER|CREATE|DROP|WITH|MERGE|TRUNCATE|COMMENT)\b", re.IGNORECASE)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FINDING_SQL = re.compile(r"\[SQL: (.*?)\](?= \(at |$)")

_EXPRESSION = "__localmig_expr_{}__"  # stands for a Python expression inside SQL text while it is tokenized
_EXPRESSION_MARK = re.compile(r"__localmig_expr_(\d+)__")


def redact_sql(sql: str, counter: list[int], dialect: str | None = None) -> str:
    """SQL with its literals replaced by ``:str_N`` / ``:num_N`` and its comments dropped, read by
    the tokenizer of ``dialect`` (a SQLAlchemy dialect name; the generic one when None)."""
    from .sqltext import redact_sql_text  # sqlglot loads in ~0.2 s: only when SQL text is redacted

    return redact_sql_text(sql, counter, dialect)


class _Redactor(ast.NodeTransformer):
    def __init__(self, dialect: str | None = None) -> None:
        self.dialect = dialect
        self.counter = [0]
        self.mode = ["redact"]
        self.protected: set[int] = set()  # docstrings, already cut to their first line

    def _name(self, call: ast.Call) -> str:
        func = call.func
        return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        name = self._name(node)
        if name in DATA_CALLS and not (name == "text" and self.mode[-1] == "keep"):
            mode = "sql"  # text() inside a Column is a server default: schema, kept
        elif name in SCHEMA_CALLS:
            mode = "keep"  # names of tables and columns, also inside a Core statement
        else:
            mode = self.mode[-1]
        self.mode.append(mode)
        try:
            if name == "bulk_insert" and len(node.args) >= 2:
                node.args[0] = self._kept(node.args[0])
                node.args[1] = self._rows(node.args[1])
                node.args[2:] = [self.visit(a) for a in node.args[2:]]
                node.keywords = [self.visit(k) for k in node.keywords]
                node.func = self.visit(node.func)
                return node
            if name in SQL_TEXT_CALLS and node.args and mode != "keep":
                node.func = self.visit(node.func)
                node.args = [self._sql_text(node.args[0])] + [self.visit(a) for a in node.args[1:]]
                node.keywords = [self.visit(k) for k in node.keywords]
                return node
            return self.generic_visit(node)
        finally:
            self.mode.pop()

    def _sql_text(self, node: ast.AST) -> Any:
        """SQL text (a string, an f-string, a concatenation, ``"..." % args``): its literals become
        :str_N / :num_N. The parts of an f-string or a concatenation are read as one text, the
        Python expressions in it standing for names; an expression inside a SQL literal goes
        with the literal."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            node.left, node.right = self._sql_text(node.left), self.visit(node.right)
            return node
        parts = _text_parts(node)
        if not any(isinstance(part, str) for part in parts):
            return self.visit(node)
        text = "".join(part if isinstance(part, str) else _EXPRESSION.format(i) for i, part in enumerate(parts))
        redacted = _EXPRESSION_MARK.split(redact_sql(text, self.counter, self.dialect))
        rebuilt: list[str | ast.expr] = []
        for i, piece in enumerate(redacted):
            if i % 2 == 0:
                rebuilt.append(piece)
            else:
                expression = parts[int(piece)]
                assert not isinstance(expression, str)
                rebuilt.append(self.visit(expression))
        return ast.copy_location(_joined(rebuilt, f_string=isinstance(node, ast.JoinedStr)), node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        """A signed number is one value: ``-4242`` becomes one placeholder."""
        operand = node.operand
        if isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(operand, ast.Constant) \
                and isinstance(operand.value, (int, float, complex)) and not isinstance(operand.value, bool):
            return self.visit(ast.copy_location(operand, node)) if self.mode[-1] != "keep" else node
        return self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        """In a statement, keys that are names (columns, bind parameters) stay; values never do."""
        if self.mode[-1] != "sql":
            return self.generic_visit(node)
        node.keys = [
            key if isinstance(key, ast.Constant) and isinstance(key.value, str) and _IDENTIFIER.match(key.value)
            else (self.visit(key) if key is not None else None)
            for key in node.keys
        ]
        node.values = [self.visit(value) for value in node.values]
        return node

    def _kept(self, node: ast.AST) -> Any:
        self.mode.append("keep")
        try:
            return self.visit(node)
        finally:
            self.mode.pop()

    def _rows(self, node: ast.AST) -> Any:
        """bulk_insert rows: keep the dict keys (column names), redact the values."""
        for child in ast.walk(node):
            if isinstance(child, ast.Dict):
                child.values = [self._placeholder(v) if isinstance(v, ast.Constant) else self.visit(v)
                                for v in child.values]  # a signed number: visit_UnaryOp
        return node

    def _placeholder(self, node: ast.Constant) -> Any:
        if node.value is None or isinstance(node.value, bool) or node.value is Ellipsis:
            return node
        self.counter[0] += 1
        kind = "str" if isinstance(node.value, str) else "bytes" if isinstance(node.value, bytes) else "num"
        return ast.copy_location(ast.Constant(f"<{kind}_{self.counter[0]}>"), node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        mode = self.mode[-1]
        if id(node) in self.protected or mode == "keep" or node.value is None or isinstance(node.value, bool) \
                or node.value is Ellipsis or node.value in DIALECT_NAMES:
            return node
        if isinstance(node.value, str) and _LOOKS_LIKE_SQL.match(node.value):
            return ast.copy_location(ast.Constant(redact_sql(node.value, self.counter, self.dialect)), node)
        return self._placeholder(node)  # a value, wherever it is (statement parameters included)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        names = {t.id for t in node.targets if isinstance(t, ast.Name)}
        if names & REVISION_NAMES:
            return node
        return self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if isinstance(node.target, ast.Name) and node.target.id in REVISION_NAMES:
            return node
        return self.generic_visit(node)


def _text_parts(node: ast.AST) -> list[str | ast.expr]:
    """An f-string or a chain of ``+`` as its text parts and its expressions, in order."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else v for v in node.values]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text_parts(node.left) + _text_parts(node.right)
    assert isinstance(node, ast.expr)
    return [node]


def _joined(parts: list[str | ast.expr], *, f_string: bool) -> ast.expr:
    """Text parts and expressions back as an f-string, or as a ``+`` chain (what the source had)."""
    if f_string or any(isinstance(part, ast.FormattedValue) for part in parts):
        values: list[ast.expr] = []
        for part in parts:
            if isinstance(part, str):
                if part:
                    values.append(ast.Constant(part))
            elif isinstance(part, ast.FormattedValue):
                values.append(part)
            else:
                values.append(ast.FormattedValue(part, -1, None))
        return ast.JoinedStr(values)
    pieces = [ast.Constant(part) if isinstance(part, str) else part for part in parts if part != ""]
    if not pieces:
        return ast.Constant("")
    joined = pieces[0]
    for piece in pieces[1:]:
        joined = ast.BinOp(joined, ast.Add(), piece)
    return joined


def redact_finding(message: str, dialect: str | None = None, known: set[str] | None = None) -> str:
    """A finding's message with the literals of the SQL it quotes (``[SQL: ...]``) redacted; with
    ``known`` (the names and numbers the model is shown anyway), the rest of the message too, as
    in :func:`redact_failure` (a database error's first line may quote a value)."""
    pieces = _FINDING_SQL.split(message)  # text, SQL, text, SQL, ... text
    return "".join(
        f"[SQL: {redact_sql(piece, [0], dialect)}]" if index % 2
        else piece if known is None else _redact_report_text(piece, known)
        for index, piece in enumerate(pieces)
    )


_PATH = re.compile(r"(?<![\w.~])(?:[A-Za-z]:)?(?:[\\/][^\s:'\"()\[\]\\/]+)+[\\/]([^\s:'\"()\[\]\\/]+)")
_QUOTED = re.compile(r"\"\"\"(.*?)\"\"\"|'((?:[^'\\\n]|\\.)*)'|\"((?:[^\"\\\n]|\\.)*)\"")
_TRUNCATED = re.compile(r"'(?!<str>)[^'\n]*\.\.\.")
_NUMBER = re.compile(r"(?<![\w.:<])-?\d+(?:\.\d+)?(?![\w.>])")
# SQL quoted by SQLAlchemy in an error, up to the "]" that ends a line (the statement may span lines).
_REPORT_SQL = re.compile(r"\[SQL:(\s.*?)\](?=[ \t]*(?:\n|$)| \(at )", re.DOTALL)
# Values PostgreSQL prints unquoted in an error's DETAIL line.
_KEY_VALUES = re.compile(r"(Key \([^)\n]*\)=\().*?(\))(?= already exists| is not present| conflicts with|\.?$)", re.MULTILINE)
_FAILING_ROW = re.compile(r"(Failing row contains \().*(\))", re.MULTILINE)
_ASSERTION_MESSAGE = re.compile(r"(AssertionError: )(?!assert\b)(.+)$", re.MULTILINE)


def redact_failure(text: str, known: set[str], dialect: str | None = None) -> str:
    """pytest's report of a failed test, fit to go back to the model.

    The report quotes rows read from the scratch database (whose values come from the
    migrations' literals) and absolute paths of the staging folder and of installed packages.
    Paths become file names; SQL quoted in an error (``[SQL: ...]``) is redacted as SQL; the
    values PostgreSQL prints in a DETAIL line become ``<values>``; an assertion's own message
    stays only if the model wrote it; a quoted string or a number stays only if it is in
    ``known`` (the schema's names and the literals of the model's own tests), else it becomes
    ``<str>`` / ``<num>``.
    """
    pieces = _REPORT_SQL.split(text)
    return "".join(f"[SQL:{redact_sql(piece, [0], dialect)}]" if index % 2 else _redact_report_text(piece, known)
                   for index, piece in enumerate(pieces))


def _redact_report_text(text: str, known: set[str]) -> str:
    text = _PATH.sub(lambda m: m.group(1), text)
    text = _KEY_VALUES.sub(r"\1<values>\2", text)
    text = _FAILING_ROW.sub(r"\1<values>\2", text)

    def message(match: re.Match[str]) -> str:
        said = match.group(2).strip()
        words = re.findall(r"[^\s'\"()\[\]{},:]+", said)
        return match.group(0) if said in known or all(word in known for word in words) else match.group(1) + "<message>"

    text = _ASSERTION_MESSAGE.sub(message, text)

    def quoted(match: re.Match[str]) -> str:
        content = next(group for group in match.groups() if group is not None)
        return match.group(0) if not content or content in known else "'<str>'"

    text = _QUOTED.sub(quoted, text)
    text = _TRUNCATED.sub("'<str>...", text)  # pytest cut a long repr inside a string
    return _NUMBER.sub(lambda m: m.group(0) if m.group(0) in known else "<num>", text)


def _first_line_docstrings(tree: ast.Module) -> None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                first.value = ast.Constant(first.value.value.strip().splitlines()[0] if first.value.value.strip() else "")


def redact_source(source: str, dialect: str | None = None) -> str:
    """The migration source with data literals replaced, comments dropped, docstrings cut; SQL
    text read with the tokenizer of ``dialect`` (the capture's; the generic one when None)."""
    tree = ast.parse(source)
    _first_line_docstrings(tree)
    redactor = _Redactor(dialect)
    redactor.protected = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return ast.unparse(redactor.visit(tree))

