"""The synthetic Alembic project of bench/capture.py: N plausible, fully reversible revisions.

Revisions create tables with an index and sometimes a foreign key, add columns, add indexes,
widen columns through ``batch_alter_table``, run ``op.execute`` data steps, and branch and merge
every ~50 revisions; every downgrade is correct. Deterministic for a given N. The generic
alembic.ini and env.py (the latter taking ``config.attributes["connection"]`` like Alembic's
cookbook says); ``write_project(root, size, url=...)`` points alembic.ini at any database URL.
"""

from __future__ import annotations

import compileall
import hashlib
import random
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from project_files import ALEMBIC_INI, ENV_PY, REVISION, SCRIPT_MAKO

NOUNS = [
    "customer", "product", "order", "invoice", "shipment", "supplier", "warehouse", "payment",
    "refund", "coupon", "review", "category", "address", "employee", "team", "project", "ticket",
    "comment", "attachment", "subscription", "plan", "event", "device", "report", "budget",
    "contract", "vendor", "asset", "carrier", "voucher",
]

# (name, SQLAlchemy type, NOT NULL, server default) -- columns a create_table may carry
TABLE_EXTRAS = [
    ("quantity", "sa.Integer()", True, 'sa.text("0")'),
    ("amount", "sa.Numeric(precision=10, scale=2)", False, None),
    ("is_active", "sa.Boolean()", True, 'sa.text("true")'),
    ("created_at", "sa.DateTime()", True, 'sa.text("CURRENT_TIMESTAMP")'),
    ("status", "sa.String(length=20)", True, '"new"'),
    ("notes", "sa.Text()", False, None),
    ("email", "sa.String(length=120)", False, None),
]

# columns an add_column revision may add (NOT NULL ones carry a server default)
ADDED = [
    ("priority", "sa.Integer()", True, 'sa.text("0")'),
    ("archived_at", "sa.DateTime()", False, None),
    ("external_ref", "sa.String(length=64)", False, None),
    ("currency", "sa.String(length=3)", True, '"EUR"'),
    ("discount", "sa.Numeric(precision=5, scale=2)", False, None),
    ("is_deleted", "sa.Boolean()", True, 'sa.text("false")'),
    ("description", "sa.Text()", False, None),
    ("sort_key", "sa.Integer()", True, 'sa.text("100")'),
]


@dataclass
class Table:
    name: str
    columns: dict[str, str] = field(default_factory=dict)  # name -> SQLAlchemy type text
    not_null: set[str] = field(default_factory=set)
    indexed: set[str] = field(default_factory=set)
    unique: set[str] = field(default_factory=set)
    fks: set[str] = field(default_factory=set)


@dataclass
class Revision:
    id: str
    down: str | tuple[str, ...] | None
    message: str
    upgrade: list[str]
    downgrade: list[str]

    def source(self, index: int) -> str:
        created = f"2025-{1 + index // 28 % 12:02d}-{1 + index % 28:02d} 10:{index % 60:02d}:00.000000"
        revises = ", ".join(self.down) if isinstance(self.down, tuple) else (self.down or "")
        return REVISION.format(
            message=self.message,
            revision=self.id,
            revises=revises,
            created=created,
            down=self.down,
            upgrade=textwrap.indent("\n".join(self.upgrade or ["pass"]), "    "),
            downgrade=textwrap.indent("\n".join(self.downgrade or ["pass"]), "    "),
        )

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "_", self.message.lower()).strip("_")[:40].rstrip("_")


def _column(name: str, type_: str, not_null: bool, default: str | None) -> str:
    parts = [repr(name), type_]
    if default:
        parts.append(f"server_default={default}")
    parts.append(f"nullable={not not_null}")
    return f"sa.Column({', '.join(parts)})"


class HistoryWriter:
    """Makes a plausible, fully reversible history of N revisions (deterministic for a given N)."""

    BLOCK = 50  # one branch + merge per block
    BRANCH_AT = 30  # position in the block where the branch starts (5 revisions: A, B, A, B, merge)

    def __init__(self, size: int) -> None:
        self.size = size
        self.random = random.Random(size * 7919)
        self.tables: dict[str, Table] = {}
        self.serial = 0
        self.revisions: list[Revision] = []

    def _id(self, index: int) -> str:
        return hashlib.sha1(f"localmig-bench-{self.size}-{index}".encode()).hexdigest()[:12]

    def build(self) -> list[Revision]:
        head: str | None = None
        index = 0
        while index < self.size:
            in_block = index % self.BLOCK
            if in_block == self.BRANCH_AT and index + 5 <= self.size and head is not None:
                head = self._branch_and_merge(index, head)
                index += 5
                continue
            revision = self._revision(self._id(index), head, list(self.tables))
            self.revisions.append(revision)
            head = revision.id
            index += 1
        return self.revisions

    def _branch_and_merge(self, index: int, head: str) -> str:
        existing = sorted(self.tables)
        side = {"a": existing[0::2], "b": existing[1::2]}  # the branches touch disjoint tables
        heads = {"a": head, "b": head}
        for offset, branch in enumerate("abab"):
            known = set(self.tables)
            revision = self._revision(self._id(index + offset), heads[branch], side[branch])
            side[branch] = side[branch] + [t for t in self.tables if t not in known]  # its own new tables
            self.revisions.append(revision)
            heads[branch] = revision.id
        merge = Revision(
            id=self._id(index + 4),
            down=(heads["a"], heads["b"]),
            message="merge heads",
            upgrade=[],
            downgrade=[],
        )
        self.revisions.append(merge)
        return merge.id

    def _revision(self, revision_id: str, down: str | None, allowed: list[str]) -> Revision:
        tables = [self.tables[t] for t in allowed if t in self.tables]
        roll = self.random.random()
        if not tables or roll < 0.42:
            message, up, down_ops = self._create_table(tables)
        elif roll < 0.62:
            message, up, down_ops = self._add_column(self.random.choice(tables))
        elif roll < 0.76:
            message, up, down_ops = self._create_index(self.random.choice(tables))
        elif roll < 0.84:
            message, up, down_ops = self._widen_column(self.random.choice(tables))
        elif roll < 0.92:
            message, up, down_ops = self._backfill(self.random.choice(tables))
        else:
            message, up, down_ops = self._renumber(self.random.choice(tables))
        return Revision(revision_id, down, message, up, down_ops)

    # ---- operations

    def _create_table(self, earlier: list[Table]) -> tuple[str, list[str], list[str]]:
        self.serial += 1
        name = f"{NOUNS[self.serial % len(NOUNS)]}_{self.serial}"
        table = Table(name, {"id": "sa.Integer()", "name": "sa.String(length=80)"}, {"id", "name"})
        columns = [_column("id", "sa.Integer()", True, None), _column("name", "sa.String(length=80)", True, None)]
        for column, type_, not_null, default in self.random.sample(TABLE_EXTRAS, self.random.randint(1, 3)):
            columns.append(_column(column, type_, not_null, default))
            table.columns[column] = type_
            if not_null:
                table.not_null.add(column)
        constraints = [f"sa.PrimaryKeyConstraint('id', name=op.f('pk_{name}'))"]
        parent = self.random.choice(earlier) if earlier and self.random.random() < 0.45 else None
        if parent is not None:
            fk = f"{parent.name}_id"
            columns.append(_column(fk, "sa.Integer()", False, None))
            table.columns[fk] = "sa.Integer()"
            table.fks.add(fk)
            ondelete = ", ondelete='CASCADE'" if self.random.random() < 0.5 else ""
            constraints.append(
                f"sa.ForeignKeyConstraint(['{fk}'], ['{parent.name}.id'], name=op.f('fk_{name}_{fk}_{parent.name}'){ondelete})"
            )
        if "email" in table.columns and self.random.random() < 0.6:
            constraints.append(f"sa.UniqueConstraint('email', name=op.f('uq_{name}_email'))")
            table.unique.add("email")
        body = ",\n".join(f"    {item}" for item in columns + constraints)
        up = [f"op.create_table(\n    {name!r},\n{body},\n)", f"op.create_index(op.f('ix_{name}_name'), {name!r}, ['name'], unique=False)"]
        down = [f"op.drop_index(op.f('ix_{name}_name'), table_name={name!r})"]
        table.indexed.add("name")
        if parent is not None:
            fk = f"{parent.name}_id"
            up.append(f"op.create_index(op.f('ix_{name}_{fk}'), {name!r}, [{fk!r}], unique=False)")
            down.insert(0, f"op.drop_index(op.f('ix_{name}_{fk}'), table_name={name!r})")
            table.indexed.add(fk)
        down.append(f"op.drop_table({name!r})")
        self.tables[name] = table
        return f"create {name} table", up, down

    def _add_column(self, table: Table) -> tuple[str, list[str], list[str]]:
        name, type_, not_null, default = self.random.choice(ADDED)
        column = name if name not in table.columns else f"{name}_{len(table.columns)}"
        table.columns[column] = type_
        if not_null:
            table.not_null.add(column)
        up = [f"op.add_column({table.name!r}, {_column(column, type_, not_null, default)})"]
        down = [f"op.drop_column({table.name!r}, {column!r})"]
        return f"add {table.name}.{column}", up, down

    def _create_index(self, table: Table) -> tuple[str, list[str], list[str]]:
        free = [c for c in table.columns if c not in table.indexed and c != "id" and c not in table.unique]
        if not free:
            return self._add_column(table)
        column = self.random.choice(free)
        table.indexed.add(column)
        if self.random.random() < 0.3:
            columns, index = [column, "name"], f"ix_{table.name}_{column}_name"
        else:
            columns, index = [column], f"ix_{table.name}_{column}"
        up = [f"op.create_index(op.f({index!r}), {table.name!r}, {columns!r}, unique=False)"]
        down = [f"op.drop_index(op.f({index!r}), table_name={table.name!r})"]
        return f"index {table.name}.{column}", up, down

    def _widen_column(self, table: Table) -> tuple[str, list[str], list[str]]:
        strings = [c for c, t in table.columns.items() if t.startswith("sa.String(")]
        column = self.random.choice(strings)  # every table has name String(80)
        old = table.columns[column]
        length = int(re.search(r"\d+", old).group())
        new = f"sa.String(length={length * 2})"
        table.columns[column] = new
        nullable = column not in table.not_null

        def alter(from_: str, to: str) -> str:
            return (
                f"with op.batch_alter_table({table.name!r}, schema=None) as batch_op:\n"
                f"    batch_op.alter_column(\n        {column!r},\n        existing_type={from_},\n"
                f"        type_={to},\n        existing_nullable={nullable},\n    )"
            )

        return f"widen {table.name}.{column}", [alter(old, new)], [alter(new, old)]

    def _backfill(self, table: Table) -> tuple[str, list[str], list[str]]:
        column = "search_name" if "search_name" not in table.columns else f"search_name_{len(table.columns)}"
        table.columns[column] = "sa.String(length=80)"
        up = [
            f"op.add_column({table.name!r}, {_column(column, 'sa.String(length=80)', False, None)})",
            f'op.execute("UPDATE {table.name} SET {column} = lower(name)")',
        ]
        down = [f"op.drop_column({table.name!r}, {column!r})"]
        return f"add and backfill {table.name}.{column}", up, down

    def _renumber(self, table: Table) -> tuple[str, list[str], list[str]]:
        numbers = [c for c, t in table.columns.items() if t == "sa.Integer()" and c in table.not_null and c != "id"]
        if not numbers:
            return self._backfill(table)
        column = self.random.choice(numbers)
        # exact inverse: rows >= 0 move to >= 1 and back; negative rows are never touched
        up = [f'op.execute("UPDATE {table.name} SET {column} = {column} + 1 WHERE {column} >= 0")']
        down = [f'op.execute("UPDATE {table.name} SET {column} = {column} - 1 WHERE {column} >= 1")']
        return f"shift {table.name}.{column} by one", up, down


def write_project(root: Path, size: int, url: str = "sqlite:///%(here)s/app.db") -> list[Revision]:
    """alembic.ini (its URL ``url``), migrations/env.py and N revision files under ``root``."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic.ini").write_text(ALEMBIC_INI.format(url=url.replace("%", "%%") if "%(here)s" not in url else url))
    (root / "migrations" / "env.py").write_text(ENV_PY)
    (root / "migrations" / "script.py.mako").write_text(SCRIPT_MAKO)
    (root / "migrations" / "README").write_text("Generic single-database configuration.\n")
    revisions = HistoryWriter(size).build()
    for index, revision in enumerate(revisions):
        (versions / f"{revision.id}_{revision.slug}.py").write_text(revision.source(index))
    if not sys.dont_write_bytecode:  # cached after a project's first run; charge it to no measurement
        compileall.compile_dir(str(root / "migrations"), quiet=1)
    return revisions
