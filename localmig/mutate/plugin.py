"""The pytest plugin ``localmig mutate`` loads (``-p localmig.mutate.plugin``) into a mutant's test run.

It wraps the setup of the generated suite's ``migrations`` fixture: the history the suite makes
(lazily, nothing built yet) is seeded with the state just before the mutated revision (see
:mod:`localmig.mutate.seed`) before the first test uses it. Nothing else of the suite changes:
its own fixture, options and hooks run as always. Without ``--localmig-mutant-seed`` it does nothing.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from .seed import Seed, seed_history

OPTION = "--localmig-mutant-seed"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(OPTION, default=None, metavar="FILE",
                     help="localmig mutate: start the migrations history at the state this seed file describes")


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
