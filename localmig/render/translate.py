"""Test bodies written for the ``migrations`` fixture, rewritten for pytest-alembic's ``alembic_runner``.

A body's calls map one to one: ``database_before(R)`` is ``alembic_runner.migrate_up_before(R)``, a
database's ``insert`` is ``insert_into``, its ``upgrade``/``downgrade`` are ``migrate_up_to(R)`` /
``migrate_down_one()``, and rows and schemas are read from ``alembic_engine`` with localmig_schema's
``rows`` / ``schema_of``. pytest-alembic has one database per test that moves through the history,
so the schema states a body compares are taken in history order first (before, after, after the
downgrade, after the upgrade again), then the assertions run. Edits use the AST's exact source
positions, so comments and layout stay. A body this cannot express raises :class:`Untranslatable`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

STATES = ("schema_before", "schema_after", "schema_after_downgrade", "schema_after_round_trip")
DATABASES = {"database_before": "migrate_up_before", "database_after": "migrate_up_to"}
READERS = {"rows": "rows", "execute": "execute", "schema": "schema_of"}
_GONE = "\0"  # what a statement that moved to the set-up is replaced with (its line is dropped)


class Untranslatable(Exception):
    """The body uses something pytest-alembic's runner cannot express; the message says what."""


@dataclass
class Translation:
    body: str
    helpers: set[str] = field(default_factory=set)  # localmig_schema functions the body calls

    @property
    def uses_engine(self) -> bool:
        """Every localmig_schema function reads ``alembic_engine``."""
        return bool(self.helpers)


def _call(node: ast.AST | None, owner: str | None = None) -> tuple[str, ast.Call] | None:
    """(method, call) when ``node`` is ``<owner>.<method>(...)``; any owner when ``owner`` is None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
            and (owner is None or node.func.value.id == owner):
        return node.func.attr, node
    return None


def _moves(wanted: list[str], revision: str) -> list[str]:
    """The runner calls that visit the schema states ``wanted`` in history order, each followed by its
    snapshot (``{name} = schema_of(alembic_engine)``, formatted in by the caller)."""
    lines, state = [], "start"
    for kind in STATES:
        if kind not in wanted:
            continue
        if kind == "schema_before":
            lines.append(f"alembic_runner.migrate_up_before({revision})")
        elif kind == "schema_after":
            lines.append(f"alembic_runner.migrate_up_to({revision})")
        elif kind == "schema_after_downgrade":
            if state != "schema_after":
                lines.append(f"alembic_runner.migrate_up_to({revision})")
            lines.append("alembic_runner.migrate_down_one()")
        else:
            if state in ("start", "schema_before"):
                lines.append(f"alembic_runner.migrate_up_to({revision})")
            if state != "schema_after_downgrade":
                lines.append("alembic_runner.migrate_down_one()")
            lines.append(f"alembic_runner.migrate_up_to({revision})")
        lines.append(f"{{{kind}}} = schema_of(alembic_engine)")
        state = kind
    return lines


def translate(body: str) -> Translation:
    """``body`` (statements for the ``migrations`` fixture) as statements for ``alembic_runner``."""
    tree = ast.parse(body)
    lines = body.splitlines()
    edits: list[tuple[int, int, int, int, str]] = []  # (line, col, end line, end col, text), 1-based lines
    states: dict[str, str] = {}
    databases: set[str] = set()
    result = Translation(body="")

    def replace(node: ast.AST, text: str) -> None:
        edits.append((node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, text))  # type: ignore[attr-defined]

    for statement in tree.body:  # the fixture's calls that set up state are statements of the body itself
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)):
            continue
        found = _call(statement.value, "migrations")
        if found is None:
            continue
        method, call = found
        name = statement.targets[0].id
        if method in STATES:
            if method in states:
                raise Untranslatable(f"it takes {method} twice")
            states[method] = name
            replace(statement, _GONE)
        elif method in DATABASES:
            databases.add(name)
            replace(statement, f"alembic_runner.{DATABASES[method]}({ast.get_source_segment(body, call.args[0])})")
    if states and databases:
        raise Untranslatable("it compares schema states and works on a database in one test")
    named = {ast.get_source_segment(body, found[1].args[0]) for node in ast.walk(tree)
             if (found := _call(node, "migrations")) and found[1].args}
    if len(named) > 1:  # one database moves through the history: states of one revision only
        raise Untranslatable(f"it takes states of several revisions ({', '.join(sorted(n or '' for n in named))})")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "migrations" and not _inside_edit(node, edits):
            raise Untranslatable(f"line {node.lineno} uses the migrations fixture in a way pytest-alembic cannot express")
    statements = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and _is_database_call(node.value, databases):
            method, call = _call(node.value)  # type: ignore[misc]
            argument = ast.get_source_segment(body, call.args[0]) if call.args else ""
            if method == "insert":
                replace(node, f"alembic_runner.insert_into({', '.join(ast.get_source_segment(body, a) or '' for a in call.args)})")
            elif method == "upgrade":
                replace(node, f"alembic_runner.migrate_up_to({argument})")
            elif method == "downgrade":
                replace(node, "alembic_runner.migrate_down_one()")
            elif method in READERS:
                _reader(body, call, method, replace, result)
            else:
                raise Untranslatable(f"line {node.lineno} calls {method} on a database")
        elif _is_database_call(node, databases) and id(node) not in statements:
            method, call = _call(node)  # type: ignore[misc]
            if method not in READERS:
                raise Untranslatable(f"line {call.lineno} calls {method} on a database")
            _reader(body, call, method, replace, result)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in databases and not _inside_edit(node, edits):
            raise Untranslatable(f"line {node.lineno} uses the database {node.id} as a value")
    if states:
        revision = ast.get_source_segment(body, _first_argument(tree, "migrations")) or "REVISION"
        setup = [line.format(**states) for line in _moves(list(states), revision)]
        result.helpers.add("schema_of")
    else:
        setup = []
    text = _apply(lines, edits)
    result.body = "\n".join([*setup, *text]).strip("\n") + "\n"
    return result


def _is_database_call(node: ast.AST, databases: set[str]) -> bool:
    found = _call(node)
    return found is not None and isinstance(found[1].func, ast.Attribute) and \
        isinstance(found[1].func.value, ast.Name) and found[1].func.value.id in databases


def _reader(body: str, call: ast.Call, method: str, replace: Callable[[ast.AST, str], None], result: Translation) -> None:
    """``database.rows(...)`` / ``execute`` / ``schema()`` as localmig_schema's function on ``alembic_engine``."""
    arguments = [ast.get_source_segment(body, a) or "" for a in call.args]
    arguments += [f"{k.arg}={ast.get_source_segment(body, k.value)}" for k in call.keywords if k.arg]
    if len(arguments) < len(call.args) + len(call.keywords):
        raise Untranslatable(f"line {call.lineno} passes **arguments to {method}")
    helper = READERS[method]
    replace(call, f"{helper}({', '.join(['alembic_engine', *arguments])})")
    result.helpers.add(helper)


def _first_argument(tree: ast.AST, owner: str) -> ast.expr:
    for node in ast.walk(tree):
        found = _call(node, owner)
        if found and found[1].args:
            return found[1].args[0]
    raise Untranslatable("no revision is named")


def _inside_edit(node: ast.AST, edits: list[tuple[int, int, int, int, str]]) -> bool:
    start = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
    return any((line, col) <= start < (end_line, end_col) for line, col, end_line, end_col, _ in edits)


def _apply(lines: list[str], edits: list[tuple[int, int, int, int, str]]) -> list[str]:
    """The lines with the edits made (outermost edits win over those inside them); emptied
    statements leave no blank line."""
    kept: list[tuple[int, int, int, int, str]] = []
    for edit in sorted(edits, key=lambda e: (e[0], e[1], -e[2], -e[3])):
        if any(_contains(outer, edit) for outer in kept):
            continue
        kept.append(edit)
    text = "\n".join(lines)
    offsets = [0]
    for text_line in lines:
        offsets.append(offsets[-1] + len(text_line.encode("utf-8")) + 1)
    data = text.encode("utf-8")
    for line, col, end_line, end_col, new in sorted(kept, reverse=True):
        data = data[: offsets[line - 1] + col] + new.encode("utf-8") + data[offsets[end_line - 1] + end_col:]
    return [line for line in data.decode("utf-8").splitlines() if line.strip() != _GONE]


def _contains(outer: tuple[int, int, int, int, str], inner: tuple[int, int, int, int, str]) -> bool:
    return (outer[0], outer[1]) <= (inner[0], inner[1]) and (inner[2], inner[3]) <= (outer[2], outer[3]) \
        and outer != inner
