"""Findings from what the synthetic rows went through, each naming its cause where the diff tells it."""

from __future__ import annotations

from ..capture.findings import Finding
from ..schema import SchemaDiff
from .run import DataObservation


def observation_findings(revision: str, observation: DataObservation | None, known: list[Finding],
                         diff: SchemaDiff | None = None) -> list[Finding]:
    """Findings from what rows went through, each naming its cause where the diff tells it: an
    upgrade or a downgrade that fails on rows, a NULL that makes the upgrade fail, rows lost."""
    if observation is None:
        return []
    changes = diff.changes if diff is not None else []
    found = []
    if observation.upgrade_error:
        seeded = set(observation.seeds)
        required = [f"{c.table}.{c.name}" for c in changes if c.kind == "add_column" and c.table in seeded
                    and not c.after.nullable and c.after.default is None and not c.after.computed]
        cause = (f"the upgrade adds {', '.join(required)} NOT NULL without a server default, so it fails on a "
                 "table that has rows" if required else "upgrade with existing rows (synthetic rows, valid for the schema)")
        found.append(Finding(revision=revision, kind="upgrade_fails_with_rows",
                             message=f"{cause}: {observation.upgrade_error}"))
    if observation.null_failure is not None:
        where = " or ".join(observation.null_failure.columns)
        found.append(Finding(revision=revision, kind="upgrade_fails_with_rows",
                             message=f"a NULL in {where} makes the upgrade fail: {observation.null_failure.error}"))
    known_downgrade = any(f.kind.startswith("downgrade") for f in known)
    if observation.downgrade_error and not known_downgrade:
        found.append(Finding(revision=revision, kind="downgrade_fails_with_rows",
                             message=f"downgrade with existing rows: {observation.downgrade_error}"))
    if observation.downgrade_lost:
        lost_tables = {line.split(":", 1)[0] for line in observation.downgrade_lost}
        dropped = [f"{c.table}.{c.name}" if c.kind == "drop_column" else f"table {c.table}" for c in changes
                   if c.kind in ("drop_column", "drop_table") and c.table in lost_tables]
        message = (f"the upgrade drops {', '.join(dropped)}; {'its' if len(dropped) == 1 else 'their'} values cannot "
                   "come back on downgrade" if dropped
                   else "downgrade does not give back the rows that existed before the upgrade")
        found.append(Finding(revision=revision, kind="downgrade_loses_rows", message=message,
                             details=observation.downgrade_lost))
    return found
