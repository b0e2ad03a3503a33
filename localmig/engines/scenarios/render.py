"""Scenarios as pytest test bodies, with the harness calls of the deterministic data tests
(``migrations.database_before(REVISION)``, ``database.insert``, ``database.upgrade/downgrade``,
``database.rows``) and plain asserts.

A scenario with expectations becomes a test of them; a scenario whose rows localmig ran itself
(inputs only, or expectations that did not hold) becomes a characterization of what it observed,
marked for review.
"""

from __future__ import annotations

from typing import Any

from pytest_localmig import ordered_rows

from ...plan import TestCase
from ..literals import literal
from .run import ScenarioRun
from .types import Expectation, Scenario, SeedRows


class _Body:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.imports: set[str] = set()

    def code(self, value: Any) -> str:
        text, needs = literal(value)
        self.imports |= needs
        return text

    def rows(self, rows: list[dict[str, Any]]) -> str:
        rendered = ["{" + ", ".join(f"{k!r}: {self.code(v)}" for k, v in row.items()) + "}" for row in rows]
        if len(rendered) == 1:
            return f"[{rendered[0]}]"
        return "[\n    " + ",\n    ".join(rendered) + ",\n]"

    def seed(self, scenario: Scenario, seed: list[SeedRows]) -> None:
        where = "database_after" if scenario.start == "downgrade" else "database_before"
        self.lines.append(f"database = migrations.{where}(REVISION)")
        for item in seed:
            self.lines.append(f"database.insert({item.table!r}, {self.rows(item.rows)})")


def _step(step: str) -> str:
    return f"database.{step}(REVISION)"


def _test_name(scenario: Scenario) -> str:
    return f"test_{scenario.name}"


def scenario_test(scenario: Scenario) -> tuple[TestCase, set[str]]:
    """The test of a scenario's expectations (the model's words), and the imports it needs."""
    body = _Body()
    body.seed(scenario, scenario.seed)
    if scenario.raises:
        body.imports.add("import pytest")
        body.lines += ["with pytest.raises(Exception):", f"    {_step(scenario.steps[0])}"]
    else:
        for step in scenario.steps:
            body.lines.append(_step(step))
            for expectation in scenario.expect:
                if expectation.after == step:
                    body.lines += _asserts(expectation, body)
    case = TestCase(name=_test_name(scenario), aspect="data", docstring=_one_line(scenario.purpose),
                    body="\n".join(body.lines), engine="model")
    return case, body.imports


def _condition(where: dict[str, Any], body: _Body) -> str:
    parts = [f"row[{c!r}] is {v!r}" if v is None or isinstance(v, bool) else f"row[{c!r}] == {body.code(v)}"
             for c, v in where.items()]
    return f" if {' and '.join(parts)}" if parts else ""


def _asserts(expectation: Expectation, body: _Body) -> list[str]:
    table = expectation.table
    condition = _condition(expectation.where, body)
    selection = f"[row for row in database.rows({table!r}){condition}]" if condition else f"database.rows({table!r})"
    lines = []
    if expectation.rows is not None:
        columns = list(expectation.rows[0]) if expectation.rows else []
        picked = _pick(columns)
        source = f"database.rows({table!r}){_condition(expectation.where, body)}"
        wanted = [_tuple([row.get(c) for c in columns], body) for row in expectation.rows]
        lines.append(f"assert [{picked} for row in {source}] == [{', '.join(wanted)}]")
    if expectation.count is None and not expectation.values:
        return lines
    lines.append(f"rows = {selection}")
    lines.append(f"assert len(rows) == {expectation.count}" if expectation.count is not None else "assert rows")
    if expectation.values:
        lines.append("for row in rows:")
        for column, wanted in expectation.values.items():
            if wanted is None or isinstance(wanted, bool):
                lines.append(f"    assert row[{column!r}] is {wanted!r}, row")
            elif isinstance(wanted, list):
                lines.append(f"    assert row[{column!r}] in {_tuple(wanted, body)}, row")
            else:
                lines.append(f"    assert row[{column!r}] == {body.code(wanted)}, row")
    return lines


def _pick(columns: list[str]) -> str:
    if len(columns) == 1:
        return f"row[{columns[0]!r}]"
    return "(" + ", ".join(f"row[{c!r}]" for c in columns) + ")"


def _tuple(values: list[Any], body: _Body) -> str:
    if len(values) == 1:
        return body.code(values[0])
    return "(" + ", ".join(body.code(v) for v in values) + ")"


def characterization(scenario: Scenario, run: ScenarioRun, why: str) -> tuple[TestCase, set[str], str]:
    """The test of what localmig observed when it ran the scenario's rows (the rows the database
    took), its imports, and the reason a reviewer should confirm it."""
    body = _Body()
    body.seed(scenario, run.accepted)
    failed = run.failed
    for step, result in run.steps.items():
        body.lines.append(_step(step))
        if result.error:
            break
        for table, rows in result.rows.items():
            skipped = run.unstable.get(table, [])
            without = f", without={skipped!r}" if skipped else ""
            shown = [{k: v for k, v in row.items() if k not in skipped} for row in rows]
            if skipped:  # in the order rows(table, without=...) gives them
                shown = ordered_rows(shown)
            body.lines.append(f"assert database.rows({table!r}{without}) == {body.rows(shown)}")
    if failed is not None:
        step, error = failed
        reason = error.splitlines()[0].split(" [SQL:", 1)[0][:160]
        docstring = f"{_one_line(scenario.purpose)} The {step} must run on these rows (it raised {reason})."
        review = f"the {step} raised on the model's rows"
        name = _test_name(scenario)
    else:
        docstring = (f"Characterization (to review): {_one_line(scenario.purpose)} localmig ran these rows through "
                     f"the migration and recorded what it found: {why}.")
        review = why
        name = _test_name(scenario)
    case = TestCase(name=name, aspect="data", docstring=docstring[:400], body="\n".join(body.lines), engine="model")
    return case, body.imports, review


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if line.endswith(".") else line + "."
