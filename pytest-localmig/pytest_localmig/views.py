"""Schema views: what generated tests assert on (``migrations.schema_after(REVISION)`` and friends)."""

from __future__ import annotations

from typing import Any


class SchemaView:
    """A frozen reflection of a database, with small accessors for readable assertions."""

    def __init__(self, objects: dict[str, Any]) -> None:
        self.objects = objects

    @property
    def tables(self) -> set[str]:
        return {key[6:] for key in self.objects if key.startswith("table:")}

    @property
    def views(self) -> set[str]:
        return {key[5:] for key in self.objects if key.startswith("view:")}

    @property
    def sequences(self) -> set[str]:
        return {key[9:] for key in self.objects if key.startswith("sequence:")}

    @property
    def enums(self) -> dict[str, list[str]]:
        return {key[5:]: value["labels"] for key, value in self.objects.items() if key.startswith("enum:")}

    def __contains__(self, table: str) -> bool:
        return f"table:{table}" in self.objects

    def table(self, table: str) -> dict[str, Any]:
        assert table in self, f"table {table!r} does not exist; tables: {sorted(self.tables)}"
        return self.objects[f"table:{table}"]

    def columns(self, table: str) -> dict[str, dict[str, Any]]:
        return self.table(table)["columns"]

    def column(self, table: str, column: str) -> dict[str, Any]:
        columns = self.columns(table)
        assert column in columns, f"{table}.{column} does not exist; columns: {sorted(columns)}"
        return columns[column]

    def primary_key(self, table: str) -> list[str]:
        return self.table(table)["primary_key"]["columns"]

    def foreign_keys(self, table: str) -> list[dict[str, Any]]:
        return self.table(table)["foreign_keys"]

    def indexes(self, table: str) -> dict[str, dict[str, Any]]:
        return {index["name"]: index for index in self.table(table)["indexes"]}

    def unique_constraints(self, table: str) -> list[dict[str, Any]]:
        return self.table(table)["unique_constraints"]

    def check_constraints(self, table: str) -> list[dict[str, Any]]:
        return self.table(table)["check_constraints"]

    def find_foreign_key(self, table: str, columns: list[str]) -> dict[str, Any] | None:
        """The foreign key of ``table`` on exactly these columns, if any."""
        return next((fk for fk in self.foreign_keys(table) if fk["columns"] == columns), None)

    def find_unique(self, table: str, columns: list[str]) -> dict[str, Any] | None:
        """The unique constraint (or unique index) of ``table`` on exactly these columns, if any."""
        found = [u for u in self.unique_constraints(table) if u["columns"] == columns]
        found += [i for i in self.table(table)["indexes"] if i["unique"] and i["columns"] == columns]
        return found[0] if found else None

    def find_check(self, table: str, name_or_sql: str) -> dict[str, Any] | None:
        """The check constraint of ``table`` with this name (or this SQL text), if any."""
        wanted = " ".join(name_or_sql.split())
        return next((c for c in self.check_constraints(table) if wanted in (c["name"], c["sqltext"])), None)

