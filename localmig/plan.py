"""The test plan for one revision: the type both engines produce and the renderer consumes.

Bodies are Python statements (without the ``def`` line) that use the ``migrations`` fixture of
the generated suite. A plan is not bounded: a base revision that creates fifty tables makes a big
one. What a model may answer is bounded separately (``engines/answers.py``), because a bounded JSON
schema keeps a small model from running until its token cap.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator

Aspect = Literal["upgrade", "downgrade", "round_trip", "data", "models"]
Engine = Literal["deterministic", "model"]

TEST_NAME = re.compile(r"^test_[a-z0-9_]{1,80}$")


class TestCase(BaseModel):
    """One test function."""

    __test__ = False  # not a pytest test class

    name: str = Field(pattern=TEST_NAME.pattern, max_length=85, description="test_<what it proves>")
    aspect: Aspect = Field(description="What the test exercises; decides which findings explain a failure.")
    docstring: str = ""
    body: str = Field(description="The function body: Python statements, no def line.")
    engine: Engine = "deterministic"
    xfail: str | None = Field(None, description="Reason, when the test is kept although it failed (batch --keep-failing).")
    review: str | None = Field(None, description="Why a person should confirm this test before trusting it "
                                                 "(a model scenario recorded as localmig observed it).")

    @field_validator("body")
    @classmethod
    def _body_not_blank(cls, body: str) -> str:
        if not body.strip():
            raise ValueError("the body is empty")
        return body


class TestPlan(BaseModel):
    """Every test of one revision, plus what the module needs besides the fixture."""

    __test__ = False

    revision: str
    tests: list[TestCase] = Field(default_factory=list)
    imports: list[str] = Field(default_factory=list, description="Extra import lines, e.g. 'import datetime'.")
    notes: list[str] = Field(default_factory=list, description="Lines for the module docstring.")

    def names(self) -> list[str]:
        return [test.name for test in self.tests]

    def merged(self, other: TestPlan) -> TestPlan:
        """This plan plus the tests of ``other`` whose names are new."""
        taken = set(self.names())
        extra = [t for t in other.tests if t.name not in taken]
        return TestPlan(
            revision=self.revision,
            tests=self.tests + extra,
            imports=sorted(set(self.imports) | set(other.imports)),
            notes=self.notes + [n for n in other.notes if n not in self.notes],
        )
