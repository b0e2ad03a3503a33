"""Typed schema snapshots and the diff between two of them.

A :class:`SchemaSnapshot` is the harness's reflection (plain dicts) validated into pydantic
types; a :class:`SchemaDiff` lists what one revision changed, in a stable order. The diff is
what the deterministic engine turns into assertions and what a model is shown, so it is
serialisable and describes itself in plain words.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ColumnInfo(BaseModel):
    type: str = Field(description="Dialect-neutral type, e.g. String(length=50).")
    nullable: bool
    default: str | None = Field(None, description="Server default as SQL text.")
    autoincrement: bool = False
    computed: str | None = None

    def describe(self) -> str:
        text = f"{self.type} {'NULL' if self.nullable else 'NOT NULL'}"
        if self.default is not None:
            text += f" DEFAULT {self.default}"
        if self.computed:
            text += f" GENERATED AS ({self.computed})"
        return text


class PrimaryKeyInfo(BaseModel):
    name: str | None = None
    columns: list[str] = Field(default_factory=list)


class ForeignKeyInfo(BaseModel):
    name: str | None = None
    columns: list[str]
    referred_schema: str | None = None
    referred_table: str
    referred_columns: list[str]
    ondelete: str | None = None
    onupdate: str | None = None

    @property
    def key(self) -> str:
        return self.name or f"({', '.join(self.columns)}) -> {self.referred_table}"

    def describe(self) -> str:
        target = f"{self.referred_schema + '.' if self.referred_schema else ''}{self.referred_table}"
        text = f"({', '.join(self.columns)}) REFERENCES {target} ({', '.join(self.referred_columns)})"
        if self.ondelete:
            text += f" ON DELETE {self.ondelete}"
        if self.onupdate:
            text += f" ON UPDATE {self.onupdate}"
        return text


class IndexInfo(BaseModel):
    name: str
    columns: list[str]
    expressions: list[str] = Field(default_factory=list)
    unique: bool = False
    where: str | None = None
    using: str | None = Field(None, description="Index method when not the default (gin, gist...).")

    @property
    def key(self) -> str:
        return self.name

    def describe(self) -> str:
        parts = ", ".join(self.expressions or self.columns)
        using = f" USING {self.using}" if self.using else ""
        text = f"{'UNIQUE ' if self.unique else ''}INDEX {self.name}{using} ({parts})"
        return text + (f" WHERE {self.where}" if self.where else "")


class UniqueInfo(BaseModel):
    name: str | None = None
    columns: list[str]

    @property
    def key(self) -> str:
        return self.name or f"({', '.join(self.columns)})"

    def describe(self) -> str:
        return f"UNIQUE ({', '.join(self.columns)})" + (f" named {self.name}" if self.name else "")


class CheckInfo(BaseModel):
    name: str | None = None
    sqltext: str

    @property
    def key(self) -> str:
        return self.name or self.sqltext

    def describe(self) -> str:
        return f"CHECK ({self.sqltext})" + (f" named {self.name}" if self.name else "")


class TableInfo(BaseModel):
    columns: dict[str, ColumnInfo]
    primary_key: PrimaryKeyInfo = Field(default_factory=PrimaryKeyInfo)
    foreign_keys: list[ForeignKeyInfo] = Field(default_factory=list)
    indexes: list[IndexInfo] = Field(default_factory=list)
    unique_constraints: list[UniqueInfo] = Field(default_factory=list)
    check_constraints: list[CheckInfo] = Field(default_factory=list)

    def describe(self) -> list[str]:
        """The table as short lines of DDL-like text (what a model reads)."""
        lines = [f"{name} {column.describe()}" for name, column in self.columns.items()]
        if self.primary_key.columns:
            lines.append(f"PRIMARY KEY ({', '.join(self.primary_key.columns)})")
        lines += [f"FOREIGN KEY {fk.describe()}" for fk in self.foreign_keys]
        lines += [u.describe() for u in self.unique_constraints]
        lines += [c.describe() for c in self.check_constraints]
        lines += [i.describe() for i in self.indexes]
        return lines


class SchemaSnapshot(BaseModel):
    """The schema at one point of the history."""

    tables: dict[str, TableInfo] = Field(default_factory=dict)
    views: dict[str, str] = Field(default_factory=dict, description="name -> definition")
    enums: dict[str, list[str]] = Field(default_factory=dict, description="name -> labels")
    sequences: list[str] = Field(default_factory=list)

    @classmethod
    def from_objects(cls, objects: dict[str, Any], validated: dict[int, tuple] | None = None) -> SchemaSnapshot:
        """From the harness's reflection (``table:x`` / ``view:x`` / ``enum:x`` / ``sequence:x``).

        Snapshots of consecutive states share the dicts of unchanged tables; with a
        ``validated`` cache (id of dict -> (dict, TableInfo)) each dict is validated once, and an
        unchanged table is the same TableInfo object in both snapshots.
        """
        snapshot = cls()
        cache = {} if validated is None else validated
        for key, value in sorted(objects.items()):
            kind, _, name = key.partition(":")
            if kind == "table":
                cached = cache.get(id(value))
                if cached is None or cached[0] is not value:
                    cached = (value, TableInfo.model_validate(value))
                    cache[id(value)] = cached
                snapshot.tables[name] = cached[1]
            elif kind == "view":
                snapshot.views[name] = value["definition"]
            elif kind == "enum":
                snapshot.enums[name] = list(value["labels"])
            elif kind == "sequence":
                snapshot.sequences.append(name)
        return snapshot

    def neighbours(self, tables: set[str]) -> set[str]:
        """Tables linked to ``tables`` by a foreign key, in either direction."""
        found = set()
        for name, table in self.tables.items():
            for fk in table.foreign_keys:
                target = f"{fk.referred_schema}.{fk.referred_table}" if fk.referred_schema else fk.referred_table
                if name in tables and target in self.tables:
                    found.add(target)
                if target in tables:
                    found.add(name)
        return found - tables


ChangeKind = Literal[
    "add_table",
    "drop_table",
    "add_column",
    "drop_column",
    "alter_column_type",
    "alter_column_nullable",
    "alter_column_default",
    "alter_primary_key",
    "add_index",
    "drop_index",
    "add_unique",
    "drop_unique",
    "add_foreign_key",
    "drop_foreign_key",
    "add_check",
    "drop_check",
    "add_view",
    "drop_view",
    "alter_view",
    "add_enum",
    "drop_enum",
    "alter_enum",
    "add_sequence",
    "drop_sequence",
]


class SchemaChange(BaseModel):
    """One difference between two snapshots."""

    kind: ChangeKind
    table: str = Field(description="The table (or view, enum, sequence) concerned.")
    name: str | None = Field(None, description="Column, index or constraint, when the change is inside a table.")
    before: Any = None
    after: Any = None

    def describe(self) -> str:
        """One line in plain words, e.g. ``add column orders.amount Numeric(...) NOT NULL``."""
        verb, _, what = self.kind.partition("_")
        subject = f"{self.table}.{self.name}" if what.startswith("column") else self.table
        if what.startswith("column_"):
            attribute = what.removeprefix("column_")
            return f"alter column {subject}: {attribute} {_short(self.before, attribute)} -> {_short(self.after, attribute)}"
        definition = self.after if verb == "add" else self.before
        detail = _detail(definition)
        if what in ("index", "unique", "foreign_key", "check"):
            return f"{verb} {what.replace('_', ' ')} on {self.table}: {detail}"
        if self.kind == "alter_primary_key":
            return f"alter primary key of {self.table}: {_detail(self.before)} -> {_detail(self.after)}"
        if self.kind == "alter_enum":
            return f"alter enum {self.table}: {self.before} -> {self.after}"
        return f"{verb} {what} {subject}" + (f" {detail}" if detail and what == "column" else "")


def _short(value: Any, attribute: str) -> str:
    if attribute == "nullable":
        return "NULL" if value else "NOT NULL"
    return "none" if value is None else str(value)


def _detail(definition: Any) -> str:
    if hasattr(definition, "describe"):
        described = definition.describe()
        return "; ".join(described) if isinstance(described, list) else described
    if isinstance(definition, PrimaryKeyInfo):
        return f"({', '.join(definition.columns)})"
    return "" if definition is None else str(definition)


class SchemaDiff(BaseModel):
    """Everything one revision's upgrade changed, in a stable order."""

    changes: list[SchemaChange] = Field(default_factory=list)

    @classmethod
    def between(cls, before: SchemaSnapshot, after: SchemaSnapshot) -> SchemaDiff:
        changes: list[SchemaChange] = []
        for name in sorted(set(before.tables) | set(after.tables)):
            old, new = before.tables.get(name), after.tables.get(name)
            if old is new:
                continue  # the same reflection: unchanged
            if old is None:
                changes.append(SchemaChange(kind="add_table", table=name, after=new))
            elif new is None:
                changes.append(SchemaChange(kind="drop_table", table=name, before=old))
            else:
                changes += _table_changes(name, old, new)
        changes += _named_changes("view", before.views, after.views)
        changes += _named_changes("enum", before.enums, after.enums)
        for name in sorted(set(before.sequences) ^ set(after.sequences)):
            kind = "add_sequence" if name in after.sequences else "drop_sequence"
            changes.append(SchemaChange(kind=kind, table=name))
        return cls(changes=changes)

    @property
    def touched_tables(self) -> list[str]:
        """Tables created, dropped or altered (views, enums and sequences left out)."""
        kinds = ("view", "enum", "sequence")
        return sorted({c.table for c in self.changes if not c.kind.endswith(kinds)})

    def describe(self) -> list[str]:
        return [change.describe() for change in self.changes]

    def __bool__(self) -> bool:
        return bool(self.changes)


def _table_changes(table: str, old: TableInfo, new: TableInfo) -> list[SchemaChange]:
    changes: list[SchemaChange] = []
    for column in sorted(set(old.columns) | set(new.columns)):
        before, after = old.columns.get(column), new.columns.get(column)
        if before is None:
            changes.append(SchemaChange(kind="add_column", table=table, name=column, after=after))
        elif after is None:
            changes.append(SchemaChange(kind="drop_column", table=table, name=column, before=before))
        else:
            for attribute, kind in (
                ("type", "alter_column_type"),
                ("nullable", "alter_column_nullable"),
                ("default", "alter_column_default"),
            ):
                if getattr(before, attribute) != getattr(after, attribute):
                    changes.append(
                        SchemaChange(
                            kind=kind,
                            table=table,
                            name=column,
                            before=getattr(before, attribute),
                            after=getattr(after, attribute),
                        )
                    )
    if old.primary_key.columns != new.primary_key.columns:
        changes.append(SchemaChange(kind="alter_primary_key", table=table, before=old.primary_key, after=new.primary_key))
    for kind, attribute in (
        ("index", "indexes"),
        ("unique", "unique_constraints"),
        ("foreign_key", "foreign_keys"),
        ("check", "check_constraints"),
    ):
        olds = {item.key: item for item in getattr(old, attribute)}
        news = {item.key: item for item in getattr(new, attribute)}
        for key in sorted(set(olds) | set(news)):
            if olds.get(key) == news.get(key):
                continue
            if key in olds:
                changes.append(SchemaChange(kind=f"drop_{kind}", table=table, name=key, before=olds[key]))
            if key in news:
                changes.append(SchemaChange(kind=f"add_{kind}", table=table, name=key, after=news[key]))
    return changes


def _named_changes(kind: str, before: dict[str, Any], after: dict[str, Any]) -> list[SchemaChange]:
    changes = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            changes.append(SchemaChange(kind=f"add_{kind}", table=name, after=after[name]))
        elif name not in after:
            changes.append(SchemaChange(kind=f"drop_{kind}", table=name, before=before[name]))
        elif before[name] != after[name]:
            changes.append(SchemaChange(kind=f"alter_{kind}", table=name, before=before[name], after=after[name]))
    return changes
