"""Model-written code (``--model-output code``) is contained in layers: the allowlist refuses the
answer before anything runs; what gets past it runs under the runtime policy (an audit hook in the
verification subprocess) and on scratch SQLite connections that refuse ATTACH; a test that trips
the policy is rejected with the reason, never written, and the exchange's log says so.

Real parts: the official ollama client over HTTP to ``ScriptedOllama``, the demo's history on
scratch SQLite files, pytest subprocesses. The socket case names a non-loopback address that is
never contacted: the hook refuses the lookup first.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from localmig.options import SessionOptions
from localmig.outcomes import ExpectedModule, PlannedTest
from localmig.pipeline import Session
from tests.e2e.test_model_scripted import DATA_REV, PASSING_BODY, answer, copy_demo, generate, logged, model_test
from tests.e2e.test_model_scripted import write_config as write_model_config
from tests.faults.conftest import digest
from tests.ollama_servers import ScriptedOllama

MARK = "localmig policy:"


def make_victim(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)")
        connection.execute("INSERT INTO customers VALUES (1, 'a@example.com')")
    connection.close()
    return path


# --------------------------------------------------------------------------- the runtime layer alone

# name -> (body that skips the allowlist: the module is handed to verification as the model's,
# the phrase the refusal must hold)
ESCAPES = {
    "test_writes_a_file_in_tmp": ("import pathlib\n    pathlib.Path(OUTSIDE / 'written.txt').write_text('x')",
                                  "refused opening {outside}/written.txt for writing"),
    "test_swallows_the_refusal": ("try:\n        open(OUTSIDE / 'swallowed.txt', 'w')\n    except Exception:\n"
                                  "        pass", "refused opening {outside}/swallowed.txt for writing"),
    "test_removes_a_file": ("import os\n    os.remove(VICTIM)", "refused os.remove of {victim}"),
    "test_removes_a_file_by_its_folder_descriptor": (
        "import os\n    os.remove(os.path.basename(VICTIM), dir_fd=os.open(os.path.dirname(VICTIM), os.O_RDONLY))",
        "refused os.remove of victim.db"),
    "test_renames_a_file": ("import os\n    os.rename(VICTIM, OUTSIDE / 'moved.db')", "refused os.rename of {victim}"),
    "test_connects_off_the_machine": ("import socket\n    socket.create_connection(('10.255.255.1', 80), timeout=1)",
                                      "refused looking up the host 10.255.255.1"),
    "test_connects_to_a_local_port": ("import socket\n    socket.create_connection(('127.0.0.1', 9), timeout=1)",
                                      "refused connecting to 127.0.0.1:9"),
    "test_starts_a_program": ("import subprocess\n    subprocess.run(['touch', str(OUTSIDE / 'ran.txt')])",
                              "refused subprocess.Popen"),
    "test_calls_os_system": ("import os\n    os.system('touch ' + str(OUTSIDE / 'system.txt'))", "refused os.system"),
    "test_loads_a_c_library": ("import ctypes\n    ctypes.CDLL('libc.so.6')", "refused ctypes.dlopen"),
    "test_opens_another_sqlite_file": ("import sqlite3\n    sqlite3.connect(VICTIM).execute('DELETE FROM customers')",
                                       "refused opening the SQLite database {victim}"),
    "test_attaches_another_database": (
        "database = migrations.database_before(REVISION)\n"
        "    with database.engine.begin() as connection:\n"
        "        connection.exec_driver_sql(f\"ATTACH DATABASE '{VICTIM}' AS v\")\n"
        "        connection.exec_driver_sql('DELETE FROM v.customers')", "refused ATTACH of {victim}"),
    "test_vacuums_into_a_file": (
        "database = migrations.database_before(REVISION)\n"
        "    database.execute(f\"VACUUM INTO '{OUTSIDE / 'copy.db'}'\")", "refused ATTACH of {outside}/copy.db"),
}
PASSES = "test_the_fixture_api_still_works"
# sound, though it removes files: shutil.rmtree of a folder in the scratch folder (it removes the folder's
# entries by name relative to the folder's descriptor, as the sweep of killed runs' scratch folders does)
REMOVES_SCRATCH = ("test_removes_a_folder_in_the_scratch_folder",
                   "import os, shutil\n    folder = os.path.join(os.path.dirname(migrations.database_before(REVISION)"
                   ".url.database), 'leftover')\n    os.makedirs(os.path.join(folder, 'inner'))\n"
                   "    open(os.path.join(folder, 'inner', 'db0.db'), 'w').close()\n    shutil.rmtree(folder)\n"
                   "    assert not os.path.exists(folder)")


@pytest.fixture(scope="module")
def contained(tmp_path_factory):
    """The escapes and one sound test, run once as model-written tests of the demo's DATA_REV."""
    base = tmp_path_factory.mktemp("contained")
    root = copy_demo(base)
    outside = base / "outside"
    outside.mkdir()
    victim = make_victim(base / "victim.db")
    before = digest(victim)
    bodies = {name: body for name, (body, _) in ESCAPES.items()}
    bodies[PASSES] = PASSING_BODY.replace("\n", "\n    ")
    bodies[REMOVES_SCRATCH[0]] = REMOVES_SCRATCH[1]
    text = (f"import pathlib\n\nREVISION = {DATA_REV!r}\nOUTSIDE = pathlib.Path({str(outside)!r})\n"
            f"VICTIM = {str(victim)!r}\n\n\n" + "\n\n".join(f"def {n}(migrations):\n    {b}\n" for n, b in bodies.items()))
    expected = ExpectedModule(revision=DATA_REV, tests={n: PlannedTest(engine="model", aspect="data") for n in bodies})
    with Session.open(SessionOptions(path=root), lambda event: None) as session:
        result = session.run_modules({f"test_{DATA_REV}_contained.py": (text, expected)})
    return {"result": result, "outside": outside, "victim": victim, "before": before}


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_the_runtime_policy_refuses_and_names_the_escape(contained, name):
    outcome = next(o for o in contained["result"].outcomes if o.name == name)
    phrase = ESCAPES[name][1].format(outside=contained["outside"], victim=contained["victim"])
    assert outcome.outcome == "failed" and outcome.verdict == "test_defect"
    assert outcome.refused is not None and outcome.refused.startswith(MARK), outcome.message
    assert phrase in outcome.refused, outcome.refused
    assert any(name in line and phrase in line for line in contained["result"].refusals)


def test_nothing_was_written_outside_and_the_victim_is_unchanged(contained):
    assert sorted(p.name for p in contained["outside"].iterdir()) == []
    assert digest(contained["victim"]) == contained["before"]


@pytest.mark.parametrize("name", [PASSES, REMOVES_SCRATCH[0]])
def test_a_sound_model_test_runs_under_the_policy(contained, name):
    outcome = next(o for o in contained["result"].outcomes if o.name == name)
    assert (outcome.outcome, outcome.verdict, outcome.refused) == ("passed", "passed", None), outcome.message


# --------------------------------------------------------------------------- through the model


# Bodies the brief's issue saw get into a suite: each is refused by the allowlist before it runs.
REFUSED_BY_THE_ALLOWLIST = [
    ("pytest.importorskip('pathlib').Path('/tmp/localmig-escape.txt').write_text('x')\n" + PASSING_BODY,
     "uses .importorskip, which imports or inspects code at run time"),
    ("database = migrations.database_before(REVISION)\nwith database.engine.begin() as c:\n"
     "    c.exec_driver_sql(\"ATTACH DATABASE '/tmp/other.db' AS v\")\n" + PASSING_BODY,
     "uses .engine, which reaches past the fixture's scratch database"),
    ("import socket\nsocket.create_connection(('10.255.255.1', 80))\n" + PASSING_BODY, "import of 'socket' is not allowed"),
    ("import subprocess\nsubprocess.run(['touch', '/tmp/localmig-ran'])\n" + PASSING_BODY,
     "import of 'subprocess' is not allowed"),
]


@pytest.mark.parametrize(("body", "reason"), REFUSED_BY_THE_ALLOWLIST)
def test_an_answer_past_the_allowlist_is_rejected_with_the_reason_and_never_run(tmp_path, body, reason):
    root = copy_demo(tmp_path)
    with ScriptedOllama() as server:
        for _ in range(2):  # the answer, and the same again after the repair prompt
            server.answer_json(answer(model_test("test_model_escapes", body)))
        item = generate(root, write_model_config(tmp_path / "models.yaml", server.host), DATA_REV)
        requests = server.chat_requests()

    assert len(requests) == 2
    assert reason in requests[1].json["messages"][-1]["content"]  # the repair prompt names the reason
    assert item.model_error is not None and reason in item.model_error
    written = (root / "tests" / "migrations" / item.filename).read_text(encoding="utf-8")
    assert "test_model_escapes" not in written
    assert not Path("/tmp/localmig-escape.txt").exists() and not Path("/tmp/localmig-ran").exists()


def test_an_answer_that_trips_the_runtime_policy_is_rejected_never_written_and_logged(tmp_path):
    """SQL built at run time gets past the allowlist's look at literals; the scratch connection
    refuses the ATTACH, the policy records it, and the test is left out even with keep-failing."""
    root = copy_demo(tmp_path)
    victim = make_victim(tmp_path / "victim.db")
    before = digest(victim)
    body = ("database = migrations.database_before(REVISION)\n"
            f"database.execute('AT' + \"TACH DATABASE '{victim}' AS v\")\n"
            "assert database.rows('customers') == []")
    with ScriptedOllama() as server:
        for _ in range(2):
            server.answer_json(answer(model_test("test_model_attaches", body), model_test("test_model_sound")))
        config = write_model_config(tmp_path / "models.yaml", server.host)
        with Session.open(SessionOptions(path=root), lambda event: None) as session:
            from localmig.options import ModelChoice

            session.use_model(ModelChoice(mode="auto", config=config))
            [item] = session.generate(session.select([DATA_REV]), keep_failing=True)
            session.write([item])
        requests = server.chat_requests()

    assert digest(victim) == before
    [refused] = [o for o in item.dropped if o.name == "test_model_attaches"]
    assert refused.refused is not None and "refused ATTACH of" in refused.refused and str(victim) in refused.refused
    assert MARK in requests[1].json["messages"][-1]["content"]  # the repair round saw the refusal
    written = (root / "tests" / "migrations" / item.filename).read_text(encoding="utf-8")
    assert "test_model_attaches" not in written and "def test_model_sound(migrations):" in written
    assert any("rejected by the runtime policy" in (exchange.outcome or "") and MARK in exchange.outcome
               for exchange in logged(root))
