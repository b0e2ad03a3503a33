"""Scenarios run on scratch databases of the captured history: what the rows look like after
each step, which rows the database refused, and what raised.

Used to check a model's expectations before they become tests, to tell the model what was
observed, and to record what was observed when a scenario becomes a characterization. Runs are
serialised: Alembic's ``op`` is process-wide, and model requests may run in threads.
"""

from __future__ import annotations

import threading
from typing import Any

from pydantic import BaseModel, Field
from pytest_localmig import MigrationHistory, ScratchFull, describe_error

from ...capture.logs import quiet_migrations
from .types import Scenario, SeedRows


class StepResult(BaseModel):
    """After one step: the rows of the tables read, or the error the step raised."""

    rows: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    error: str | None = None


class ScenarioRun(BaseModel):
    """What became of a scenario's rows."""

    accepted: list[SeedRows] = Field(default_factory=list, description="The rows the database took, in order.")
    rejected: list[str] = Field(default_factory=list, description="Rows the database refused, and why.")
    steps: dict[str, StepResult] = Field(default_factory=dict, description="step -> what it left (in order run).")
    unstable: dict[str, list[str]] = Field(default_factory=dict, description="table -> columns that differ between runs.")

    @property
    def failed(self) -> tuple[str, str] | None:
        """The step that raised and its error, if one did."""
        return next(((step, result.error) for step, result in self.steps.items() if result.error), None)


class ScenarioRunner:
    """Runs scenarios of one history."""

    def __init__(self, history: MigrationHistory) -> None:
        self.history = history
        self._lock = threading.Lock()

    def run(self, revision: str, scenario: Scenario, readable: list[str], *, twice: bool = False,
            volatile: dict[str, list[str]] | None = None) -> ScenarioRun:
        """Insert the scenario's rows (one by one; a refused row is left out and reported), run its
        steps and read ``readable`` (those present) after each; ``twice`` runs the accepted rows
        again to find columns whose values differ between runs (now(), random ids), to which the
        ``volatile`` columns (table -> columns with a server default like now()) are added."""
        with self._lock, quiet_migrations():
            first = self._run(revision, scenario, readable, one_by_one=True)
            if twice and first.failed is None:
                again = self._run(revision, scenario.model_copy(update={"seed": first.accepted}), readable)
                unstable = _unstable(first, again)
                for table, columns in (volatile or {}).items():
                    given = {c for item in first.accepted if item.table == table for row in item.rows for c in row}
                    extra = [c for c in columns if c not in given]
                    if extra:
                        unstable[table] = sorted(set(unstable.get(table, [])) | set(extra))
                first.unstable = unstable
        return first

    def _run(self, revision: str, scenario: Scenario, readable: list[str], *, one_by_one: bool = False) -> ScenarioRun:
        history = self.history
        folders = history.runner.folders()
        database = history.database_after(revision) if scenario.start == "downgrade" else history.database_before(revision)
        result = ScenarioRun()
        try:
            for number, item in enumerate(scenario.seed):
                taken = []
                for row_number, row in enumerate(item.rows):
                    try:
                        database.insert(item.table, [row])
                    except ScratchFull:
                        raise
                    except Exception as error:  # a constraint the format cannot know (CHECK, trigger...)
                        if not one_by_one:
                            raise
                        result.rejected.append(f"seed[{number}] ({item.table}).rows[{row_number}]: "
                                               f"{describe_error(error, folders)}")
                        continue
                    taken.append(row)
                if taken:
                    result.accepted.append(SeedRows(table=item.table, rows=taken))
            for step in scenario.steps:
                try:
                    (database.upgrade if step == "upgrade" else database.downgrade)(revision)
                except ScratchFull:
                    raise
                except Exception as error:  # the migration's failure on these rows is the observation
                    result.steps[step] = StepResult(error=describe_error(error, folders))
                    break
                present = database.tables()
                result.steps[step] = StepResult(rows={t: database.rows(t) for t in readable if t in present})
        finally:
            history.discard(database)
        return result


def _unstable(first: ScenarioRun, second: ScenarioRun) -> dict[str, list[str]]:
    unstable: dict[str, set[str]] = {}
    for step, result in first.steps.items():
        other = second.steps.get(step, StepResult())
        for table, rows in result.rows.items():
            again = other.rows.get(table, [])
            columns = {c for a, b in zip(rows, again) for c in a if a.get(c) != b.get(c)}
            if len(rows) != len(again):
                columns |= {c for row in rows for c in row}
            if columns:
                unstable.setdefault(table, set()).update(columns)
    return {table: sorted(columns) for table, columns in unstable.items()}
