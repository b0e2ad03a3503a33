"""Round trips (upgrade, downgrade, upgrade again): in the capture only when asked, and
confirmed on demand when a generated round-trip test fails, so the failure is reported as a
defect of the migration instead of being dropped as a broken test."""

from __future__ import annotations

import json

from tests.conftest import run_cli

REVISION = "7e1102d4e5f6"  # its downgrade drops the column but leaves the rows the upgrade inserted


def test_scan_checks_round_trips_only_when_asked(project):
    root = project("round_trip_fails")

    quick = json.loads(run_cli("scan", str(root), "--json").stdout)
    thorough = json.loads(run_cli("scan", str(root), "--json", "--round-trips").stdout)

    assert quick["findings"] == []
    [finding] = thorough["findings"]
    assert (finding["revision"], finding["kind"]) == (REVISION, "round_trip_failed")
    assert "UNIQUE constraint failed: statuses.code" in finding["message"]
    assert "7e1102d4e5f6_statuses_label_and_rows.py:23" in finding["message"]


def test_a_failing_round_trip_test_is_confirmed_as_a_finding_and_kept(project):
    root = project("round_trip_fails")

    result = run_cli("generate", str(root), "--no-model")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"round_trip_failed {REVISION}" in result.stdout
    module = next((root / "tests" / "migrations").glob(f"test_{REVISION}_*.py")).read_text()
    assert "def test_round_trip_upgrade_downgrade_upgrade(migrations):" in module
    assert "upgrade after downgrade: IntegrityError" in module  # listed among the findings it exposes
    suite = run_cli("check", str(root), "--allow-findings")
    assert suite.returncode == 0, suite.stdout + suite.stderr
    strict = run_cli("check", str(root))
    assert strict.returncode == 1 and f"finding {REVISION} round_trip_failed: upgrade after downgrade" in strict.stdout
    assert "(makes test_round_trip_upgrade_downgrade_upgrade fail)" in strict.stdout
