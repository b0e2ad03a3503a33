"""Expectations checked against observed rows, with what went otherwise said in words a model may
read: the migration's literals shown as their placeholders, values the model did not write
itself as ``<str>`` / ``<num>``.

The semantics are those of the rendered asserts (:mod:`.render`): ``where`` selects rows (None
means IS NULL), ``count`` is their number, ``values`` holds in every one of them (a list: one of
these; at least one row must match when no count is given), ``rows`` lists them exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ...context import redact_failure
from .placeholders import Literals
from .run import ScenarioRun
from .types import Expectation, Scenario

AFTER = {"upgrade": "after the upgrade", "downgrade": "after the downgrade"}


def matches(value: Any, wanted: Any) -> bool:
    if wanted is None or isinstance(wanted, bool):
        return value is wanted
    if isinstance(wanted, list):
        return value in wanted
    return bool(value == wanted)


def selected(expectation: Expectation, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in rows if all(matches(row.get(c), v) for c, v in expectation.where.items())]


def holds(expectation: Expectation, rows: list[dict[str, Any]]) -> bool:
    return not problems(expectation, rows, _Plain())


class Shown:
    """How values appear in a message to the model: as it wrote them itself (``known``: the
    values of its answers, placeholders not substituted), else a literal of the migration as its
    placeholder, else ``<str>`` / ``<num>``."""

    def __init__(self, literals: Literals, known: Iterable[Any]) -> None:
        self.literals = literals
        self.known = {repr(v) for v in known}

    def __call__(self, value: Any) -> str:
        if value is None or isinstance(value, bool) or repr(value) in self.known:
            return repr(value)
        hidden = self.literals.hide(value)
        if isinstance(hidden, str) and hidden != value:
            return hidden
        return "<num>" if isinstance(value, (int, float)) else "<str>"


class _Plain(Shown):
    def __init__(self) -> None:
        super().__init__(Literals(), [])

    def __call__(self, value: Any) -> str:
        return repr(value)


def _condition(expectation: Expectation, show: Shown) -> str:
    if not expectation.where:
        return ""
    parts = [f"{c} IS NULL" if v is None else f"{c} = {show(v)}" for c, v in expectation.where.items()]
    return " where " + " and ".join(parts)


def problems(expectation: Expectation, rows: list[dict[str, Any]], show: Shown) -> list[str]:
    """What does not hold of ``expectation`` in the table's ``rows`` (empty when it holds)."""
    found = selected(expectation, rows)
    table, step = expectation.table, AFTER[expectation.after]
    which = f"the rows of {table}{_condition(expectation, show)}"
    out: list[str] = []
    if expectation.count is not None and len(found) != expectation.count:
        wanted = f"{expectation.count} row{'s' if expectation.count != 1 else ''} of {table}{_condition(expectation, show)}"
        out.append(f"you expected {wanted} {step}; there {'is' if len(found) == 1 else 'are'} {len(found)}")
    if expectation.values and expectation.count is None and not found:
        out.append(f"you expected {which} to hold {_values(expectation.values, show)}; {step} no row matches")
    for column, wanted in expectation.values.items():
        observed = [row.get(column) for row in found]
        if not all(matches(value, wanted) for value in observed):
            out.append(f"you expected {column} {_wanted(wanted, show)} in {which}; {step} they hold "
                       f"{column} = {', '.join(show(v) for v in observed)}")
    if expectation.rows is not None:
        columns = list(expectation.rows[0]) if expectation.rows else []
        got = [tuple(row.get(c) for c in columns) for row in found]
        want = [tuple(row.get(c) for c in columns) for row in expectation.rows]
        if got != want:
            out.append(f"you expected {which} to be ({', '.join(columns)}) = {_tuples(want, show)}; {step} they are "
                       f"{_tuples(got, show)}")
    return out


def _wanted(value: Any, show: Shown) -> str:
    if value is None:
        return "IS NULL"
    if isinstance(value, list):
        return "in (" + ", ".join(show(v) for v in value) + ")"
    return f"= {show(value)}"


def _values(values: dict[str, Any], show: Shown) -> str:
    return ", ".join(f"{c} {_wanted(v, show)}" for c, v in values.items())


def _tuples(rows: list[tuple[Any, ...]], show: Shown) -> str:
    return "[" + ", ".join("(" + ", ".join(show(v) for v in row) + ")" for row in rows) + "]" if rows else "no rows"


def failures(scenario: Scenario, run: ScenarioRun, show: Shown, known_text: set[str], *, plain: bool = False) -> list[str]:
    """Why the scenario does not hold on the unchanged migration, in words for the model (empty:
    it holds); ``plain``: with real values, for the test's own docstring (never sent)."""
    if plain:
        show = _Plain()

    def hidden(text: str) -> str:
        return text if plain else redact_failure(text, known_text)

    out = []
    for rejected in run.rejected:  # "seed[1] (orders).rows[0]: the error"
        where, _, error = rejected.partition(": ")
        out.append(f"the database refused {where}: {hidden(error)}")
    failed = run.failed
    if failed is not None:
        step, error = failed
        if not scenario.raises:
            out.append(f"the {step} raised: {hidden(error.splitlines()[0])}")
        return out
    if scenario.raises:
        out.append(f"you expected the {scenario.steps[0]} to raise; it ran without an error")
        return out
    for expectation in scenario.expect:
        result = run.steps.get(expectation.after)
        rows = result.rows.get(expectation.table, []) if result is not None else []
        out += problems(expectation, rows, show)
    return out


def answer_values(answers: Iterable[str]) -> set[Any]:
    """Every scalar of the model's own answers (JSON texts), as it wrote them: it may see them again."""
    found: set[Any] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.update(k for k in node if isinstance(k, str))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, (str, int, float)) and not isinstance(node, bool):
            found.add(node)

    for text in answers:
        try:
            walk(json.loads(text))
        except ValueError:
            continue
    return found
