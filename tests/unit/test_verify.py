"""Verification (localmig.verify): classifying failures, and one real staged pytest run."""

from __future__ import annotations

import pytest

from localmig.capture import FINDING_ASPECTS, Finding
from localmig.outcomes import ExpectedModule, PlannedTest, TestOutcome, VerificationResult, classify
from localmig.plan import TestCase, TestPlan
from localmig.project import load
from localmig.render import SuiteLayout, module_name, render_plan, suite_files
from localmig.verify import run_suite


def outcome(aspect, result="failed") -> TestOutcome:
    return TestOutcome(revision="r1", name="test_x", aspect=aspect, outcome=result, message="boom")


def finding(kind: str) -> Finding:
    return Finding(revision="r1", kind=kind, message=f"{kind} here")


@pytest.mark.parametrize("result", ["passed", "skipped"])
def test_passing_and_skipped_tests_pass(result):
    test = classify(outcome("downgrade", result), [finding("downgrade_failed")])
    assert test.verdict == "passed" and test.finding is None


def test_failure_without_finding_is_a_test_defect():
    test = classify(outcome("upgrade"), [])
    assert test.verdict == "test_defect" and test.finding is None


@pytest.mark.parametrize(
    "kind, aspect, verdict",
    [
        ("downgrade_failed", "downgrade", "migration_defect"),
        ("downgrade_failed", "round_trip", "migration_defect"),
        ("downgrade_failed", "data", "migration_defect"),
        ("downgrade_failed", "upgrade", "test_defect"),
        ("upgrade_failed", "upgrade", "migration_defect"),
        ("not_applied", "upgrade", "migration_defect"),
        ("downgrade_incomplete", "downgrade", "migration_defect"),
        ("downgrade_not_implemented", "round_trip", "migration_defect"),
        ("downgrade_not_implemented", "upgrade", "test_defect"),
        ("round_trip_failed", "round_trip", "migration_defect"),
        ("round_trip_failed", "downgrade", "test_defect"),
        ("multiple_heads", "upgrade", "test_defect"),
        ("multiple_heads", "downgrade", "test_defect"),
        ("downgrade_fails_with_rows", "data", "migration_defect"),
        ("downgrade_fails_with_rows", "downgrade", "test_defect"),
        ("upgrade_fails_with_rows", "data", "migration_defect"),
        ("downgrade_loses_rows", "data", "migration_defect"),
    ],
)
def test_a_finding_explains_only_its_aspects(kind, aspect, verdict):
    test = classify(outcome(aspect), [finding(kind)])
    assert test.verdict == verdict
    assert test.finding == (f"{kind} here" if verdict == "migration_defect" else None)


def test_errors_are_classified_like_failures():
    test = classify(outcome("downgrade", "error"), [finding("multiple_heads"), finding("downgrade_failed")])
    assert test.verdict == "migration_defect" and test.finding == "downgrade_failed here"


def test_a_test_of_unknown_aspect_is_never_excused():
    test = classify(outcome(None), [finding(kind) for kind in FINDING_ASPECTS])
    assert test.verdict == "test_defect"


def test_every_finding_kind_has_aspects():
    from typing import get_args

    from localmig.capture import FindingKind

    assert set(FINDING_ASPECTS) == set(get_args(FindingKind))


def test_result_counts():
    result = VerificationResult(outcomes=[
        TestOutcome(revision="a", name="t1", outcome="passed"),
        TestOutcome(revision="a", name="t2", outcome="failed", verdict="test_defect"),
        TestOutcome(revision="b", name="t3", outcome="failed", verdict="migration_defect"),
    ])
    assert result.count("passed") == 1 and result.count("test_defect") == 1 and result.count("migration_defect") == 1
    assert [o.name for o in result.for_revision("a")] == ["t1", "t2"]


def test_run_suite_stages_runs_and_classifies(project):
    """A real pytest run of a staged suite: outcomes per test, with verdicts from the findings."""
    root = project("failing_downgrade")
    loaded = load(root)
    out = root / "tests" / "migrations"
    files, expected = dict(suite_files(SuiteLayout.for_project(loaded.settings, out))), {}
    bodies = {
        "fa1101a3b5c7": [
            ("test_creates_invoices", "upgrade", "assert 'invoices' in migrations.schema_after(REVISION)"),
            ("test_wrong_on_purpose", "upgrade", "assert 'nope' in migrations.schema_after(REVISION)"),
        ],
        "fa1102d9e1f3": [
            ("test_adds_due_date", "upgrade", "assert migrations.schema_after(REVISION).column('invoices', 'due_date')"),
            ("test_downgrade_drops_due_date", "downgrade",
             "assert 'due_date' not in migrations.schema_after_downgrade(REVISION).columns('invoices')"),
        ],
    }
    for revision, tests in bodies.items():
        plan = TestPlan(revision=revision, tests=[TestCase(name=n, aspect=a, body=b) for n, a, b in tests])
        info = loaded.by_id[revision]
        rendered = render_plan(info, None, plan, dialect="sqlite")
        files[module_name(info)] = rendered.text()
        expected[module_name(info)] = rendered.expected()
    broken = Finding(revision="fa1102d9e1f3", kind="downgrade_failed", message="downgrade: no such column")
    result = run_suite(files, expected, project_root=root, findings=[broken])
    verdicts = {(o.revision, o.name): (o.outcome, o.verdict, o.aspect) for o in result.outcomes}
    assert verdicts == {
        ("fa1101a3b5c7", "test_creates_invoices"): ("passed", "passed", "upgrade"),
        ("fa1101a3b5c7", "test_wrong_on_purpose"): ("failed", "test_defect", "upgrade"),
        ("fa1102d9e1f3", "test_adds_due_date"): ("passed", "passed", "upgrade"),
        ("fa1102d9e1f3", "test_downgrade_drops_due_date"): ("failed", "migration_defect", "downgrade"),
    }
    failed = {o.name: o for o in result.outcomes}
    assert "nope" in failed["test_wrong_on_purpose"].output
    assert failed["test_downgrade_drops_due_date"].finding == "downgrade: no such column"
    assert "due_on" in failed["test_downgrade_drops_due_date"].output
    assert result.returncode == 1 and result.duration > 0
    assert not (root / "tests").exists(), "verification must stage the suite outside the project"
    assert not list(root.rglob("*.db"))


def test_every_expected_test_gets_an_outcome_even_when_its_module_does_not_import(project):
    """A module that cannot be collected, and a test pytest never reports, are ``not_run``:
    verification in which nothing ran is never a pass."""
    root = project("linear")
    loaded = load(root)
    files = dict(suite_files(SuiteLayout.for_project(loaded.settings, root / "tests" / "migrations")))
    first, second = loaded.revisions[0], loaded.revisions[1]
    files[module_name(first)] = "import no_such_module_anywhere\n\n\ndef test_a(migrations):\n    pass\n"
    files[module_name(second)] = "REVISION = 'x'\n\n\ndef test_b(migrations):\n    pass\n"
    expected = {
        module_name(first): ExpectedModule(revision=first.id, tests={"test_a": PlannedTest(aspect="upgrade")}),
        module_name(second): ExpectedModule(revision=second.id, tests={
            "test_b": PlannedTest(aspect="upgrade"), "test_missing": PlannedTest(aspect="upgrade")}),
    }
    result = run_suite(files, expected, project_root=root, findings=[])
    verdicts = {o.name: (o.outcome, o.verdict) for o in result.outcomes}
    assert verdicts == {"test_a": ("not_run", "not_run"), "test_b": ("passed", "passed"),
                        "test_missing": ("not_run", "not_run")}
    assert "no_such_module_anywhere" in result.collection_errors[module_name(first)]
    not_collected = next(o for o in result.outcomes if o.name == "test_a")
    assert "no_such_module_anywhere" in not_collected.message
    assert "did not report test_missing" in next(o for o in result.outcomes if o.name == "test_missing").message
