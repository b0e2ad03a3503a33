"""Scenarios through the model stage: the format a revision is answered in, the tests made from a
valid answer, what went back to the model when an expectation failed, and the characterizations
(or findings) of scenarios that still failed after that.

Used by :mod:`localmig.modelrun`; everything here runs on this machine. The literals behind the
placeholders are read from the revision file and never leave the process: messages to the model
go through :class:`~.expect.Shown`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...capture import Finding
from ...context import ModelContext
from ...plan import TestCase, TestPlan
from ...schema import SchemaSnapshot
from .expect import Shown, answer_values, failures
from .placeholders import Literals
from .render import characterization, scenario_test
from .run import ScenarioRun, ScenarioRunner
from .schema import AnswerFormat, table_formats
from .types import Output, Scenario
from .validate import parse_answer

MAX_TABLES = 10
VOLATILE = re.compile(r"current_|now\(|random|uuid|clock_|localtime|sysdate|getdate", re.IGNORECASE)


@dataclass
class Prepared:
    """One revision, ready for scenarios: its format, its literals, the tables read after each step."""

    revision: str
    format: AnswerFormat
    literals: Literals
    touched: list[str]

    def check(self, taken: set[str], lenient_from: int | None = None) -> Callable[[str], tuple[list[Scenario] | None, list[str]]]:
        """The check of answers in this format; from the ``lenient_from``-th answer on (counted
        from 0), rows that break a key or a foreign key are left out instead of refused."""
        calls = [0]

        def check(text: str) -> tuple[list[Scenario] | None, list[str]]:
            lenient = lenient_from is not None and calls[0] >= lenient_from
            calls[0] += 1
            return parse_answer(text, self.format, self.literals, set(taken), lenient=lenient)
        return check

    def readable(self, scenario: Scenario) -> list[str]:
        tables = scenario.tables() + [e.table for e in scenario.expect] + self.touched
        return list(dict.fromkeys(tables))

    def volatile(self) -> dict[str, list[str]]:
        """Per table, the columns whose server default differs between runs (now(), random())."""
        found: dict[str, list[str]] = {}
        for table in self.format.tables.values():
            for info in (table.before, table.after):
                for name, column in (info.columns.items() if info else []):
                    if column.default and VOLATILE.search(column.default) and name not in found.get(table.name, []):
                        found.setdefault(table.name, []).append(name)
        return found


class ScenarioStage:
    """Scenarios for the revisions of one session."""

    def __init__(self, output: Output, runner: ScenarioRunner, project_root: Path) -> None:
        self.output = output
        self.runner = runner
        self.project_root = project_root
        self._prepared: dict[str, Prepared] = {}

    def prepare(self, revision: str, source_path: Path, touched: list[str], context: ModelContext,
                before: SchemaSnapshot, after: SchemaSnapshot) -> Prepared | None:
        """The format of ``revision``; None when no table it is about exists before it (rows cannot
        be there when the upgrade runs: nothing for a scenario to reach)."""
        if revision in self._prepared:
            return self._prepared[revision]
        focus = list(dict.fromkeys([*touched, *context.schema_before, *context.schema_after]))
        if not any(t in before.tables for t in focus):
            return None
        tables = _with_parents(focus, before, after, MAX_TABLES)
        literals = Literals.of_source(source_path.read_text(encoding="utf-8", errors="replace"))
        formats = table_formats(before, after, tables)
        answer_format = AnswerFormat(formats, self.output, literals.names())
        if not answer_format.seedable:
            return None
        prepared = Prepared(revision, answer_format, literals, [t for t in touched if t in before.tables or t in after.tables])
        self._prepared[revision] = prepared
        return prepared

    def prepared(self, revision: str) -> Prepared | None:
        return self._prepared.get(revision)

    # ---- tests from scenarios

    def plan(self, prepared: Prepared, scenarios: list[Scenario]) -> tuple[TestPlan, list[Finding], list[str]]:
        """The tests of a valid answer, the findings its rows exposed, and notes of rows left out.

        scenarios: a test of the model's expectations each. inputs: localmig runs the rows and
        records what it observed (a characterization, marked for review)."""
        tests: list[TestCase] = []
        imports: set[str] = set()
        findings: list[Finding] = []
        notes: list[str] = []
        for scenario in scenarios:
            if self.output == "scenarios":
                case, needs = scenario_test(scenario)
            else:
                run = self.runner.run(prepared.revision, scenario, prepared.readable(scenario), twice=True,
                                      volatile=prepared.volatile())
                notes += [f"{scenario.name}: left out {r}" for r in scenario.left_out + run.rejected]
                if not run.accepted:
                    continue
                case, needs, review = characterization(scenario, run, "the rows are the model's, the expected rows what localmig observed")
                case = case.model_copy(update={"review": review})
                findings += _findings(prepared.revision, scenario, run)
            tests.append(case)
            imports |= needs
        return TestPlan(revision=prepared.revision, tests=tests, imports=sorted(imports)), findings, notes

    def observations(self, prepared: Prepared, scenarios: list[Scenario], names: list[str],
                     answers: list[str], schema_names: set[str]) -> list[str]:
        """What the failing scenarios (by test name) did on the unchanged migration, in words the model may read."""
        known = answer_values(answers)
        show = Shown(prepared.literals, known)
        known_text = {str(v) for v in known} | schema_names
        found = []
        for scenario in _by_name(scenarios, names):
            run = self.runner.run(prepared.revision, scenario, prepared.readable(scenario))
            problems = failures(scenario, run, show, known_text) or ["it failed when run, although the same rows held here"]
            found += [f"{scenario.name}: {p}" for p in problems]
        return found

    def characterize(self, prepared: Prepared, plan_tests: list[TestCase], scenarios: list[Scenario],
                     names: list[str]) -> tuple[TestPlan, list[Finding]]:
        """The model's tests with the failing ones (by name) recorded as observed: characterizations
        marked for review, or tests that expose the failure of a step that raised (with its finding)."""
        failing = {f"test_{s.name}": s for s in _by_name(scenarios, names)}
        tests, imports, findings = [], set(), []
        for test in plan_tests:
            scenario = failing.get(test.name)
            if scenario is None:
                tests.append(test)
                continue
            run = self.runner.run(prepared.revision, scenario, prepared.readable(scenario), twice=True,
                                      volatile=prepared.volatile())
            if not run.accepted:
                continue
            expected = "; ".join(failures(scenario, run, Shown(Literals(), []), set(), plain=True))
            case, needs, review = characterization(
                scenario, run, f"the model's expectation did not hold ({expected[:200]}); this is what the migration did")
            tests.append(case.model_copy(update={"review": review}))
            imports |= needs
            findings += _findings(prepared.revision, scenario, run)
        return TestPlan(revision=prepared.revision, tests=tests, imports=sorted(imports)), findings


def _by_name(scenarios: list[Scenario], names: list[str]) -> list[Scenario]:
    wanted = set(names)
    return [s for s in scenarios if f"test_{s.name}" in wanted]


def _findings(revision: str, scenario: Scenario, run: ScenarioRun) -> list[Finding]:
    failed = run.failed
    if failed is None or scenario.raises:
        return []
    step, error = failed
    kind: Any = "upgrade_fails_with_rows" if step == "upgrade" else "downgrade_fails_with_rows"
    return [Finding(revision=revision, kind=kind,
                    message=f"{step} with the rows of scenario {scenario.name}: {error}")]


def _with_parents(tables: list[str], before: SchemaSnapshot, after: SchemaSnapshot, limit: int) -> list[str]:
    """``tables`` and the tables their foreign keys refer to (at most ``limit``, the given ones
    first), parents first."""
    found: list[str] = []
    todo = list(tables)
    while todo:
        table = todo.pop(0)
        if table in found:
            continue
        found.append(table)
        for snapshot in (before, after):
            info = snapshot.tables.get(table)
            for fk in info.foreign_keys if info else []:
                parent = f"{fk.referred_schema}.{fk.referred_table}" if fk.referred_schema else fk.referred_table
                if parent not in found and (parent in before.tables or parent in after.tables):
                    todo.append(parent)
    found = found[:limit]
    order: list[str] = []

    def visit(table: str, trail: set[str]) -> None:
        if table in order or table in trail:
            return
        for snapshot in (before, after):
            info = snapshot.tables.get(table)
            for fk in info.foreign_keys if info else []:
                parent = f"{fk.referred_schema}.{fk.referred_table}" if fk.referred_schema else fk.referred_table
                if parent in found and parent != table:
                    visit(parent, trail | {table})
        order.append(table)

    for table in found:
        visit(table, set())
    return order
