"""A data scenario: rows to seed, what to run, and what must hold afterwards.

This is the model's answer after validation (against the per-revision schema of
:mod:`.schema`) and after its placeholders became the migration's literals: values are Python
values of each column's type (``datetime``, ``Decimal``...), ready to be inserted and rendered.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Step = Literal["upgrade", "downgrade"]
Action = Literal["upgrade", "downgrade", "upgrade_then_downgrade"]
Output = Literal["scenarios", "inputs", "code"]

MAX_SCENARIOS = 3
MAX_ROWS = 4
MAX_SEED_ITEMS = 4
MAX_EXPECTATIONS = 4
MAX_SET = 4


class SeedRows(BaseModel):
    """Rows inserted into one table, in order."""

    model_config = ConfigDict(frozen=True)

    table: str
    rows: list[dict[str, Any]] = Field(description="column -> value; a column left out gets its default")


class Expectation(BaseModel):
    """What must hold for one table after a step: the rows matching ``where`` (every row when it
    is empty; a None value means IS NULL) are ``count`` many, each has ``values`` (a list means
    "one of these"), and ``rows`` lists them exactly (compared on the columns each row names)."""

    model_config = ConfigDict(frozen=True)

    table: str
    after: Step
    where: dict[str, Any] = Field(default_factory=dict)
    count: int | None = None
    values: dict[str, Any] = Field(default_factory=dict)
    rows: list[dict[str, Any]] | None = None

    def is_empty(self) -> bool:
        return self.count is None and not self.values and self.rows is None


class Scenario(BaseModel):
    """One data scenario of one revision."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="lower_snake_case; the test is test_<name>")
    purpose: str = Field(description="One line: which branch of the migration the rows reach.")
    seed: list[SeedRows]
    action: Action = "upgrade_then_downgrade"
    raises: bool = Field(False, description="The action's first step must raise.")
    expect: list[Expectation] = Field(default_factory=list)
    left_out: list[str] = Field(default_factory=list, description="Rows of the answer left out, and why (inputs only).")

    @property
    def start(self) -> Step:
        """Where the rows are inserted: before the upgrade, or after it for a downgrade-only scenario."""
        return "downgrade" if self.action == "downgrade" else "upgrade"

    @property
    def steps(self) -> list[Step]:
        return {"upgrade": ["upgrade"], "downgrade": ["downgrade"],
                "upgrade_then_downgrade": ["upgrade", "downgrade"]}[self.action]  # type: ignore[return-value]

    def tables(self) -> list[str]:
        """The tables seeded, in order of first insert."""
        return list(dict.fromkeys(item.table for item in self.seed))
