"""Mutants of the data steps of Alembic revisions (for bench/model_value.py).

Only data statements are mutated — SQL text given to ``op.execute`` / ``text()`` / ``execute``,
``op.bulk_insert`` rows and string methods in Python loops — because that is where seed rows
decide whether a test notices: a schema mutant is the deterministic engine's business. Each
mutant is one edit of one revision file, made from the AST's exact source positions:

* statement: a data statement removed (replaced by ``pass``);
* literal: a string literal in SQL changed, a number in SQL made one larger;
* operator: ``>=``/``>``/``<=``/``<`` moved by one, ``=`` to ``<>`` after WHERE, ``IS NULL`` to
  ``IS NOT NULL``, ``AND`` to ``OR``, ``IN`` to ``NOT IN``, ``LIKE`` to ``NOT LIKE``;
* where: the WHERE clause of an UPDATE or DELETE dropped;
* rows: one ``bulk_insert`` row removed, one value of a row changed;
* python: a ``.strip()`` / ``.lower()`` / ``.upper()`` call on a value removed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

SQL = re.compile(r"^\s*(UPDATE|DELETE|INSERT|SELECT)\b", re.IGNORECASE)
OPERATORS = [(r">=", ">"), (r"(?<![<>!])>(?!=)", ">="), (r"<=", "<"), (r"<(?![=>])", "<="), (r"\bIS NULL\b", "IS NOT NULL"),
             (r"\bAND\b", "OR"), (r"\bIN \(", "NOT IN ("), (r"(?<!NOT )\bLIKE\b", "NOT LIKE")]


@dataclass(frozen=True)
class Mutant:
    revision: str
    file: Path
    operator: str
    description: str
    source: str


def _replace(source: str, node: ast.AST, text: str) -> str:
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    data = source.encode("utf-8")
    start = offsets[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]
    end = offsets[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]
    return (data[:start] + text.encode("utf-8") + data[end:]).decode("utf-8")


def _sql_variants(sql: str) -> list[tuple[str, str, str]]:
    """(operator, description, new sql) for one SQL text."""
    found = []
    for match in re.finditer(r"'((?:[^']|'')*)'", sql):
        new = sql[: match.start()] + f"'{match.group(1)}_m'" + sql[match.end():]
        found.append(("literal", f"'{match.group(1)}' -> '{match.group(1)}_m'", new))
    for match in re.finditer(r"(?<![\w.:'])(\d+)(?![\w.'])", sql):
        new = sql[: match.start()] + str(int(match.group(1)) + 1) + sql[match.end():]
        found.append(("literal", f"{match.group(1)} -> {int(match.group(1)) + 1}", new))
    where = re.search(r"\bWHERE\b", sql, re.IGNORECASE)
    for pattern, replacement in OPERATORS:
        for match in re.finditer(pattern, sql):
            new = sql[: match.start()] + replacement + sql[match.end():]
            found.append(("operator", f"{match.group(0)} -> {replacement}", new))
    if where:
        for match in re.finditer(r"(?<![<>!])=(?!=)", sql[where.end():]):
            at = where.end() + match.start()
            found.append(("operator", "= -> <> (in WHERE)", sql[:at] + "<>" + sql[at + 1:]))
        if re.match(r"\s*(UPDATE|DELETE)", sql, re.IGNORECASE):
            found.append(("where", "WHERE clause dropped", sql[: where.start()].rstrip()))
    return found


def _statement(tree: ast.AST, node: ast.AST) -> ast.stmt | None:
    """The statement (an expression statement) that holds ``node``."""
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            if isinstance(child, ast.Expr) and any(n is node for n in ast.walk(child)):
                return child
    return None


def mutants_of(revision: str, path: Path) -> list[Mutant]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    found: list[Mutant] = []
    seen: set[str] = {source}

    def add(operator: str, description: str, new: str) -> None:
        if new not in seen:
            try:
                ast.parse(new)
            except SyntaxError:
                return
            seen.add(new)
            found.append(Mutant(revision, path, operator, description, new))

    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ("upgrade", "downgrade")]
    for function in functions:
        for node in ast.walk(function):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
                statement = _statement(function, node)
                if statement is not None:
                    add("statement", f"{function.name}: `{node.value[:40]}...` removed", _replace(source, statement, "pass"))
                for operator, description, sql in _sql_variants(node.value):
                    add(operator, f"{function.name}: {description}", _replace(source, node, repr(sql)))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "bulk_insert" \
                    and len(node.args) > 1 and isinstance(node.args[1], ast.List):
                rows = node.args[1].elts
                for index, row in enumerate(rows):
                    kept = [ast.get_source_segment(source, r) for r in rows if r is not row]
                    add("rows", f"{function.name}: bulk_insert row {index} removed", _replace(source, node.args[1], "[" + ", ".join(kept) + "]"))  # type: ignore[arg-type]
                    if isinstance(row, ast.Dict):
                        for value in row.values:
                            if isinstance(value, ast.Constant) and isinstance(value.value, (str, int)) and not isinstance(value.value, bool):
                                changed = f"{value.value}_m" if isinstance(value.value, str) else value.value + 1
                                add("rows", f"{function.name}: bulk_insert row {index} {value.value!r} -> {changed!r}",
                                    _replace(source, value, repr(changed)))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("strip", "lower", "upper") and not node.args:
                add("python", f"{function.name}: .{node.func.attr}() removed",
                    _replace(source, node, ast.get_source_segment(source, node.func.value) or ""))
    return found


def data_mutants(revisions: dict[str, Path]) -> list[Mutant]:
    """Every data mutant of the given revisions (revision -> its file)."""
    found = []
    for revision, path in revisions.items():
        found += mutants_of(revision, path)
    return found
