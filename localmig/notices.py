"""What a user is told about tests that do not reach the suite."""

from __future__ import annotations

from .events import Notice
from .outcomes import TestOutcome


def left_out_notice(revision: str, outcome: TestOutcome, keep_failing: bool) -> Notice:
    """A test that failed with no finding to explain it (or did not run): left out, or marked xfail."""
    deterministic = outcome.engine == "deterministic"
    if outcome.verdict == "not_run":
        why = "it did not run"
    elif outcome.refused:
        why = f"refused by localmig's runtime policy: {outcome.refused}"
    elif deterministic:
        why = "localmig bug: a deterministic test failed on a migration found sound"
    else:
        why = "the model's test still failed after the repair rounds"
    done = "marked xfail" if keep_failing and not outcome.refused else "left out"
    return Notice(level="error" if deterministic else "warning",
                  message=f"{revision}: {done} {outcome.name} ({why})", hint=outcome.message or None)


def not_in_style_notice(revision: str, left_out: dict[str, str]) -> Notice:
    """Tests the suite's style cannot express (test name -> why)."""
    reasons = "; ".join(sorted(set(left_out.values())))
    return Notice(level="warning", message=f"{revision}: {len(left_out)} test(s) not written for pytest-alembic "
                  f"({reasons})", hint="the module's docstring names them; the localmig style has them all")
