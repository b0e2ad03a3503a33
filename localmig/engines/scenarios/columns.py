"""What a value of a column may be, read from the captured column type: the Python type a
scenario's value is validated as (and so its JSON type), its bounds and enum members."""

from __future__ import annotations

import ast
import datetime
import decimal
import uuid
from dataclasses import dataclass
from typing import Any

from ...schema import ColumnInfo
from ...syntax import parse

MAX_STRING = 64  # longer strings are never needed to reach a branch; bounded answers end sooner

_KINDS = {
    "int": {"Integer", "BigInteger", "SmallInteger", "INTEGER", "BIGINT", "SMALLINT", "INT"},
    "str": {"String", "VARCHAR", "CHAR", "NCHAR", "NVARCHAR", "Text", "TEXT", "Unicode", "UnicodeText", "CLOB"},
    "bool": {"Boolean", "BOOLEAN"},
    "decimal": {"Numeric", "NUMERIC", "DECIMAL"},
    "float": {"Float", "FLOAT", "Double", "DOUBLE", "REAL", "DOUBLE_PRECISION"},
    "datetime": {"DateTime", "DATETIME", "TIMESTAMP"},
    "date": {"Date", "DATE"},
    "time": {"Time", "TIME"},
    "uuid": {"Uuid", "UUID"},
    "enum": {"Enum", "ENUM"},
}
PYTHON_TYPES: dict[str, Any] = {"int": int, "str": str, "bool": bool, "decimal": float, "float": float,
                                "datetime": datetime.datetime, "date": datetime.date, "time": datetime.time,
                                "uuid": uuid.UUID}


@dataclass(frozen=True)
class ColumnKind:
    """A column's values as a scenario gives them."""

    kind: str
    max_length: int | None = None
    labels: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "decimal", "float")

    def python(self, value: Any) -> Any:
        """A validated JSON value as the database takes it (a number of a NUMERIC column as Decimal)."""
        if self.kind == "decimal" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return decimal.Decimal(str(value))
        return value


def column_kind(column: ColumnInfo) -> ColumnKind | None:
    """The kind of values ``column`` takes, or None when scenarios cannot give it values (JSON,
    binary, arrays, computed columns...)."""
    if column.computed:
        return None
    name, arguments = _call(column.type)
    kind = next((k for k, names in _KINDS.items() if name in names), None)
    if kind is None:
        return None
    if kind == "enum":
        labels = tuple(a for a in arguments.get("args", []) if isinstance(a, str))
        return ColumnKind("enum", labels=labels) if labels else ColumnKind("str", max_length=MAX_STRING)
    if kind == "str":
        length = arguments.get("length") or (arguments.get("args") or [None])[0]
        bound = min(length, MAX_STRING) if isinstance(length, int) and length > 0 else MAX_STRING
        return ColumnKind("str", max_length=bound)
    return ColumnKind(kind)


def _call(type_text: str) -> tuple[str, dict[str, Any]]:
    """``String(length=50)`` -> ("String", {"length": 50, "args": []})."""
    try:
        node = parse(type_text.strip(), mode="eval").body
    except SyntaxError:
        return type_text.split("(", 1)[0].strip(), {}
    if not isinstance(node, ast.Call):
        return (node.id if isinstance(node, ast.Name) else type_text), {}
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    found: dict[str, Any] = {"args": []}
    for argument in node.args:
        try:
            found["args"].append(ast.literal_eval(argument))
        except ValueError:
            pass
    for keyword in node.keywords:
        try:
            found[keyword.arg or ""] = ast.literal_eval(keyword.value)
        except ValueError:
            pass
    return name, found


def required(column: ColumnInfo, primary_key: bool) -> bool:
    """Whether a row must give the column: NOT NULL without a server default, or a primary key
    (a key given explicitly is one other rows can refer to)."""
    if column.computed:
        return False
    return primary_key or (not column.nullable and column.default is None and not column.autoincrement)
