"""The deterministic engine: a test plan derived from the measured diff, with no model.

For every change of the revision's upgrade it writes an assertion on the schema after the
upgrade; for the downgrade, assertions that the change is undone plus one that the touched
tables are back exactly as before; a round trip (up, down, up); and, where a data observation
exists (see ``probe.py``), tests that seed rows, run the migration and compare the rows with
what localmig observed.
"""

from __future__ import annotations

import re

from pytest_localmig import ordered_rows

from ..observe import DataObservation
from ..plan import TestCase, TestPlan
from ..project import RevisionInfo
from ..schema import SchemaChange, SchemaDiff, SchemaSnapshot
from .literals import literal

AFTER = "schema = migrations.schema_after(REVISION)"
DOWNGRADED = "schema = migrations.schema_after_downgrade(REVISION)"


def ident(text: str) -> str:
    """A fragment of a Python identifier: ``reporting.daily_reports`` -> ``reporting_daily_reports``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"


def plan_for(
    revision: RevisionInfo,
    diff: SchemaDiff,
    before: SchemaSnapshot,
    after: SchemaSnapshot,
    observation: DataObservation | None = None,
    *,
    one_way: str | None = None,
    checks_models: bool = False,
) -> TestPlan:
    """Every deterministic test for one revision; with ``one_way`` (why the revision cannot be
    downgraded: it is declared one-way, or below such a revision) no downgrade or round-trip test,
    and the rows test stops after the upgrade. With ``checks_models`` (the head, when env.py sets
    target_metadata) a test that the models match the schema it leaves."""
    builder = _PlanBuilder(revision.id)
    if checks_models:
        builder.add("test_head_matches_models", "models",
                    "The application's models (env.py's target_metadata) match the schema at head, as Alembic's "
                    "autogenerate compares them.",
                    ["differences = migrations.models_differences(REVISION)",
                     "assert differences == [], 'the models differ from the migrations at head:\\n' + "
                     "'\\n'.join(differences or [])"])
    replaced = _replaced_keys(diff)
    for change in diff.changes:
        if change.kind.startswith("drop_") and (change.table, change.name) in replaced:
            continue  # dropped and re-added under the same key: the add checks the new shape
        _upgrade_tests(builder, change)
    if one_way is not None:
        builder.plan.notes.append(f"No downgrade or round-trip tests: {one_way}.")
        if observation is not None:
            _data_tests(builder, observation, downgrades=False)
        return builder.plan
    _downgrade_tests(builder, diff)
    builder.add(
        "test_round_trip_upgrade_downgrade_upgrade",
        "round_trip",
        "Upgrading again after the downgrade gives the same schema as the first upgrade.",
        [
            "again = migrations.schema_after_round_trip(REVISION)",
            "after = migrations.schema_after(REVISION)",
            "assert again.tables == after.tables",
            *[f"assert again.table({t!r}) == after.table({t!r})" for t in diff.touched_tables if t in after.tables],
        ],
    )
    if observation is not None:
        _data_tests(builder, observation)
    return builder.plan


MAX_CHECKS = 60  # assertion lines per test: a longer one is split into parts that read on one screen
SHOWN = 4  # items named in a docstring before "and N more"


def summary(items: list[str], shown: int = SHOWN) -> str:
    """``a, b, c and 7 more`` (or all of them when there are few)."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    if len(items) <= shown + 1:
        return f"{', '.join(items[:-1])} and {items[-1]}"
    return f"{', '.join(items[:shown])} and {len(items) - shown} more"


class _PlanBuilder:
    def __init__(self, revision: str) -> None:
        self.plan = TestPlan(revision=revision)

    def add(self, name: str, aspect: str, docstring: str, lines: list[str], setup: int = 0) -> None:
        """A test; when it has more than MAX_CHECKS lines after its ``setup`` lines, several
        tests (``name``, ``name_part_2``...), each starting with the setup lines."""
        head, checks = lines[:setup], lines[setup:]
        if setup == 0 or len(checks) <= MAX_CHECKS:
            self._add(name, aspect, docstring, lines)
            return
        parts = [checks[i:i + MAX_CHECKS] for i in range(0, len(checks), MAX_CHECKS)]
        for number, part in enumerate(parts, 1):
            suffix = "" if number == 1 else f"_part_{number}"
            self._add(f"{name[:75]}{suffix}", aspect, f"{docstring} (part {number} of {len(parts)})", head + part)

    def _add(self, name: str, aspect: str, docstring: str, lines: list[str]) -> None:
        name = name[:85].rstrip("_")
        taken = set(self.plan.names())
        unique, n = name, 2
        while unique in taken:
            unique, n = f"{name[:80]}_{n}", n + 1
        self.plan.tests.append(
            TestCase(name=unique, aspect=aspect, docstring=docstring, body="\n".join(lines))
        )

    def need(self, imports: set[str]) -> None:
        self.plan.imports = sorted(set(self.plan.imports) | imports)


def _replaced_keys(diff: SchemaDiff) -> set[tuple[str, str | None]]:
    """Objects dropped and added again: under the same name, or a foreign key or unique
    constraint on the same columns under another name (a key re-pointed at a replacement table)."""
    adds = {(c.table, c.name) for c in diff.changes if c.kind.startswith("add_") and c.name}
    on_columns = {(c.kind[4:], c.table, tuple(c.after.columns)) for c in diff.changes
                  if c.kind in ("add_foreign_key", "add_unique")}
    return {(c.table, c.name) for c in diff.changes if c.kind.startswith("drop_") and (
        (c.table, c.name) in adds
        or (c.kind in ("drop_foreign_key", "drop_unique") and (c.kind[5:], c.table, tuple(c.before.columns)) in on_columns))}


# --------------------------------------------------------------------------- upgrade


def _is(value: object) -> str:
    """The right-hand side of a comparison: ``is None`` / ``is True`` or ``== value``."""
    return f"is {value!r}" if value is None or isinstance(value, bool) else f"== {value!r}"


def _column_asserts(table: str, column: str, info) -> list[str]:
    return [
        f"column = schema.column({table!r}, {column!r})",
        f"assert column['type'] == {info.type!r}",
        f"assert column['nullable'] is {info.nullable}",
        f"assert column['default'] {_is(info.default)}",
    ]


def _table_asserts(table: str, info) -> list[str]:
    lines = [AFTER, f"columns = schema.columns({table!r})", f"assert sorted(columns) == {sorted(info.columns)!r}"]
    for name, column in info.columns.items():
        lines.append(
            f"assert (columns[{name!r}]['type'], columns[{name!r}]['nullable'], columns[{name!r}]['default']) == "
            f"({column.type!r}, {column.nullable}, {column.default!r})"
        )
    lines.append(f"assert schema.primary_key({table!r}) == {info.primary_key.columns!r}")
    return lines


def _foreign_key_asserts(table: str, fk) -> list[str]:
    return [
        AFTER,
        f"fk = schema.find_foreign_key({table!r}, {fk.columns!r})",
        f"assert fk is not None, 'no foreign key on {table} ({', '.join(fk.columns)})'",
        f"assert fk['referred_table'] == {fk.referred_table!r}",
        f"assert fk['referred_columns'] == {fk.referred_columns!r}",
        f"assert fk['ondelete'] {_is(fk.ondelete)}",
        f"assert fk['onupdate'] {_is(fk.onupdate)}",
    ]


def _index_asserts(table: str, index) -> list[str]:
    return [
        AFTER,
        f"index = schema.indexes({table!r}).get({index.name!r})",
        f"assert index is not None, 'no index {index.name} on {table}'",
        f"assert index['columns'] == {index.columns!r}",
        f"assert index['expressions'] == {index.expressions!r}",
        f"assert index['unique'] is {index.unique}",
        f"assert index['where'] {_is(index.where)}",
        f"assert index['using'] {_is(index.using)}",
    ]


def _unique_asserts(table: str, unique) -> list[str]:
    return [
        AFTER,
        f"assert schema.find_unique({table!r}, {unique.columns!r}) is not None, "
        f"'no unique constraint on {table} ({', '.join(unique.columns)})'",
    ]


def _check_asserts(table: str, check) -> list[str]:
    key = check.name or check.sqltext
    return [
        AFTER,
        f"check = schema.find_check({table!r}, {key!r})",
        f"assert check is not None, 'no check constraint {key} on {table}'",
        f"assert check['sqltext'] == {check.sqltext!r}",
    ]


def _upgrade_tests(builder: _PlanBuilder, change: SchemaChange) -> None:
    table, name, kind = change.table, change.name or "", change.kind
    t, n = ident(table), ident(name)
    if kind == "add_table":
        info = change.after
        builder.add(f"test_upgrade_creates_table_{t}", "upgrade", f"The upgrade creates {table} with its columns.", _table_asserts(table, info),
                    setup=2)
        for fk in info.foreign_keys:
            suffix = f"_on_delete_{ident(fk.ondelete)}" if fk.ondelete else ""
            builder.add(
                f"test_upgrade_{t}_{ident('_'.join(fk.columns))}_references_{ident(fk.referred_table)}{suffix}",
                "upgrade",
                f"{table}.{', '.join(fk.columns)} references {fk.referred_table}" + (f" ON DELETE {fk.ondelete}." if fk.ondelete else "."),
                _foreign_key_asserts(table, fk),
            )
        for index in info.indexes:
            builder.add(f"test_upgrade_creates_index_{ident(index.name)}", "upgrade", f"{index.describe()} on {table}.", _index_asserts(table, index))
        for unique in info.unique_constraints:
            builder.add(f"test_upgrade_{t}_{ident('_'.join(unique.columns))}_is_unique", "upgrade", f"{unique.describe()} on {table}.", _unique_asserts(table, unique))
        for check in info.check_constraints:
            builder.add(f"test_upgrade_{t}_has_check_{ident(check.name or 'constraint')}", "upgrade", f"{check.describe()} on {table}.", _check_asserts(table, check))
    elif kind == "drop_table":
        builder.add(f"test_upgrade_drops_table_{t}", "upgrade", f"The upgrade drops {table}.", [AFTER, f"assert {table!r} not in schema.tables"])
    elif kind == "add_column":
        nullability = "nullable" if change.after.nullable else "not_null"
        builder.add(
            f"test_upgrade_adds_{t}_{n}_{nullability}",
            "upgrade",
            f"The upgrade adds {table}.{name} {change.after.describe()}.",
            [AFTER, *_column_asserts(table, name, change.after)],
        )
    elif kind == "drop_column":
        builder.add(f"test_upgrade_drops_{t}_{n}", "upgrade", f"The upgrade drops {table}.{name}.", [AFTER, f"assert {name!r} not in schema.columns({table!r})"])
    elif kind == "alter_column_type":
        builder.add(
            f"test_upgrade_changes_type_of_{t}_{n}",
            "upgrade",
            f"{table}.{name} becomes {change.after} (was {change.before}).",
            [AFTER, f"assert schema.column({table!r}, {name!r})['type'] == {change.after!r}"],
        )
    elif kind == "alter_column_nullable":
        state = "nullable" if change.after else "not_null"
        builder.add(
            f"test_upgrade_makes_{t}_{n}_{state}",
            "upgrade",
            f"{table}.{name} becomes {'NULL' if change.after else 'NOT NULL'}.",
            [AFTER, f"assert schema.column({table!r}, {name!r})['nullable'] is {change.after}"],
        )
    elif kind == "alter_column_default":
        builder.add(
            f"test_upgrade_changes_default_of_{t}_{n}",
            "upgrade",
            f"The server default of {table}.{name} becomes {change.after} (was {change.before}).",
            [AFTER, f"assert schema.column({table!r}, {name!r})['default'] {_is(change.after)}"],
        )
    elif kind == "alter_primary_key":
        builder.add(
            f"test_upgrade_changes_primary_key_of_{t}",
            "upgrade",
            f"The primary key of {table} becomes ({', '.join(change.after.columns)}).",
            [AFTER, f"assert schema.primary_key({table!r}) == {change.after.columns!r}"],
        )
    elif kind == "add_index":
        builder.add(f"test_upgrade_creates_index_{n}", "upgrade", f"{change.after.describe()} on {table}.", _index_asserts(table, change.after))
    elif kind == "drop_index":
        builder.add(f"test_upgrade_drops_index_{n}", "upgrade", f"The upgrade drops index {name} of {table}.", [AFTER, f"assert {name!r} not in schema.indexes({table!r})"])
    elif kind == "add_unique":
        columns = change.after.columns
        builder.add(f"test_upgrade_makes_{t}_{ident('_'.join(columns))}_unique", "upgrade", f"{change.after.describe()} on {table}.", _unique_asserts(table, change.after))
    elif kind == "drop_unique":
        columns, dropped = change.before.columns, change.before.name
        if dropped:  # by name: a unique index on the same columns may stay (zou's project_template.name)
            what = f"The upgrade drops the unique constraint {dropped} of {table} ({', '.join(columns)})."
            check = f"assert {dropped!r} not in [u['name'] for u in schema.unique_constraints({table!r})]"
        else:
            what, check = f"{table} ({', '.join(columns)}) is no longer unique.", \
                f"assert schema.find_unique({table!r}, {columns!r}) is None"
        builder.add(f"test_upgrade_drops_unique_{t}_{ident('_'.join(columns))}", "upgrade", what, [AFTER, check])
    elif kind == "add_foreign_key":
        fk = change.after
        builder.add(
            f"test_upgrade_adds_foreign_key_{t}_{ident('_'.join(fk.columns))}",
            "upgrade",
            f"{table} gets FOREIGN KEY {fk.describe()}.",
            _foreign_key_asserts(table, fk),
        )
    elif kind == "drop_foreign_key":
        columns = change.before.columns
        builder.add(
            f"test_upgrade_drops_foreign_key_{t}_{ident('_'.join(columns))}",
            "upgrade",
            f"{table} ({', '.join(columns)}) no longer references {change.before.referred_table}.",
            [AFTER, f"assert schema.find_foreign_key({table!r}, {columns!r}) is None"],
        )
    elif kind == "add_check":
        builder.add(f"test_upgrade_adds_check_on_{t}_{n}", "upgrade", f"{change.after.describe()} on {table}.", _check_asserts(table, change.after))
    elif kind == "drop_check":
        builder.add(
            f"test_upgrade_drops_check_on_{t}_{n}",
            "upgrade",
            f"The upgrade drops {change.before.describe()} of {table}.",
            [AFTER, f"assert schema.find_check({table!r}, {(change.before.name or change.before.sqltext)!r}) is None"],
        )
    elif kind in ("add_view", "drop_view", "add_sequence", "drop_sequence"):
        verb, what = kind.split("_", 1)
        present = "in" if verb == "add" else "not in"
        builder.add(
            f"test_upgrade_{'creates' if verb == 'add' else 'drops'}_{what}_{t}",
            "upgrade",
            f"The upgrade {'creates' if verb == 'add' else 'drops'} {what} {table}.",
            [AFTER, f"assert {table!r} {present} schema.{what}s"],
        )
    elif kind in ("add_enum", "alter_enum"):
        builder.add(
            f"test_upgrade_{'creates' if kind == 'add_enum' else 'changes'}_enum_{t}",
            "upgrade",
            f"Enum type {table} has the labels {', '.join(change.after)}.",
            [AFTER, f"assert schema.enums.get({table!r}) == {list(change.after)!r}"],
        )
    elif kind == "drop_enum":
        builder.add(f"test_upgrade_drops_enum_{t}", "upgrade", f"The upgrade drops enum type {table}.", [AFTER, f"assert {table!r} not in schema.enums"])
    elif kind == "alter_view":
        builder.add(
            f"test_upgrade_changes_view_{t}",
            "upgrade",
            f"The upgrade changes the definition of view {table}.",
            [AFTER, f"assert {table!r} in schema.views", f"assert schema.objects['view:{table}']['definition'] == {change.after!r}"],
        )


# --------------------------------------------------------------------------- downgrade


def _downgrade_tests(builder: _PlanBuilder, diff: SchemaDiff) -> None:
    """The downgrade, one test per object it must restore: the set of tables and enums, then
    each table the revision changed (an explicit line undoing each change, then the whole table
    as before), so one acknowledged difference leaves every other table tested."""
    per_table: dict[str, list[str]] = {}
    undone: dict[str, list[str]] = {}
    reverted: set[tuple[str, str]] = set()
    created, dropped = [], []
    for change in diff.changes:
        table, name, kind = change.table, change.name or "", change.kind
        if kind == "add_table":
            created.append(table)
        elif kind == "drop_table":
            dropped.append(table)
        elif kind == "add_column":
            per_table.setdefault(table, []).append(f"assert {name!r} not in schema.columns({table!r})")
            undone.setdefault(table, []).append(f"drops {table}.{name}")
        elif kind in ("drop_column", "alter_column_type", "alter_column_nullable", "alter_column_default"):
            if (table, name) not in reverted:
                reverted.add((table, name))
                per_table.setdefault(table, []).append(
                    f"assert schema.column({table!r}, {name!r}) == before.column({table!r}, {name!r})")
                verb = "brings back" if kind == "drop_column" else "reverts"
                undone.setdefault(table, []).append(f"{verb} {table}.{name}")
    setup = [DOWNGRADED, "before = migrations.schema_before(REVISION)"]
    what = [f"drops {t}" for t in created] + [f"brings back {t}" for t in dropped]
    builder.add(
        "test_downgrade_restores_previous_schema",
        "downgrade",
        "After the downgrade " + (f"(which {summary(what)}) " if what else "")
        + "the database has the same tables and enum types as before the upgrade.",
        [*setup, *[f"assert {t!r} not in schema.tables" for t in created],
         "assert schema.tables == before.tables", "assert schema.enums == before.enums"],
        setup=len(setup),
    )
    for table in diff.touched_tables:
        if table in created:
            continue
        changes = undone.get(table, [])
        builder.add(
            f"test_downgrade_restores_{ident(table)}",
            "downgrade",
            (f"The downgrade {summary(changes)}; " if changes else "After the downgrade ")
            + f"{table} is as before the upgrade (columns, keys, indexes, constraints).",
            [*setup, *per_table.get(table, []), f"assert schema.table({table!r}) == before.table({table!r})"],
            setup=len(setup),
        )


# --------------------------------------------------------------------------- data


def _insert_lines(seeds: dict[str, list[dict]], imports: set[str]) -> list[str]:
    lines = ["database = migrations.database_before(REVISION)"]
    for table, rows in seeds.items():
        lines.append(f"database.insert({table!r}, {_rows(rows, imports)})")
    return lines


def _rows(rows: list[dict], imports: set[str]) -> str:
    """A list of row dicts as source, one row per line; an empty list is ``[]``."""
    rendered = []
    for row in rows:
        items = []
        for key, value in row.items():
            code, needs = literal(value)
            imports |= needs
            items.append(f"{key!r}: {code}")
        rendered.append("{" + ", ".join(items) + "}")
    if not rendered:
        return "[]"
    if len(rendered) == 1:
        return f"[{rendered[0]}]"
    return "[\n    " + ",\n    ".join(rendered) + ",\n]"


def _read_lines(rows_by_table: dict[str, list[dict]], unstable: dict[str, list[str]], imports: set[str]) -> list[str]:
    """One assertion per table; where every column's values differ between runs, the number of rows."""
    lines = []
    for table, rows in rows_by_table.items():
        skipped = unstable.get(table, [])
        shown = [{k: v for k, v in row.items() if k not in skipped} for row in rows]
        if skipped:  # in the order rows(table, without=...) gives them
            shown = ordered_rows(shown)
        if rows and not any(shown):  # nothing reproducible in these rows but how many there are
            lines.append(f"assert len(database.rows({table!r})) == {len(rows)}")
            continue
        without = f", without={skipped!r}" if skipped else ""
        lines.append(f"assert database.rows({table!r}{without}) == {_rows(shown, imports)}")
    return lines


# (the migration changes rows, the downgrade is tested) -> the rows test's name and docstring
_ROWS_TESTS = {
    (True, True): ("test_rows_through_upgrade_and_downgrade_as_observed",
                   "Characterization: localmig seeded these rows, ran the upgrade and the downgrade and recorded "
                   "the rows it found after each; confirm they are what the migration should do."),
    (False, True): ("test_existing_rows_survive_upgrade_and_downgrade",
                    "Rows that existed before the upgrade are still there after it (new columns hold their "
                    "defaults) and after the downgrade, as they were seeded."),
    (True, False): ("test_rows_through_upgrade_as_observed",
                    "Characterization: localmig seeded these rows, ran the upgrade and recorded the rows it "
                    "found; confirm they are what the migration should do."),
    (False, False): ("test_existing_rows_survive_upgrade",
                     "Rows that existed before the upgrade are still there after it (new columns hold their "
                     "defaults)."),
}


def _data_tests(builder: _PlanBuilder, observation: DataObservation, *, downgrades: bool = True) -> None:
    """One test: seed rows, upgrade and compare, downgrade and compare (without ``downgrades``,
    for a one-way revision: upgrade and compare), or, where the migration fails on rows, a test
    that shows it."""
    imports: set[str] = set()
    insert = _insert_lines(observation.seeds, imports)
    unstable = observation.unstable_columns
    if observation.upgrade_error:
        builder.add("test_upgrade_succeeds_with_existing_rows", "data",
                    "The upgrade runs on a database that already holds rows.", [*insert, "database.upgrade(REVISION)"])
    elif observation.after_upgrade is not None:
        lines = [*insert, "database.upgrade(REVISION)", *_read_lines(observation.after_upgrade, unstable, imports)]
        if downgrades:
            lines.append("database.downgrade(REVISION)")
            if observation.after_downgrade is not None:
                lines += _read_lines(observation.after_downgrade, unstable, imports)
        name, docstring = _ROWS_TESTS[(observation.changes_data, downgrades)]
        builder.add(name, "data", docstring, lines)
    if observation.null_failure is not None:
        failure = observation.null_failure
        where = " or ".join(failure.columns)
        builder.add(f"test_upgrade_accepts_null_in_{ident('_'.join(c.split('.')[-1] for c in failure.columns[:3]))}",
                    "data", f"The upgrade runs on rows that hold NULL in {where} (nullable before it).",
                    [*_insert_lines(failure.seeds, imports), "database.upgrade(REVISION)"])
    if unstable:
        builder.plan.notes.append(
            "Columns left out of row comparisons because their values differ between runs: "
            + ", ".join(f"{t}.{c}" for t, cols in unstable.items() for c in cols)
        )
    builder.need(imports)
