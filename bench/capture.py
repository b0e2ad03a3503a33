"""Benchmark: localmig's capture and generated suite against the bare Alembic CLI.

Run it by hand (no pytest):

    python bench/capture.py                      # N = 50 and 200, each measurement 3 times
    python bench/capture.py --sizes 50 --repeat 1 --keep
    python bench/capture.py --profile            # plus a cProfile of the capture for N = 200

For each N it builds, in a temporary folder, a synthetic Alembic project of N revisions on
SQLite (the generic alembic.ini and env.py, the latter taking ``config.attributes["connection"]``
like Alembic's cookbook says; revisions that create tables with an index and sometimes a foreign
key, add columns, add indexes, widen columns through ``batch_alter_table``, run ``op.execute``
data steps, and branch and merge every ~50 revisions; every downgrade is correct), then measures
in the same run, each ``--repeat`` times (median reported):

* baseline: ``alembic -c alembic.ini upgrade head`` then ``alembic -c alembic.ini downgrade base``
  as subprocesses on a fresh SQLite file, once with the file on the temp dir (disk) and once on
  /dev/shm (memory). localmig keeps its scratch databases on /dev/shm when there is one, so the
  memory baseline is the like-for-like comparison; both are reported.
* capture: ``localmig scan PROJECT --json`` as a subprocess (start-up, discovery, capture,
  downgrade walk), and the in-process time of ``Capture(load(PROJECT)).run()``.
* suite: ``localmig generate PROJECT --out TMP/suite`` once (timed), then
  ``python -m pytest TMP/suite -q -p no:cacheprovider`` from the project folder.

Targets (from the issue): capture / baseline <= 1.5 and suite / baseline <= 3; ratios use the
CLI capture (wall time of a subprocess, like the baseline). A second table gives the same figures
in CPU time (user + system), which other processes on the machine disturb much less than wall
time; the 1-minute load average is printed, with a warning when the machine was busy.

Python's bytecode cache is on for every run (PYTHONPYCACHEPREFIX in the temp folder, so nothing
is written next to any source), warmed by untimed first runs; ``--no-bytecode-cache`` measures
with PYTHONDONTWRITEBYTECODE=1 instead, as in many containers (pytest then re-rewrites every
generated module on every run).

Every failure of the generated suite is printed: on this project (all downgrades correct) each
one is a localmig bug. Exit status: 0 clean, 1 localmig reported findings or failing tests, 2 the
bench itself could not run.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import cProfile
import hashlib
import io
import json
import logging
import os
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

try:
    import resource
except ImportError:  # Windows: no CPU times for subprocesses
    resource = None  # type: ignore[assignment]

CAPTURE_TARGET = 1.5
SUITE_TARGET = 3.0
PROFILE_SIZE = 200
MEMORY = "/dev/shm"
BIN = Path(sys.executable).parent

# --------------------------------------------------------------------------- the synthetic project

ALEMBIC_INI = """\
# A generic, single database configuration (localmig benchmark project).

[alembic]
# path to migration scripts, relative to this file
script_location = %(here)s/migrations

# sys.path path, will be prepended to sys.path if present.
prepend_sys_path = .

# path_separator: how prepend_sys_path and version_locations are split
path_separator = os

# database URL.  This is consumed by the user-maintained env.py script only.
sqlalchemy.url = {url}


[post_write_hooks]

# Logging configuration
[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
"""

ENV_PY = '''\
from logging.config import fileConfig

from sqlalchemy import engine_from_config
from sqlalchemy import pool

from alembic import context

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

# add your model's MetaData object here
# for 'autogenerate' support
target_metadata = None


def run_migrations_offline() -> None:
    """Run migrations in 'offline' mode."""
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )

    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations in 'online' mode.

    A Connection passed in through ``config.attributes["connection"]`` is used
    as is (Alembic cookbook: "Sharing a Connection across one or more
    programmatic migration commands"); otherwise an Engine is built from the
    ``sqlalchemy.*`` options of the config.
    """
    connectable = config.attributes.get("connection", None)

    if connectable is None:
        connectable = engine_from_config(
            config.get_section(config.config_ini_section, {}),
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        with connectable.connect() as connection:
            do_run_migrations(connection)
    else:
        do_run_migrations(connectable)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

SCRIPT_MAKO = '''\
"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

# revision identifiers, used by Alembic.
revision: str = ${repr(up_revision)}
down_revision: Union[str, Sequence[str], None] = ${repr(down_revision)}
branch_labels: Union[str, Sequence[str], None] = ${repr(branch_labels)}
depends_on: Union[str, Sequence[str], None] = ${repr(depends_on)}


def upgrade() -> None:
    """Upgrade schema."""
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    """Downgrade schema."""
    ${downgrades if downgrades else "pass"}
'''

REVISION = '''\
"""{message}

Revision ID: {revision}
Revises: {revises}
Create Date: {created}

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = {revision!r}
down_revision: Union[str, Sequence[str], None] = {down!r}
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
{upgrade}


def downgrade() -> None:
    """Downgrade schema."""
{downgrade}
'''

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
    ("is_active", "sa.Boolean()", True, 'sa.text("1")'),
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
    ("is_deleted", "sa.Boolean()", True, 'sa.text("0")'),
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


def write_project(root: Path, size: int) -> list[Revision]:
    """alembic.ini, migrations/env.py and N revision files under ``root``."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic.ini").write_text(ALEMBIC_INI.format(url="sqlite:///%(here)s/app.db"))
    (root / "migrations" / "env.py").write_text(ENV_PY)
    (root / "migrations" / "script.py.mako").write_text(SCRIPT_MAKO)
    (root / "migrations" / "README").write_text("Generic single-database configuration.\n")
    revisions = HistoryWriter(size).build()
    for index, revision in enumerate(revisions):
        (versions / f"{revision.id}_{revision.slug}.py").write_text(revision.source(index))
    if not sys.dont_write_bytecode:  # cached after a project's first run; charge it to no measurement
        compileall.compile_dir(str(root / "migrations"), quiet=1)
    return revisions


# --------------------------------------------------------------------------- measuring


class BenchError(RuntimeError):
    pass


@dataclass
class Sample:
    wall: float  # seconds on the clock
    cpu: float  # user + system seconds of the process(es) doing the work (less sensitive to other load)


ENVIRONMENT: dict[str, str] = dict(os.environ)  # for every subprocess; set by use_bytecode_cache()


def use_bytecode_cache(work: Path, enabled: bool) -> str:
    """Make bytecode caching explicit instead of inheriting it from the caller's environment.

    With PYTHONDONTWRITEBYTECODE=1 (common in containers and CI) pytest re-rewrites the asserts
    of every generated module on every run, which costs the suite ~20% at N=200. By default the
    bench uses Python's normal behaviour (caches on), with every cache under the temp folder
    (PYTHONPYCACHEPREFIX) so nothing is written next to localmig's, alembic's or the suite's sources.
    """
    ENVIRONMENT.clear()
    ENVIRONMENT.update(os.environ)
    if not enabled:
        ENVIRONMENT["PYTHONDONTWRITEBYTECODE"] = "1"
        ENVIRONMENT.pop("PYTHONPYCACHEPREFIX", None)
        sys.dont_write_bytecode = True
        return "off (PYTHONDONTWRITEBYTECODE=1: every run recompiles revisions and re-rewrites test modules)"
    prefix = str(work / "pycache")
    ENVIRONMENT.pop("PYTHONDONTWRITEBYTECODE", None)
    ENVIRONMENT["PYTHONPYCACHEPREFIX"] = prefix
    sys.pycache_prefix = prefix
    sys.dont_write_bytecode = False
    return f"on, in {prefix} (warmed by untimed first runs)"


def _children_cpu() -> float:
    if resource is None:
        return float("nan")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str], cwd: Path, *, check: bool = True, ok: tuple[int, ...] = (0,)) -> tuple[Sample, subprocess.CompletedProcess]:
    """Run a subprocess; return its wall and CPU time and its result; raise with its output if it failed."""
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=ENVIRONMENT)
    sample = Sample(time.perf_counter() - started, _children_cpu() - cpu)
    if check and done.returncode not in ok:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
        raise BenchError(f"{' '.join(command)} exited {done.returncode}:\n{tail}")
    return sample, done


def tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        raise BenchError(f"`{name}` not found next to {sys.executable} nor on PATH")
    return found


def remove_database(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{suffix}")


def baseline(project: Path, ini: str, database: Path) -> Sample:
    """`alembic upgrade head` + `alembic downgrade base` on a fresh file."""
    remove_database(database)
    alembic = tool("alembic")
    up, _ = run([alembic, "-c", ini, "upgrade", "head"], project)
    down, _ = run([alembic, "-c", ini, "downgrade", "base"], project)
    return Sample(up.wall + down.wall, up.cpu + down.cpu)


def check_round_trip(database: Path) -> None:
    """After a full upgrade + downgrade only alembic_version may be left (sanity of the project)."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(database)) as connection:
        names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    left = [n for n in names if n != "alembic_version"]
    if left:
        raise BenchError(f"the synthetic project's downgrades left tables behind: {left[:5]} (bench bug)")


def capture_cli(project: Path) -> tuple[Sample, dict]:
    sample, done = run([tool("localmig"), "scan", str(project), "--json"], project.parent)
    try:
        document = json.loads(done.stdout)
    except ValueError as error:
        raise BenchError(f"localmig scan --json printed no JSON ({error}): {done.stdout[:300]!r}") from None
    return sample, document


@contextlib.contextmanager
def quiet_logging():
    """What localmig's Session does: env.py's INFO lines are not part of a capture."""
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(previous)


def capture_in_process(project: Path):
    """Time of ``Capture(load(project)).run()`` (closing it is not counted), and the result."""
    from localmig.capture import Capture
    from localmig.project import load

    with quiet_logging():
        cpu, started = time.process_time(), time.perf_counter()
        capture = Capture(load(project))
        result = capture.run()
        sample = Sample(time.perf_counter() - started, time.process_time() - cpu)
        capture.close()
    return sample, result


_SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|warnings?)")


def suite_run(project: Path, suite: Path) -> tuple[Sample, dict[str, int], list[str], str]:
    """pytest on the suite from the project folder: time, counts, failing lines, output."""
    command = [sys.executable, "-m", "pytest", str(suite), "-q", "-p", "no:cacheprovider"]
    sample, done = run(command, project, check=False)
    lines = done.stdout.strip().splitlines()
    counts: dict[str, int] = {}
    for number, word in _SUMMARY.findall(lines[-1] if lines else ""):
        key = {"error": "errors", "warning": "warnings"}.get(word, word)
        counts[key] = counts.get(key, 0) + int(number)
    failures = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
    if done.returncode not in (0, 1) or not counts:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
        raise BenchError(f"pytest could not run the generated suite (exit {done.returncode}):\n{tail}")
    return sample, counts, failures, done.stdout + done.stderr


@dataclass
class Result:
    size: int
    revisions: int = 0
    merges: int = 0
    base_disk: list[Sample] = field(default_factory=list)
    base_memory: list[Sample] = field(default_factory=list)
    capture_cli: list[Sample] = field(default_factory=list)
    capture_process: list[Sample] = field(default_factory=list)
    generate: list[Sample] = field(default_factory=list)
    generate_exit: int = 0
    generate_output: str = ""
    suite: list[Sample] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    suite_output: str = ""
    findings: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after

    @property
    def tests(self) -> int:
        return sum(v for k, v in self.counts.items() if k in ("passed", "failed", "errors", "skipped", "xfailed", "xpassed"))


def median(samples: list[Sample], kind: str = "wall") -> float | None:
    return statistics.median(getattr(s, kind) for s in samples) if samples else None


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def measure(size: int, repeat: int, work: Path, say: Callable[[str], None], *, warm_up: bool) -> Result:
    result = Result(size, load=(load_average(), 0.0))
    project = work / f"project_{size}"
    suite = work / f"suite_{size}"
    revisions = write_project(project, size)
    result.revisions = len(revisions)
    result.merges = sum(isinstance(r.down, tuple) for r in revisions)
    say(f"N={size}: project at {project} ({len(revisions)} revisions, {result.merges} merges)")

    memory_folder = Path(tempfile.mkdtemp(prefix="migbench-", dir=MEMORY)) if os.path.isdir(MEMORY) else None
    if memory_folder is not None:
        (project / "alembic_memory.ini").write_text(ALEMBIC_INI.format(url=f"sqlite:///{memory_folder}/app.db"))
    try:
        if warm_up:  # bytecode of alembic, sqlalchemy, localmig and the revisions: not part of any timing
            say(f"N={size}: warm-up (untimed): alembic upgrade/downgrade, localmig scan, in-process capture")
            baseline(project, "alembic_memory.ini" if memory_folder else "alembic.ini",
                     (memory_folder or project) / "app.db")
            capture_cli(project)
            capture_in_process(project)
        for attempt in range(1, repeat + 1):
            say(f"N={size}: run {attempt}/{repeat}: baseline (disk)")
            result.base_disk.append(baseline(project, "alembic.ini", project / "app.db"))
            if attempt == 1:
                check_round_trip(project / "app.db")
            if memory_folder is not None:
                say(f"N={size}: run {attempt}/{repeat}: baseline (memory)")
                result.base_memory.append(baseline(project, "alembic_memory.ini", memory_folder / "app.db"))
            say(f"N={size}: run {attempt}/{repeat}: localmig scan --json")
            sample, document = capture_cli(project)
            result.capture_cli.append(sample)
            if attempt == 1:
                result.findings = document.get("findings", [])
                not_applied = [r["id"] for r in document.get("revisions", []) if not r.get("applied")]
                if not_applied:
                    result.problems.append(f"scan: {len(not_applied)} revisions not applied: {not_applied[:5]}")
            say(f"N={size}: run {attempt}/{repeat}: Capture(load(path)).run() in process")
            sample, captured = capture_in_process(project)
            result.capture_process.append(sample)
            if attempt == 1 and len(captured.findings) != len(result.findings):
                result.problems.append(
                    f"in-process capture found {len(captured.findings)} findings, the CLI {len(result.findings)}"
                )
    finally:
        if memory_folder is not None:
            shutil.rmtree(memory_folder, ignore_errors=True)
    remove_database(project / "app.db")

    say(f"N={size}: localmig generate --out {suite}")
    sample, done = run([tool("localmig"), "generate", str(project), "--out", str(suite), "-q"], project, ok=(0, 1))
    result.generate.append(sample)
    result.generate_exit, result.generate_output = done.returncode, done.stdout + done.stderr
    if done.returncode:
        result.problems.append(f"localmig generate exited {done.returncode} (it dropped tests it found failing)")

    say(f"N={size}: generated suite: verification run (untimed; also warms pytest's assertion-rewrite cache)")
    _, result.counts, result.failures, result.suite_output = suite_run(project, suite)
    for attempt in range(1, repeat + 1):
        say(f"N={size}: run {attempt}/{repeat}: python -m pytest {suite.name} -q -p no:cacheprovider")
        sample, counts, _, _ = suite_run(project, suite)
        result.suite.append(sample)
        if counts != result.counts:
            result.problems.append(f"suite run {attempt} counted {counts}, the verification run {result.counts} (flaky)")
    result.load = (result.load[0], load_average())
    return result


# --------------------------------------------------------------------------- reporting


def seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}s"


def ratio(value: float | None, base: float | None, target: float) -> str:
    if value is None or not base:
        return "n/a"
    quotient = value / base
    return f"{quotient:.2f} {'PASS' if quotient <= target else 'MISS'}"


def render_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def table(results: list[Result], kind: str) -> str:
    c, s = f"{CAPTURE_TARGET:g}", f"{SUITE_TARGET:g}"
    header = ["N", "base disk", "base mem", "capture CLI", "capture proc", f"cap/base disk (<={c})",
              f"cap/base mem (<={c})", "generate", "suite", f"suite/base disk (<={s})", f"suite/base mem (<={s})", "tests"]
    rows = []
    for r in results:
        disk, memory = median(r.base_disk, kind), median(r.base_memory, kind)
        cli, suite = median(r.capture_cli, kind), median(r.suite, kind)
        passed = r.counts.get("passed", 0)
        rows.append([
            str(r.size), seconds(disk), seconds(memory), seconds(cli), seconds(median(r.capture_process, kind)),
            ratio(cli, disk, CAPTURE_TARGET), ratio(cli, memory, CAPTURE_TARGET),
            seconds(median(r.generate, kind)), seconds(suite), ratio(suite, disk, SUITE_TARGET),
            ratio(suite, memory, SUITE_TARGET), f"{r.tests}" + ("" if passed == r.tests else f" ({passed} passed)"),
        ])
    return render_table(header, rows)


def mount_of(path: str) -> str:
    """``mountpoint (fstype)`` of the file system holding ``path`` (Linux; else '?')."""
    try:
        mounts = [line.split()[1:3] for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "?"
    real = os.path.realpath(path)
    best = max((m for m in mounts if real == m[0] or real.startswith(m[0].rstrip("/") + "/")),
               key=lambda m: len(m[0]), default=None)
    return f"{best[0]} ({best[1]})" if best else "?"


def report(results: list[Result], repeat: int, work: Path, bytecode: str) -> None:
    import alembic
    import sqlalchemy

    import localmig

    cpus = os.cpu_count() or 1
    print()
    print(f"localmig {localmig.__version__} ({Path(localmig.__file__).parent}), alembic {alembic.__version__}, "
          f"SQLAlchemy {sqlalchemy.__version__}, Python {sys.version.split()[0]}, {cpus} CPUs; median of {repeat} run(s)")
    print(f"disk baseline: {work} on {mount_of(str(work))}; memory baseline: {MEMORY} on {mount_of(MEMORY)}; "
          f"localmig's scratch databases: {MEMORY if os.path.isdir(MEMORY) else tempfile.gettempdir()}")
    print(f"bytecode cache: {bytecode}")
    loads = ", ".join(f"N={r.size} {r.load[0]:.1f} -> {r.load[1]:.1f}" for r in results)
    print(f"load average (1 min) before -> after each size: {loads}")
    if any(r.load[0] > cpus * 0.5 for r in results):
        print(f"WARNING: other processes were busy (load above {cpus * 0.5:g} before a size started): wall times are "
              "inflated and noisy; the CPU-time table below is the steadier comparison")
    print("\nWall time (the targets are about this):")
    print(table(results, "wall"))
    print("\nCPU time (user + system of the processes doing the work; disk baselines wait on fsync, not CPU):")
    print(table(results, "cpu"))
    print()
    print("base = `alembic upgrade head` + `alembic downgrade base` (two subprocesses, fresh SQLite file);")
    print("capture CLI = `localmig scan --json` (subprocess); capture proc = Capture(load(path)).run() in process;")
    print("generate = `localmig generate --out` once (capture + data probes + a verification run of the suite);")
    print("suite = `python -m pytest SUITE -q -p no:cacheprovider` from the project folder; ratios use the CLI capture.")
    for r in results:
        spread = lambda samples: "/".join(f"{s.wall:.2f}" for s in samples)
        print(f"\nN={r.size} ({r.revisions} revisions, {r.merges} merges) wall of each run: base disk "
              f"{spread(r.base_disk)}, base mem {spread(r.base_memory)}, capture CLI {spread(r.capture_cli)}, "
              f"capture proc {spread(r.capture_process)}, suite {spread(r.suite)}")
        print(f"  suite: {', '.join(f'{v} {k}' for k, v in sorted(r.counts.items()))}")
        if r.findings:
            print(f"  localmig reported {len(r.findings)} finding(s) on a history whose downgrades are all correct:")
            for finding in r.findings[:20]:
                print(f"    {finding.get('kind')} {finding.get('revision')}: {finding.get('message')}")
                for detail in finding.get("details", [])[:3]:
                    print(f"        {detail}")
        for problem in r.problems:
            print(f"  PROBLEM: {problem}")
        if r.generate_exit:
            for line in [x for x in r.generate_output.splitlines() if "left out" in x or "error:" in x][:20]:
                print(f"    {line.strip()}")
        if r.failures:
            print(f"  FAILING generated tests ({len(r.failures)}) -- localmig bugs:")
            for line in r.failures[:30]:
                print(f"    {line}")


# --------------------------------------------------------------------------- profile


def profile(project: Path, say: Callable[[str], None]) -> None:
    from localmig.capture import Capture
    from localmig.project import load

    say(f"profile: warm-up on {project}")
    capture_in_process(project)

    # phases, by driving the same objects Capture.run() drives, one after the other
    phases: dict[str, float] = {}
    with quiet_logging():
        clock = time.perf_counter()
        project_object = load(project)
        phases["discovery: load(path)"] = time.perf_counter() - clock
        clock = time.perf_counter()
        capture = Capture(project_object)
        phases["Capture(): Config, ScriptDirectory, topological order, scratch folder"] = time.perf_counter() - clock
        history = capture.history
        clock = time.perf_counter()
        history.build()
        phases[f"forward pass: build() ({len(history.order)} upgrades, a snapshot after each)"] = time.perf_counter() - clock
        clock = time.perf_counter()
        history.walk_downgrades()
        phases["downgrade walk: downgrade, upgrade, downgrade each, 2 snapshots each"] = time.perf_counter() - clock
        clock = time.perf_counter()
        capture.run()
        phases["result: SchemaSnapshot/SchemaDiff per revision + findings (run() after build/walk)"] = time.perf_counter() - clock
        clock = time.perf_counter()
        capture.close()
        phases["close()"] = time.perf_counter() - clock
    total = sum(phases.values())
    print(f"\nCapture phases, N={PROFILE_SIZE} (in process, warm, wall time):")
    for name, value in phases.items():
        print(f"  {value:7.3f}s  {100 * value / total:5.1f}%  {name}")
    print(f"  {total:7.3f}s  total")

    start = {}
    for name, command in (("python -c pass", [sys.executable, "-c", "pass"]),
                          ("alembic --help", [tool("alembic"), "--help"]),
                          ("localmig --help", [tool("localmig"), "--help"])):
        start[name] = statistics.median(run(command, project)[0].wall for _ in range(3))
    print("Start-up (median of 3 runs): " + ", ".join(f"{k} {v:.2f}s" for k, v in start.items()))

    say("profile: cProfile of Capture(load(path)).run()")
    profiler = cProfile.Profile()
    with quiet_logging():
        profiler.enable()
        capture = Capture(load(project))
        capture.run()
        profiler.disable()
        capture.close()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(r"[/\\](localmig|alembic|sqlalchemy)[/\\]", 25)
    text = stream.getvalue()
    print(f"\ncProfile of Capture(load(path)).run(), N={PROFILE_SIZE}: top 25 by cumulative time, localmig, alembic "
          "and sqlalchemy frames only (profiling slows it down ~1.5-2x; env.py runs inside alembic's "
          "load_module_py, so its cumulative time includes every migration step run there)")
    print(text[text.find("   ncalls"):].rstrip() if "   ncalls" in text else text)

    buckets: dict[str, float] = {}
    for (filename, _, function), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        match = re.search(r"[/\\](localmig|alembic|sqlalchemy|pydantic|pydantic_core)[/\\]", filename)
        if match:
            bucket = match.group(1).replace("pydantic_core", "pydantic")
        elif filename == "~" and "sqlite3" in function:
            bucket = "sqlite3 (C: executing SQL)"
        elif filename == "~" and "pydantic_core" in function:
            bucket = "pydantic"
        elif "/migrations/" in filename:
            bucket = "the project (env.py, revision files)"
        else:
            bucket = "other (stdlib, builtins)"
        buckets[bucket] = buckets.get(bucket, 0.0) + tottime
    total = sum(buckets.values())
    print("\nSelf time by layer:")
    for bucket, value in sorted(buckets.items(), key=lambda item: -item[1]):
        print(f"  {value:7.3f}s  {100 * value / total:5.1f}%  {bucket}")
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(15)
    text = stream.getvalue()
    print("\nTop 15 by self time (all frames):")
    print(text[text.find("   ncalls"):].rstrip() if "   ncalls" in text else text)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200], metavar="N",
                        help="revision counts (default: 50 200)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported (default: 3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (projects and suites)")
    parser.add_argument("--profile", action="store_true", help=f"also profile localmig's capture for N={PROFILE_SIZE}")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="run everything with PYTHONDONTWRITEBYTECODE=1 (as many containers and CI jobs do)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or any(size < 1 for size in args.sizes):
        parser.error("--repeat and --sizes must be positive")

    def say(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    work = Path(tempfile.mkdtemp(prefix="migbench-"))
    bytecode = use_bytecode_cache(work, not args.no_bytecode_cache)
    results: list[Result] = []
    try:
        for index, size in enumerate(args.sizes):
            results.append(measure(size, args.repeat, work, say, warm_up=index == 0))
        report(results, args.repeat, work, bytecode)
        if args.profile:
            project = work / f"project_{PROFILE_SIZE}"
            if not project.exists():
                write_project(project, PROFILE_SIZE)
            profile(project, say)
    except BenchError as error:
        print(f"bench failed: {error}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"\nkept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if any(r.failures or r.problems or r.findings for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
