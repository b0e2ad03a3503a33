"""The pytest-localmig plugin, run by pytest as its users run it (pytester, in a subprocess of this Python).

Each test copies a generated demo suite into pytester's folder (the repository root) and runs pytest
there: from the root, on one file, one test id, ``-k``, ``--lf``, ``-n 2``, beside the user's own
tests, on PostgreSQL, vendored; suites it must refuse; and sessions with no suite at all.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from pytest_localmig import API_VERSION, topological_order

from localmig.render import CONFTEST, VENDORED_RUNTIME

from .conftest import BROKEN, SUITE, into, outcomes

BROKEN_TESTS = {
    "test_downgrade_restores_previous_schema", "test_downgrade_restores_order_items", "test_downgrade_restores_products",
    "test_round_trip_upgrade_downgrade_upgrade", "test_existing_rows_survive_upgrade_and_downgrade",
}
STOCK = "tests/migrations/test_d1a004c81e95_add_products_stock_and_customers_is.py"

USER_TESTS = {
    "tests/a_first/test_early.py": "def test_early_one():\n    pass\n\n\ndef test_early_two():\n    pass\n",
    "tests/test_mine.py": (
        "REVISION = 'not a revision of any suite'\n\n\n"
        "def test_mine_z():\n    pass\n\n\ndef test_mine_a():\n    pass\n\n\n"
        "def test_mine_fails_on_purpose():\n    assert 1 == 2\n"
    ),
}


def run(pytester: pytest.Pytester, *args: str, plugins: tuple[str, ...] = ("pytest_localmig.plugin",)) -> pytest.RunResult:
    """pytest in a subprocess with no plugin autoloaded but ``plugins`` (PYTEST_PLUGINS): each plugin of this
    venv costs about a second of start-up per run. The tests that show the entry point at work autoload."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        if plugins:
            patch.setenv("PYTEST_PLUGINS", ",".join(plugins))
        else:
            patch.delenv("PYTEST_PLUGINS", raising=False)
        return pytester.runpytest_subprocess(*args)


def add_user_tests(pytester: pytest.Pytester) -> None:
    for relative, text in USER_TESTS.items():
        path = pytester.path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def assert_demo_outcomes(found: dict[str, str]) -> None:
    """The demo suite's result: everything passes but the five tests that expose the broken downgrade."""
    suite = {test: outcome for test, outcome in found.items() if test.startswith("tests/migrations/")}
    assert len(suite) == 57, suite
    failed = {test for test, outcome in suite.items() if outcome != "PASSED"}
    assert {test.split("::")[1] for test in failed} == BROKEN_TESTS, failed
    assert all(f"test_{BROKEN}_" in test for test in failed)


def test_the_suite_runs_from_the_repository_root_beside_the_users_tests(pytester, generated_demo):
    """`pytest tests --migration-db-url URL` from the root: the plugin's options are known at start-up; the
    user's tests run where they were collected, and their own failure stays theirs."""
    into(pytester, generated_demo)
    add_user_tests(pytester)
    result = pytester.runpytest_subprocess("tests", "-v", "--migration-db-url", "sqlite://", "-p", "no:randomly")
    found = outcomes(result)
    assert_demo_outcomes(found)
    mine = [test for test in found if not test.startswith("tests/migrations/")]
    assert mine == ["tests/a_first/test_early.py::test_early_one", "tests/a_first/test_early.py::test_early_two",
                    "tests/test_mine.py::test_mine_z", "tests/test_mine.py::test_mine_a",
                    "tests/test_mine.py::test_mine_fails_on_purpose"]
    assert found["tests/test_mine.py::test_mine_fails_on_purpose"] == "FAILED"
    assert all(found[test] == "PASSED" for test in mine[:4])
    # the user's tests keep the places pytest collected them in; the suite's run in history order
    order = list(found)
    assert order.index(mine[1]) == 1 and order.index(mine[2]) == 2 + 57
    history = topological_order(ScriptDirectory.from_config(Config(str(pytester.path / "alembic.ini"))))
    ranks = [history.index(test.split("_")[1]) for test in order[2:53]]
    assert ranks == sorted(ranks)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    # --lf then runs what failed, and builds only what those tests need
    again = run(pytester, "tests", "--lf", "-v")
    assert set(outcomes(again)) == {test for test, outcome in found.items() if outcome == "FAILED"}
    assert "run-last-failure" in again.stdout.str()


@pytest.mark.parametrize("selection, expected", [
    ([STOCK], 7),
    ([f"{STOCK}::test_downgrade_restores_previous_schema"], 1),
    (["tests", "-k", "upgrade_creates_table"], 6),
])
def test_one_file_one_test_or_a_keyword(pytester, generated_demo, selection, expected):
    into(pytester, generated_demo)
    result = run(pytester, *selection, "-v")
    found = outcomes(result)
    assert len(found) == expected and set(found.values()) == {"PASSED"}, result.stdout.str()[-3000:]


def test_xdist_workers_each_build_what_their_tests_need(pytester, generated_demo):
    into(pytester, generated_demo)
    add_user_tests(pytester)
    result = run(pytester, "tests", "-n", "2", plugins=("pytest_localmig.plugin", "xdist.plugin"))
    result.assert_outcomes(passed=52 + 4, failed=5 + 1)


def test_a_suite_that_cannot_run_here_fails_only_its_own_tests(pytester, generated_demo):
    """Measured on SQLite, run on PostgreSQL: the suite's tests fail with the reason (no connection is
    even tried); the user's tests of the session run as usual."""
    into(pytester, generated_demo)
    add_user_tests(pytester)
    result = run(pytester, "tests", "-v", "--migration-db-url", "postgresql+psycopg://x@127.0.0.1:1/x")
    found = outcomes(result)
    assert {outcome for test, outcome in found.items() if test.startswith("tests/migrations/")} == {"ERROR"}
    assert found["tests/test_mine.py::test_mine_a"] == found["tests/a_first/test_early.py::test_early_one"] == "PASSED"
    text = " ".join(result.stdout.str().split())
    assert "generated from a run of the migrations on sqlite" in text and "Run them without --migration-db-url" in text
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_suite_for_a_newer_runtime_is_refused_with_what_to_install(pytester, generated_demo):
    into(pytester, generated_demo)
    add_user_tests(pytester)
    conftest = pytester.path / SUITE / CONFTEST
    text = conftest.read_text()
    conftest.write_text(text.replace(f'"api_version": {API_VERSION},', '"api_version": 99,')
                        .replace('"requires": "pytest-localmig>=0.1.0"', '"requires": "pytest-localmig>=9.9"'))
    result = run(pytester, "tests", "-v")
    found = outcomes(result)
    assert {outcome for test, outcome in found.items() if test.startswith("tests/migrations/")} == {"ERROR"}
    assert found["tests/test_mine.py::test_mine_z"] == "PASSED"
    text = " ".join(result.stdout.str().split())
    assert "generated for the pytest-localmig fixture API 99" in text
    assert "pip install 'pytest-localmig>=9.9'" in text and "localmig generate PATH" in text
    # the suite alone: one usage error, nothing runs
    alone = run(pytester, str(SUITE))
    assert alone.ret == pytest.ExitCode.USAGE_ERROR
    assert "pip install 'pytest-localmig>=9.9'" in " ".join(alone.stderr.str().split())


def test_a_suite_for_a_retired_api_says_to_regenerate(pytester, generated_demo):
    into(pytester, generated_demo)
    conftest = pytester.path / SUITE / CONFTEST
    conftest.write_text(conftest.read_text().replace(f'"api_version": {API_VERSION},', '"api_version": 0,'))
    result = run(pytester, str(SUITE))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    message = " ".join(result.stderr.str().split())
    assert "fixture API 0, which the installed pytest-localmig" in message and "localmig generate PATH" in message


GIVEN_DATABASES = f"""
import os

REVISION = {BROKEN!r}
given = []


def test_a_database_is_given(migrations):
    database = migrations.database_before(REVISION)
    given.append(database.url.database)
    assert os.path.exists(given[0])


def test_it_is_dropped_after_the_test_that_asked_for_it(migrations):
    assert given and not os.path.exists(given[0])
    assert migrations.database_after(REVISION).url.database != given[0]
"""


def test_the_databases_a_test_was_given_are_dropped_after_it(pytester, generated_demo):
    """The fixture drops a test's databases when the test ends (not at the end of the session: at 1,000
    revisions the data tests' databases filled 1.7 GB of /dev/shm)."""
    into(pytester, generated_demo)
    (pytester.path / SUITE / "test_given_databases.py").write_text(GIVEN_DATABASES)
    result = run(pytester, str(SUITE / "test_given_databases.py"), "-v", "-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_the_plugin_is_inert_in_a_session_without_a_suite(pytester):
    pytester.makepyfile(test_plain="""
        REVISION = 'abc'

        def test_z(request):
            suites = request.config.pluginmanager.get_plugin("localmig-suites")
            assert suites is not None and suites.suites == {}

        def test_a():
            pass

        def test_asks_for_migrations(migrations):
            pass
    """)
    result = pytester.runpytest_subprocess("-v", "-p", "no:randomly")  # (in process, other plugins' state leaks)
    found = outcomes(result)
    assert list(found) == ["test_plain.py::test_z", "test_plain.py::test_a", "test_plain.py::test_asks_for_migrations"]
    assert found["test_plain.py::test_z"] == found["test_plain.py::test_a"] == "PASSED"
    assert found["test_plain.py::test_asks_for_migrations"] == "ERROR"
    assert "is not in a folder whose conftest.py declares LOCALMIG_SUITE" in result.stdout.str()
    help_text = pytester.runpytest_subprocess("--help").stdout.str()
    assert "--migration-db-url" in help_text and "--migration-project-root" in help_text
    assert "migration_db_url" in help_text


def test_the_options_also_come_from_the_ini_file_and_the_environment(pytester, generated_demo, monkeypatch):
    into(pytester, generated_demo)
    pytester.makeini("[pytest]\nmigration_db_url = postgresql+psycopg://from-ini@127.0.0.1:1/x\n")
    result = run(pytester, str(SUITE))
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # a PostgreSQL server for a suite measured on SQLite
    assert "do not hold on postgresql" in " ".join(result.stderr.str().split())
    monkeypatch.setenv("MIGRATION_TEST_DATABASE_URL", "sqlite://")  # the environment wins over the ini file
    result = run(pytester, STOCK)
    result.assert_outcomes(passed=7)


def test_a_vendored_suite_runs_on_its_own_copy_without_the_plugin(pytester, vendored_demo):
    into(pytester, vendored_demo)
    (pytester.path / SUITE / "test_which_runtime.py").write_text(
        "def test_which_runtime(request, migrations):\n"
        "    manager = request.config.pluginmanager\n"
        "    vendored = [name for name, _ in manager.list_name_plugin() if str(name).startswith('localmig-vendored:')]\n"
        "    print('RUNTIME', 'vendored' if vendored else 'installed')\n"
    )
    result = run(pytester, "tests", "-v", "-s", plugins=())
    assert_demo_outcomes({k: v for k, v in outcomes(result).items() if "which_runtime" not in k})
    assert "RUNTIME vendored" in result.stdout.str()
    # with the plugin installed (autoloaded, as users have it) and providing the suite's API, it runs it: no clash
    result = pytester.runpytest_subprocess("tests", "-v", "-s")
    assert_demo_outcomes({k: v for k, v in outcomes(result).items() if "which_runtime" not in k})
    assert "RUNTIME installed" in result.stdout.str()


def test_a_vendored_suite_for_an_api_the_installed_plugin_lacks_runs_on_its_copy(pytester, vendored_demo):
    into(pytester, vendored_demo)
    suite = pytester.path / SUITE
    runtime = suite / VENDORED_RUNTIME
    runtime.write_text(runtime.read_text().replace(f"\nAPI_VERSION = {API_VERSION}\n", "\nAPI_VERSION = 99\n"))
    conftest = suite / CONFTEST
    conftest.write_text(conftest.read_text().replace(f'"api_version": {API_VERSION},', '"api_version": 99,'))
    result = run(pytester, "tests", "-v", "--migration-db-url", "sqlite://")
    assert_demo_outcomes(outcomes(result))


@pytest.mark.postgres
def test_a_suite_generated_on_postgres_runs_there_from_the_root(pytester, pg_demo, pg_url):
    """On PostgreSQL the demo applies up to its fourth revision (a Boolean column with DEFAULT 1 is a SQLite
    habit), so its suite holds the tests of the first three; they pass. (One worker: the PostgreSQL tests
    of tests/e2e count the databases on the server, and wait only so long for others to be dropped.)"""
    into(pytester, pg_demo)
    assert '"measured_on": "postgresql",' in (pytester.path / SUITE / CONFTEST).read_text()
    modules = sorted(p.name[5:17] for p in (pytester.path / SUITE).glob("test_*.py"))
    assert modules == ["d1a001e4c7b2", "d1a0023f9a61", "d1a0037b2d48"]
    result = run(pytester, "tests", "--migration-db-url", pg_url)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    assert result.parseoutcomes()["passed"] >= 20
    # and on SQLite it refuses, saying why
    result = run(pytester, "tests")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "with --migration-db-url set to a postgresql server" in " ".join(result.stderr.str().split())


def test_a_suite_from_before_the_plugin_keeps_running_beside_it(pytester):
    """A conftest of an older localmig (the harness pasted in) registers the same options: the plugin gives way,
    so the suite runs until it is generated again (`localmig check` says it is out of date)."""
    pytester.mkdir("suite")
    (pytester.path / "suite" / "conftest.py").write_text(
        "import pytest\n\n\n"
        "class MigrationHistory:\n    pass\n\n\n"
        "def migration_config(pytest_config):\n    return None\n\n\n"
        "def pytest_addoption(parser):\n"
        "    group = parser.getgroup('migrations', 'generated migration tests')\n"
        "    group.addoption('--migration-db-url', default=None)\n"
        "    group.addoption('--migration-project-root', default=None)\n\n\n"
        "@pytest.fixture(scope='session')\n"
        "def migrations(request):\n    return request.config.getoption('--migration-db-url')\n"
    )
    (pytester.path / "suite" / "test_old.py").write_text(
        "def test_old(migrations):\n    assert migrations == 'sqlite://'\n")
    result = run(pytester, "suite", "--migration-db-url", "sqlite://")
    result.assert_outcomes(passed=1)


def test_the_plugin_loads_neither_alembic_nor_sqlalchemy_until_a_suite_needs_them():
    """Installed in every venv of its users, it must cost nothing in their other test sessions."""
    code = ("import sys, pytest_localmig.plugin, pytest_localmig\n"
            "assert pytest_localmig.API_VERSION >= 1\n"
            "print(sorted(m for m in ('alembic', 'sqlalchemy') if m in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.stdout.strip() == "[]", completed.stdout + completed.stderr


PYTEST_ALEMBIC = {
    "tests/conftest.py": ("import pytest\nimport sqlalchemy\n\n\n@pytest.fixture\ndef alembic_engine():\n"
                          "    engine = sqlalchemy.create_engine('sqlite:///')\n"
                          "    with engine.connect() as connection:  # the demo's env.py takes a handed-over Connection\n"
                          "        yield connection\n    engine.dispose()\n"),
    "tests/test_pytest_alembic.py": ("from pytest_alembic.tests import (  # noqa: F401\n"
                                     "    test_single_head_revision, test_up_down_consistency, test_upgrade)\n"),
}


def test_pytest_alembics_built_in_tests_run_beside_the_suite_in_one_session(pytester, generated_demo):
    """A project that uses pytest-alembic keeps it: both plugins in one session, each with its own tests,
    and both see the demo's broken downgrade."""
    into(pytester, generated_demo)
    for relative, text in PYTEST_ALEMBIC.items():
        (pytester.path / relative).write_text(text)
    result = run(pytester, "tests", "-v", plugins=("pytest_localmig.plugin", "pytest_alembic.plugin"))
    found = outcomes(result)
    assert_demo_outcomes(found)
    theirs = {test.split("::")[1]: outcome for test, outcome in found.items() if "test_pytest_alembic" in test}
    assert theirs == {"test_single_head_revision": "PASSED", "test_upgrade": "PASSED",
                      "test_up_down_consistency": "FAILED"}, result.stdout.str()[-3000:]
    assert "ix_order_items_product" in result.stdout.str()  # pytest-alembic's failure names the same defect


def test_a_session_reads_the_revision_files_once(pytester, generated_demo):
    """The history takes the ScriptDirectory read at collection (to order the tests) instead of
    reading every revision file again (0.8 s of each session and xdist worker at 1,000 revisions)."""
    into(pytester, generated_demo)
    pytester.makeconftest(
        "import alembic.script.base as base\n\n"
        "LOADS = []\n"
        "_load = base.ScriptDirectory._load_revisions\n\n\n"
        "def _counted(self):\n"
        "    LOADS.append(self.dir)\n"
        "    yield from _load(self)\n\n\n"
        "base.ScriptDirectory._load_revisions = _counted\n\n\n"
        "def pytest_sessionfinish(session):\n"
        "    print(f'\\nrevision files read: {len(LOADS)} times')\n"
    )
    result = run(pytester, "tests/migrations", "-s", "-q", "-p", "no:randomly")
    assert result.ret == 1  # the demo's broken downgrade, nothing else
    result.stdout.fnmatch_lines(["*revision files read: 1 times*"])
