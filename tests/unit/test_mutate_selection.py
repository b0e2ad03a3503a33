"""Which tests judge a mutant, and how a mutant's pytest run is made (a real fork of a real pytest)."""

from __future__ import annotations

import sys
import time

import pytest

from localmig.errors import ConfigError, VerifyError
from localmig.mutate.forked import CAN_FORK, forked_pytest
from localmig.mutate.operators import Mutant
from localmig.mutate.selection import GeneratedSuite, descendants, given_paths, modules_for, names_table
from localmig.outcomes import ExpectedModule
from localmig.project import RevisionInfo, load
from tests.conftest import DEMO


def revision(id: str, *down: str) -> RevisionInfo:
    return RevisionInfo(id=id, down_revisions=list(down), path=f"{id}.py", source_sha256="0")


HISTORY = [revision("a"), revision("b", "a"), revision("c", "a"), revision("d", "b", "c"), revision("e", "d")]


def suite(**texts: str) -> GeneratedSuite:
    modules = {rev: f"test_{rev}_x.py" for rev in texts}
    return GeneratedSuite(folder="tests/migrations", shared={}, modules=modules,
                          texts={modules[rev]: text for rev, text in texts.items()},
                          expected={modules[rev]: ExpectedModule(revision=rev) for rev in texts})


def mutant(revision: str, function: str = "upgrade", context: str = "") -> Mutant:
    return Mutant(id=f"{revision}:{function}:1:op_removed:0", revision=revision, file="f.py", function=function,
                  operator="op_removed", line=1, description="", start=0, end=0, replacement="", context=context)


def test_descendants_follow_the_graph_through_merges():
    assert descendants(HISTORY, "b") == ["d", "e"]
    assert descendants(HISTORY, "a") == ["b", "c", "d", "e"]
    assert descendants(HISTORY, "e") == []


def test_a_mutant_runs_its_module_and_later_ones_that_name_its_tables():
    tests = suite(a="'users'", b="'users' 'teams'", c="'projects'", d="'projects'", e="database.rows('users')")
    assert modules_for(mutant("a"), tests, HISTORY, ["users"], {"users", "teams", "projects"}) == [
        "test_a_x.py", "test_b_x.py", "test_e_x.py"]
    # a table the mutated statement names counts too, not only the ones the revision changes
    assert modules_for(mutant("a", context='op.execute("UPDATE projects SET x = 1")'), tests, HISTORY, ["users"],
                       {"users", "projects"}) == ["test_a_x.py", "test_b_x.py", "test_c_x.py", "test_d_x.py", "test_e_x.py"]
    # a downgrade's change is seen by its own module only: later tests never run it
    assert modules_for(mutant("a", "downgrade"), tests, HISTORY, ["users"], {"users"}) == ["test_a_x.py"]
    assert modules_for(mutant("e"), suite(a="'users'"), HISTORY, ["users"], {"users"}) == []


def test_a_table_name_is_matched_as_a_whole_name():
    assert names_table("'orders'", "orders") and names_table("UPDATE orders SET", "orders")
    assert not names_table("'order_items'", "orders") and not names_table("uq_orders_code", "orders")
    assert names_table("'audit_events'", "reporting.audit_events")


def test_your_tests_must_be_inside_the_project(tmp_path):
    project = load(DEMO)
    assert given_paths(project, [DEMO / "migrations"]) == ["migrations"]
    with pytest.raises(ConfigError, match="outside the project folder"):
        given_paths(project, [tmp_path])
    with pytest.raises(ConfigError, match="no such file"):
        given_paths(project, [DEMO / "no_such_tests"])


@pytest.mark.skipif(not CAN_FORK, reason="forked pytest runs are used on Linux only")
def test_a_forked_pytest_run_reports_like_a_subprocess_and_is_stopped_when_it_hangs(tmp_path):
    (tmp_path / "test_one.py").write_text("import time\n\ndef test_fails():\n    assert 1 == 2\n\n"
                                          "def test_passes():\n    pass\n\ndef test_hangs():\n    time.sleep(60)\n")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py"]
    code, output = forked_pytest([*command, "-k", "not hangs"], tmp_path, {"PATH": "/usr/bin"}, timeout=120)
    assert code == 1 and "1 failed, 1 passed" in output
    started = time.monotonic()
    with pytest.raises(VerifyError, match="did not finish within 2 s"):
        forked_pytest([*command, "-k", "hangs"], tmp_path, {}, timeout=2)
    assert time.monotonic() - started < 30
    with pytest.raises(ValueError):
        forked_pytest(["pytest", "tests"], tmp_path, {}, timeout=5)
