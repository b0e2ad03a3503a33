"""The mutation report: how mutants add up to kill rates, the kept copy, and its documented schema."""

from __future__ import annotations

import json

from localmig.mutate.report import MutantResult, MutationReport, RevisionState, keep, kill_rates, run_key
from tests.conftest import ROOT


def result(revision: str, operator: str, status: str, **sources: bool) -> MutantResult:
    return MutantResult(id=f"{revision}:upgrade:1:{operator}:{len(sources)}", revision=revision, file="v.py",
                        function="upgrade", operator=operator, line=1, description="d", diff="", status=status,
                        killed_by_source=sources)


def report(*mutants: MutantResult) -> MutationReport:
    return MutationReport(project="p", dialect="sqlite", key="k", started_at="now", operators=["op_removed"],
                          sources={"generated": ["tests/migrations"], "given": ["tests/mine"]},
                          revisions={"r1": RevisionState(source_sha256="a", tests_sha256="b")},
                          mutants=list(mutants)).tally()


def test_equivalent_mutants_and_errors_are_shown_but_never_counted():
    counted = report(
        result("r1", "op_removed", "killed", generated=True, given=False),
        result("r1", "nullable_flipped", "killed", generated=False, given=True),
        result("r1", "op_removed", "survived", generated=False, given=False),
        result("r2", "op_removed", "equivalent"),
        result("r2", "type_changed", "error"),
    )
    assert counted.totals.model_dump() == {"killed": 2, "survived": 1, "equivalent": 1, "errors": 1, "current": True,
                                           "rate": 0.6667}
    assert counted.by_source["generated"].killed == 1 and counted.by_source["generated"].survived == 2
    assert counted.by_source["given"].rate == round(1 / 3, 4)
    assert counted.by_operator["op_removed"].model_dump()["rate"] == 0.5
    assert counted.by_revision["r2"].rate is None  # nothing counted there
    assert [m.status for m in counted.survivors] == ["survived"]


def test_kill_rates_come_from_the_kept_report_and_say_whether_they_still_hold(tmp_path):
    assert kill_rates(tmp_path) == {}
    keep(report(result("r1", "op_removed", "killed", generated=True)), tmp_path)
    assert (tmp_path / ".localmig" / "mutate-report.json").is_file()
    assert kill_rates(tmp_path)["r1"].rate == 1.0
    same = {"r1": RevisionState(source_sha256="a", tests_sha256="b")}
    edited = {"r1": RevisionState(source_sha256="a", tests_sha256="edited")}
    assert kill_rates(tmp_path, same)["r1"].current is True
    assert kill_rates(tmp_path, edited)["r1"].current is False
    (tmp_path / ".localmig" / "mutate-report.json").write_text("{not json")
    assert kill_rates(tmp_path) == {}


def test_the_run_key_changes_with_migrations_tests_and_settings():
    states = {"r1": RevisionState(source_sha256="a")}
    key = run_key(states, {"tests/t.py": "1"}, {"operators": ["op_removed"]})
    assert key == run_key(states, {"tests/t.py": "1"}, {"operators": ["op_removed"]})
    assert key != run_key({"r1": RevisionState(source_sha256="b")}, {"tests/t.py": "1"}, {"operators": ["op_removed"]})
    assert key != run_key(states, {"tests/t.py": "2"}, {"operators": ["op_removed"]})
    assert key != run_key(states, {"tests/t.py": "1"}, {"operators": ["nullable_flipped"]})


def test_the_report_schema_file_is_the_one_the_code_writes():
    documented = json.loads((ROOT / "docs" / "mutate-report.schema.json").read_text())
    assert MutationReport.model_json_schema(mode="serialization") == documented
