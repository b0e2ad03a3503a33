"""The per-revision answer format: pydantic models built from the captured schemas, whose JSON
schema goes to Ollama as ``format`` and which validate the answer again.

Every table a scenario may seed or check is its own branch (``"table"`` fixed to its name), and
within it every column is a property with the column's JSON type, ``maxLength``, enum members and
nullability, so that constrained decoding cannot name a table or column that does not exist or
give a string to an integer column. NOT NULL columns without a default (and primary keys) are
``required``. Lists and strings are bounded. Numeric columns also accept the numeric placeholders
of the redacted source (``<num_3>``), enum and short string columns its string placeholders
(``<str_4>``); any string may hold one. localmig puts the literal in.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from ...schema import SchemaSnapshot, TableInfo
from .columns import PYTHON_TYPES, ColumnKind, column_kind, required
from .types import MAX_EXPECTATIONS, MAX_ROWS, MAX_SCENARIOS, MAX_SEED_ITEMS, MAX_SET, Output

NAME = r"^[a-z][a-z0-9_]{2,60}$"


@dataclass
class TableFormat:
    """One table as scenarios see it: its columns in both states (before / after the upgrade)."""

    name: str
    before: TableInfo | None
    after: TableInfo | None
    kinds: dict[str, ColumnKind] = field(default_factory=dict)

    def info(self, start: str) -> TableInfo | None:
        """The table where rows are inserted: before the upgrade ("upgrade"), after it ("downgrade")."""
        return self.before if start == "upgrade" else self.after

    def required(self, start: str) -> list[str]:
        info = self.info(start)
        if info is None:
            return []
        keys = set(info.primary_key.columns)
        return [c for c, column in info.columns.items() if c in self.kinds and required(column, c in keys)]

    def nullable(self, column: str) -> bool:
        return any(info is not None and column in info.columns and info.columns[column].nullable
                   for info in (self.before, self.after))


def table_formats(before: SchemaSnapshot, after: SchemaSnapshot, names: list[str]) -> list[TableFormat]:
    """The tables ``names`` with the columns scenarios can give values to (tables that cannot be
    given a required column are left out)."""
    found = []
    for name in names:
        table = TableFormat(name, before.tables.get(name), after.tables.get(name))
        for info in (table.before, table.after):
            for column, column_info in (info.columns.items() if info else []):
                kind = column_kind(column_info)
                if kind is not None and column not in table.kinds:
                    table.kinds[column] = kind
        usable = [info for info in (table.before, table.after) if info is not None]
        if table.kinds and any(all(c in table.kinds for c in _all_required(info)) for info in usable):
            found.append(table)
    return found


def _all_required(info: TableInfo) -> list[str]:
    keys = set(info.primary_key.columns)
    return [c for c, column in info.columns.items() if required(column, keys.__contains__(c))]


class AnswerFormat:
    """The answer models of one revision for one output ("scenarios" or "inputs")."""

    def __init__(self, tables: list[TableFormat], output: Output, placeholders: list[str]) -> None:
        self.tables = {t.name: t for t in tables}
        self.output = output
        # both spellings the prompt shows: <num_3> (Python constants) and :num_3 (in SQL)
        numbers = [p for p in placeholders if p.startswith("<num_")]
        strings = [p for p in placeholders if p.startswith("<str_")]
        self.numbers = _placeholder_enum("NumberPlaceholder", numbers + [f":{p[1:-1]}" for p in numbers])
        self.strings = _placeholder_enum("StringPlaceholder", strings + [f":{p[1:-1]}" for p in strings])
        self.seedable = [t for t in tables if t.before is not None or (output == "scenarios" and t.after is not None)]
        self.answer = self._answer_model()

    def json_schema(self) -> dict[str, Any]:
        """What goes to Ollama as ``format``: the answer model's JSON schema, without titles and defaults."""
        return _lean(self.answer.model_json_schema())

    # ---- models

    def _value(self, table: TableFormat, column: str, *, sets: bool = False) -> Any:
        kind = table.kinds[column]
        base: Any = Literal.__getitem__(kind.labels) if kind.kind == "enum" else PYTHON_TYPES[kind.kind]
        if kind.kind == "str":
            base = Annotated[str, Field(max_length=kind.max_length)]
        if kind.numeric and self.numbers:  # keys too: WHERE id < :num_19 is a condition like any other
            base = Union[base, self.numbers]  # noqa: UP007 (built at run time)
        short = kind.kind == "str" and (kind.max_length or 0) < len("<str_10>")
        if (kind.kind == "enum" or short) and self.strings:  # else a string takes them anyway
            base = Union[base, self.strings]  # noqa: UP007
        if sets:
            base = Union[base, Annotated[list[base], Field(min_length=1, max_length=MAX_SET)]]  # noqa: UP007
        if table.nullable(column):
            base = base | None
        return base

    def _row(self, table: TableFormat, suffix: str, *, start: str | None, sets: bool = False) -> type[BaseModel]:
        needed = set(table.required(start)) if start else set()
        if start and self.output == "scenarios" and table.before is not None and table.after is not None:
            needed &= set(table.required("downgrade"))  # a row may start either side; checked per scenario
        info = table.info(start) if start and self.output == "inputs" else None  # inputs: always before the upgrade
        fields: dict[str, Any] = {}
        for index, column in enumerate(table.kinds):
            if info is not None and column not in info.columns:
                continue  # a column the upgrade adds: the rows go in before it exists
            annotation = self._value(table, column, sets=sets)
            default = ... if column in needed else None
            fields[f"c{index}"] = (annotation, Field(default, alias=column))
        return create_model(f"{_ident(table.name)}_{suffix}", __config__=ConfigDict(extra="forbid"), **fields)

    def _seed_item(self, table: TableFormat) -> type[BaseModel]:
        row: Any = self._row(table, "row", start="upgrade" if table.before is not None else "downgrade")
        fields: dict[str, Any] = {"table": (Literal.__getitem__(table.name), ...),
                                  "rows": (list[row], Field(min_length=1, max_length=MAX_ROWS))}
        return create_model(f"{_ident(table.name)}_seed", __config__=ConfigDict(extra="forbid"), **fields)

    def _expectation(self, table: TableFormat) -> type[BaseModel]:
        where: Any = self._row(table, "where", start=None)
        values: Any = self._row(table, "values", start=None, sets=True)
        fields: dict[str, Any] = {
            "table": (Literal.__getitem__(table.name), ...),
            "after": (Literal["upgrade", "downgrade"], ...),
            "where": (where | None, Field(None, description="the rows it is about (null: IS NULL); all rows if left out")),
            "count": (int | None, Field(None, ge=0, le=100, description="how many rows match where")),
            "values": (values | None, Field(None, description="what every matching row holds (a list: one of these)")),
            "rows": (list[where] | None, Field(None, max_length=MAX_ROWS * 2, description="the matching rows exactly")),
        }
        return create_model(f"{_ident(table.name)}_expectation", __config__=ConfigDict(extra="forbid"), **fields)

    def _answer_model(self) -> type[BaseModel]:
        seeds: Any = _union([self._seed_item(t) for t in self.seedable])
        fields: dict[str, Any] = {
            "name": (str, Field(pattern=NAME, description="lower_snake_case: what the scenario proves")),
            "purpose": (str, Field(max_length=160, description="one sentence: which case of the migration the rows reach")),
            "seed": (list[seeds], Field(min_length=1, max_length=MAX_SEED_ITEMS)),
        }
        limit = MAX_SCENARIOS
        if self.output == "scenarios":
            expectable = list(self.tables.values())
            fields["action"] = (Literal["upgrade", "upgrade_then_downgrade", "downgrade"], ...)
            fields["raises"] = (bool, Field(False, description="true: the first step must fail on these rows"))
            expectation: Any = _union([self._expectation(t) for t in expectable])
            fields["expect"] = (list[expectation], Field(max_length=MAX_EXPECTATIONS))
        else:
            limit = 2  # inputs: small models; a shorter answer ends within num_predict
        scenario: Any = create_model("Scenario", __config__=ConfigDict(extra="forbid"), **fields)
        answer: dict[str, Any] = {"scenarios": (list[scenario], Field(min_length=1, max_length=limit))}
        return create_model("Answer", __config__=ConfigDict(extra="forbid"), **answer)


def _union(models: list[type[BaseModel]]) -> Any:
    if len(models) == 1:
        return models[0]
    return Annotated[Union[tuple(models)], Field(discriminator="table")]  # noqa: UP007


def _placeholder_enum(name: str, values: list[str]) -> Any:
    if not values:
        return None
    members: Any = {f"p{i}": value for i, value in enumerate(values)}
    return enum.Enum(name, members, type=str)


def _ident(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _lean(schema: Any) -> Any:
    """The schema without ``title``, ``default`` and pydantic's ``discriminator`` (noise for the
    grammar; every branch fixes its ``table`` anyway). Property names (columns called ``title``)
    are kept."""
    if isinstance(schema, list):
        return [_lean(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    lean = {}
    for key, value in schema.items():
        if key in ("title", "default", "discriminator"):
            continue
        if key in ("properties", "$defs"):
            lean[key] = {name: _lean(sub) for name, sub in value.items()}
        else:
            lean[key] = _lean(value)
    return lean
