"""An answer in the per-revision format, as scenarios, or the list of everything wrong with it.

Two steps, as for code answers: pydantic (the same models whose JSON schema was the ``format``),
then semantics the schema cannot say: rows go parents first (a foreign key matches a row seeded
before it), NOT NULL columns without a default are given where the rows are inserted, keys are
not seeded twice, expectations name tables and columns that exist after their step. Placeholders
become the migration's literals here; messages show them as placeholders again.
"""

from __future__ import annotations

import datetime
import enum
import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from .placeholders import Literals
from .schema import AnswerFormat, TableFormat
from .types import Expectation, Scenario, SeedRows

STATE = {"upgrade": "before the upgrade", "downgrade": "after the upgrade"}
AFTER = {"upgrade": "after the upgrade", "downgrade": "after the downgrade"}


def parse_answer(text: str, answer_format: AnswerFormat, literals: Literals, taken: set[str], *,
                 lenient: bool = False) -> tuple[list[Scenario] | None, list[str]]:
    """The scenarios of an answer (names made unique against ``taken`` test names), or its errors.

    ``lenient`` (inputs only, once the repair rounds are spent): rows that break a key or refer to
    no row seeded before them are left out (:attr:`Scenario.left_out` says which), as the database
    would refuse them; the answer is refused only when no row is left."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return None, [f"the answer is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"]
    try:
        answer = answer_format.answer.model_validate(data)
    except ValidationError as error:
        return None, _messages(error)[:12]
    converter = _Converter(answer_format, literals)
    scenarios = [converter.scenario(raw, taken) for raw in answer.scenarios]  # type: ignore[attr-defined]
    if lenient:
        scenarios = [kept for kept in (without_conflicts(s, answer_format, literals) for s in scenarios) if kept.seed]
        if not scenarios:
            return None, ["no row is left once the rows that break a key or refer to no row seeded before them "
                          "are left out: give every row its own key and seed parents first"]
    errors = check_scenarios(scenarios, answer_format, literals)
    return (None, errors) if errors else (_distinct(scenarios), [])


def _distinct(scenarios: list[Scenario]) -> list[Scenario]:
    """The scenarios without repeats of an earlier one (same rows, action and expectations): the
    same test twice proves nothing more."""
    seen: set[str] = set()
    kept = []
    for scenario in scenarios:
        key = repr((scenario.seed, scenario.action, scenario.raises, scenario.expect))
        if key not in seen:
            seen.add(key)
            kept.append(scenario)
    return kept


_UNION_TAG = re.compile(r"^(int|float|str|bool|none|datetime|date|time|uuid|decimal|constrained-str|list\[.*\]|"
                        r"str-enum\[.*\]|literal\[.*\]|function-\w+\[.*\])$")


def _messages(error: ValidationError) -> list[str]:
    """One line per place: the alternatives of a union (an integer or a placeholder) said together."""
    found: dict[str, list[str]] = {}
    for problem in error.errors():
        loc = tuple(problem["loc"])
        if loc and isinstance(loc[-1], str) and _UNION_TAG.match(loc[-1]):
            loc = loc[:-1]
        messages = found.setdefault(_where(loc), [])
        if problem["msg"] not in messages:
            messages.append(problem["msg"])
    return [f"{where}: {' or '.join(messages)}" for where, messages in found.items()]


def _where(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "answer"


class _Converter:
    """pydantic's answer -> :class:`Scenario` with real values."""

    def __init__(self, answer_format: AnswerFormat, literals: Literals) -> None:
        self.format = answer_format
        self.literals = literals

    def value(self, table: TableFormat, column: str, value: Any) -> Any:
        if isinstance(value, list):
            return [self.value(table, column, v) for v in value]
        if isinstance(value, enum.Enum):
            value = value.value
        value = self.literals.substitute(value)
        kind = table.kinds.get(column)
        if kind is not None and kind.kind == "str" and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return kind.python(value) if kind is not None else value

    def row(self, table: TableFormat, raw: BaseModel | None) -> dict[str, Any]:
        if raw is None:
            return {}
        given = raw.model_dump(by_alias=True, exclude_unset=True)
        return {column: self.value(table, column, value) for column, value in given.items()}

    def scenario(self, raw: Any, taken: set[str]) -> Scenario:
        name = raw.name.removeprefix("test_")
        unique, number = name, 2
        while f"test_{unique}" in taken:
            unique, number = f"{name}_{number}", number + 1
        taken.add(f"test_{unique}")
        seed: list[SeedRows] = []
        seen: set[tuple[str, str]] = set()
        for item in raw.seed:
            table = self.format.tables[item.table]
            rows = []
            for row in (self.row(table, r) for r in item.rows):
                key = (item.table, repr(sorted(row.items())))
                if key not in seen:  # the same row twice is the same row: once is enough
                    seen.add(key)
                    rows.append(row)
            if rows:
                seed.append(SeedRows(table=item.table, rows=rows))
        expect = []
        for item in getattr(raw, "expect", []):
            table = self.format.tables[item.table]
            expect.append(Expectation(
                table=item.table, after=item.after, where=self.row(table, item.where), count=item.count,
                values=self.row(table, item.values),
                rows=[self.row(table, r) for r in item.rows] if item.rows is not None else None,
            ))
        purpose = self.literals.substitute(raw.purpose.strip())  # the test's docstring, on this machine
        return Scenario(name=unique, purpose=str(purpose), seed=seed,
                        action=getattr(raw, "action", "upgrade_then_downgrade"),
                        raises=getattr(raw, "raises", False), expect=expect)


def check_scenarios(scenarios: list[Scenario], answer_format: AnswerFormat, literals: Literals) -> list[str]:
    """Everything the schema cannot say that is wrong with ``scenarios``."""
    errors: list[str] = []
    for index, scenario in enumerate(scenarios):
        where = f"scenarios[{index}] ({scenario.name})"
        errors += [f"{where}: {e}" for e in _seed_problems(scenario, answer_format, literals)]
        if answer_format.output == "scenarios":
            errors += [f"{where}: {e}" for e in _expectation_problems(scenario, answer_format)]
    return errors


def _show(value: Any, literals: Literals) -> str:
    return repr(literals.hide(value))


def _seed_problems(scenario: Scenario, answer_format: AnswerFormat, literals: Literals) -> list[str]:
    start = scenario.start
    problems: list[str] = []
    inserted: dict[str, list[dict[str, Any]]] = {}
    for number, item in enumerate(scenario.seed):
        table = answer_format.tables[item.table]
        info = table.info(start)
        label = f"seed[{number}] ({item.table})"
        if info is None:
            problems.append(f"{label}: table {item.table} does not exist {STATE[start]}"
                            + (" (seed it in a downgrade scenario)" if start == "upgrade" else ""))
            continue
        required = table.required(start)
        for row_number, row in enumerate(item.rows):
            at = f"{label}.rows[{row_number}]"
            unknown = [c for c in row if c not in info.columns]
            if unknown:
                problems.append(f"{at}: {', '.join(unknown)} {'is not a column' if len(unknown) == 1 else 'are not columns'}"
                                f" of {item.table} {STATE[start]} (columns: {', '.join(info.columns)})")
            for column in required:
                if row.get(column) is None:
                    problems.append(f"{at}: {column} is NOT NULL without a default {STATE[start]}: give it a value")
            for column, value in row.items():
                if value is None and column in info.columns and not info.columns[column].nullable and column not in required:
                    problems.append(f"{at}: {column} is NOT NULL {STATE[start]}: leave it out (it has a default) or give a value")
            problems += [f"{at}: {p}" for p in _key_problems(item.table, info, row, inserted, answer_format, literals)]
            inserted.setdefault(item.table, []).append(row)
    return problems


def without_conflicts(scenario: Scenario, answer_format: AnswerFormat, literals: Literals) -> Scenario:
    """The scenario without the rows that break a key or refer to no row seeded before them."""
    inserted: dict[str, list[dict[str, Any]]] = {}
    seed, left_out = [], list(scenario.left_out)
    for number, item in enumerate(scenario.seed):
        info = answer_format.tables[item.table].info(scenario.start)
        rows = []
        for row_number, row in enumerate(item.rows):
            problems = _key_problems(item.table, info, row, inserted, answer_format, literals) if info else []
            if problems:
                left_out.append(f"seed[{number}] ({item.table}).rows[{row_number}]: {problems[0]}")
                continue
            inserted.setdefault(item.table, []).append(row)
            rows.append(row)
        if rows:
            seed.append(item.model_copy(update={"rows": rows}))
    return scenario.model_copy(update={"seed": seed, "left_out": left_out})


def _key_problems(table: str, info: Any, row: dict[str, Any], inserted: dict[str, list[dict[str, Any]]],
                  answer_format: AnswerFormat, literals: Literals) -> list[str]:
    problems = []
    earlier = inserted.get(table, [])
    uniques = [info.primary_key.columns] + [u.columns for u in info.unique_constraints] + [
        i.columns for i in info.indexes if i.unique and i.columns and not i.where]
    for columns in uniques:
        if not columns or any(row.get(c) is None for c in columns):
            continue
        value = tuple(row[c] for c in columns)
        if any(tuple(other.get(c) for c in columns) == value for other in earlier):
            shown = ", ".join(f"{c} = {_show(row[c], literals)}" for c in columns)
            kind = "the primary key" if columns == info.primary_key.columns else "unique"
            problems.append(f"{shown} is seeded twice in {table} ({kind}): give each row its own value")
    for fk in info.foreign_keys:
        parent = f"{fk.referred_schema}.{fk.referred_table}" if fk.referred_schema else fk.referred_table
        if parent not in answer_format.tables or any(row.get(c) is None for c in fk.columns):
            continue
        wanted = tuple(row[c] for c in fk.columns)
        candidates = inserted.get(parent, []) + ([row] if parent == table else [])
        if not any(tuple(p.get(c) for c in fk.referred_columns) == wanted for p in candidates):
            shown = ", ".join(f"{c} = {_show(v, literals)}" for c, v in zip(fk.columns, wanted))
            target = ", ".join(f"{c} = {_show(v, literals)}" for c, v in zip(fk.referred_columns, wanted))
            problems.append(f"{shown} references {parent}, but no {parent} row with {target} is seeded before it: "
                            "seed the parent rows first")
    return problems


def _expectation_problems(scenario: Scenario, answer_format: AnswerFormat) -> list[str]:
    problems = []
    if scenario.raises and scenario.expect:
        problems.append("raises is true, so nothing is read after the step: leave expect empty")
    if not scenario.raises and not scenario.expect:
        problems.append("it expects nothing: add an expectation, or set raises to true")
    for number, expectation in enumerate(scenario.expect):
        label = f"expect[{number}] ({expectation.table})"
        if expectation.after not in scenario.steps:
            problems.append(f"{label}: after is {expectation.after!r}, but the action {scenario.action!r} runs "
                            f"{' and '.join(scenario.steps)} only")
            continue
        table = answer_format.tables[expectation.table]
        info = table.after if expectation.after == "upgrade" else table.before
        if info is None:
            problems.append(f"{label}: table {expectation.table} does not exist {AFTER[expectation.after]}")
            continue
        used = set(expectation.where) | set(expectation.values) | {c for r in expectation.rows or [] for c in r}
        unknown = sorted(used - set(info.columns))
        if unknown:
            problems.append(f"{label}: {', '.join(unknown)} {'is not a column' if len(unknown) == 1 else 'are not columns'} "
                            f"of {expectation.table} {AFTER[expectation.after]}")
        if expectation.is_empty():
            problems.append(f"{label}: it checks nothing: give count, values or rows")
        if expectation.rows and len({tuple(r) for r in expectation.rows}) > 1:
            problems.append(f"{label}: every item of rows must give the same columns")
        if expectation.rows is not None and any(not r for r in expectation.rows):
            problems.append(f"{label}: an item of rows gives no column")
    return problems
