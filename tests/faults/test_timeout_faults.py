"""A migration that never ends: ``--timeout`` stops the step, the finding names the revision and
where it hung, later revisions are reported not applied, and localmig goes on."""

from __future__ import annotations

import time

import pytest

from localmig.errors import ExitCode
from tests.faults.conftest import DOWNGRADE, LINEAR, SECOND, UPGRADE, assert_fault, insert_into, invoke

HANG = "    import time\n    while True:\n        time.sleep(0.1)\n"


def test_a_hung_upgrade_is_a_finding_naming_where_it_hung(linear, guard):
    insert_into(linear / SECOND, UPGRADE, HANG)
    kept = guard(linear)
    started = time.monotonic()
    outcome = invoke("scan", linear, "--timeout", "2")
    elapsed = time.monotonic() - started
    assert_fault(outcome, ExitCode.OK, f"upgrade_failed {LINEAR[1]}",
                 f"the upgrade of {LINEAR[1]} did not finish within 2 s (--timeout)",
                 "11ea02e8f1a4_add_authors_email.py:25 in upgrade: `time.sleep(0.1)`", f"not applied: {LINEAR[2]}")
    assert elapsed < 20, f"took {elapsed:.1f} s"
    kept.unchanged()


def test_a_hung_downgrade_is_a_finding(linear, guard):
    insert_into(linear / SECOND, DOWNGRADE, HANG)
    kept = guard(linear)
    outcome = invoke("scan", linear, "--timeout", "1.5")
    assert_fault(outcome, ExitCode.OK, f"downgrade_failed {LINEAR[1]}",
                 f"the downgrade of {LINEAR[1]} did not finish within 1.5 s")
    assert "upgrade_failed" not in outcome.text
    kept.unchanged()


def test_generate_goes_on_after_a_hung_upgrade(linear, guard):
    insert_into(linear / SECOND, UPGRADE, HANG)
    outcome = invoke("generate", linear, "--no-model", "--timeout", "2", "--rev", LINEAR[0])
    assert outcome.exit_code == ExitCode.OK, outcome.stdout + outcome.stderr
    assert "Traceback" not in outcome.text
    assert list((linear / "tests" / "migrations").glob(f"test_{LINEAR[0]}_*.py"))


@pytest.mark.parametrize("value", ["-1", "soon"])
def test_a_bad_timeout_is_a_usage_error(linear, guard, value):
    kept = guard(linear)
    assert_fault(invoke("scan", linear, "--timeout", value), ExitCode.USAGE, "Invalid value for '--timeout'")
    kept.unchanged()


def test_the_capture_runs_every_step_once_and_counts_it(linear):
    from localmig.options import SessionOptions
    from localmig.pipeline import Session

    with Session.open(SessionOptions(path=linear)) as session:
        assert session.capture.step_runs == {**{f"upgrade {r}": 1 for r in LINEAR},
                                             **{f"downgrade {r}": 1 for r in LINEAR}}
        assert session.step_runs() == session.capture.step_runs
