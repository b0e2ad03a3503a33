"""The pytest plugin ``localmig mutate`` loads (``-p localmig.mutate.plugin``) into its test runs.

With ``--localmig-mutant-seed FILE`` it wraps the setup of the generated suite's ``migrations``
fixture: the history the suite makes (lazily, nothing built yet) is seeded with the state just
before the mutated revision (see :mod:`localmig.mutate.seed`) before the first test uses it.
Nothing else of the suite changes: its own fixture, options and hooks run as always.

With ``--localmig-outcomes FILE`` it writes every test's outcome by its node id as JSON (the
user's own tests: their node ids, unlike JUnit's names, say exactly which test it was).
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any

import pytest

from .seed import Seed, seed_history

OPTION = "--localmig-mutant-seed"
OUTCOMES = "--localmig-outcomes"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(OPTION, default=None, metavar="FILE",
                     help="localmig mutate: start the migrations history at the state this seed file describes")
    parser.addoption(OUTCOMES, default=None, metavar="FILE", help="localmig mutate: write each test's outcome here")


class _Outcomes:
    """Node id -> passed / failed / error / skipped, written when the session ends."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.outcomes: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.outcomes[report.nodeid] = "failed" if report.when == "call" else "error"
        elif report.skipped:
            self.outcomes.setdefault(report.nodeid, "skipped")
        elif report.when == "call":
            self.outcomes.setdefault(report.nodeid, "passed")

    def pytest_sessionfinish(self) -> None:
        with open(self.path, "w", encoding="utf-8") as handle:
            json.dump(self.outcomes, handle)


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption(OUTCOMES)
    if path:
        config.pluginmanager.register(_Outcomes(path), "localmig-mutate-outcomes")


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Generator[None, Any, None]:
    outcome: Any = yield
    path = request.config.getoption(OPTION)
    if fixturedef.argname != "migrations" or not path or outcome.excinfo is not None:
        return
    try:
        seed_history(outcome.get_result(), Seed.read(path))
    except (RuntimeError, OSError, ValueError) as error:  # not the mutant's doing: stop the run, say why
        pytest.exit(f"localmig mutate could not seed the migrations history: {error}", returncode=4)
