"""The pytest plugin (entry point ``localmig``): options, the ``migrations`` fixture, and the suites' hooks.

Registered through the ``pytest11`` entry point, so its options work wherever pytest starts
(``pytest tests --migration-db-url URL`` from the repository root). It acts only on generated
suites (folders whose conftest.py declares ``LOCALMIG_SUITE``); see :mod:`pytest_localmig.suites`.
With ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` set, load it with ``-p localmig``.

:func:`vendored_conftest` is what a vendored suite's conftest uses (``localmig generate --vendor``):
the installed plugin when it runs the suite, else the copy of this runtime beside the suite.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

from .settings import SETTINGS_NAME
from .suites import DB_URL_OPTION, PLUGIN_NAME, ROOT_OPTION, VENDORED_PREFIX, Suites, add_options

if TYPE_CHECKING:
    from .history import MigrationHistory


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    add_options(parser)
    pluginmanager.register(_LegacyConftests(parser), "localmig-legacy-conftests")


class _LegacyConftests:
    """Suites generated before pytest-localmig carry the harness in their conftest.py, with options of
    the same names: those are dropped (the plugin's take their place, same meaning), so such a suite
    keeps running as it did until it is generated again. The plugin leaves the rest of it alone."""

    def __init__(self, parser: pytest.Parser) -> None:
        self.parser = parser

    def pytest_plugin_registered(self, plugin: object) -> None:
        legacy = all(hasattr(plugin, name) for name in ("MigrationHistory", "migration_config", "pytest_addoption"))
        if not legacy or hasattr(plugin, SETTINGS_NAME):
            return
        group = self.parser.getgroup("migrations")
        ours = {DB_URL_OPTION, ROOT_OPTION}
        group.options[:] = [option for option in group.options if not set(option.names()) & ours]


@pytest.hookimpl(tryfirst=True)  # before any conftest's pytest_configure (a vendored one asks for it)
def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Suites(config), PLUGIN_NAME)
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        from . import scheduling  # the xdist controller: how the tests of a generated suite are handed out

        config.pluginmanager.register(scheduling, "localmig-scheduling")


@pytest.fixture
def migrations(request: pytest.FixtureRequest) -> Iterator[MigrationHistory]:
    """The history of the test's suite, built once per session: ``schema_before/after(rev)``,
    ``schema_after_downgrade(rev)``, ``schema_after_round_trip(rev)``, ``database_before/after(rev)``
    (the databases a test was given are dropped after it)."""
    suites: Suites | None = request.config.pluginmanager.get_plugin(PLUGIN_NAME)
    assert suites is not None  # registered at configure time, with this fixture
    yield from _serving(suites, request)


def _serving(suites: Suites, request: pytest.FixtureRequest) -> Iterator[MigrationHistory]:
    history = suites.history_for(request.node)
    try:
        yield history
    finally:
        history.release()


def vendored_conftest(conftest: str, values: Mapping[str, Any]) -> tuple[Callable[..., Any], ...]:
    """``pytest_addoption``, ``pytest_configure`` and the ``migrations`` fixture for a vendored suite's conftest.

    If the installed pytest-localmig runs this suite (it is loaded and provides its API version),
    they leave the suite to it; else they run it on this copy, with the same hooks, restricted to the
    suite's own items. The options work from the command line when the suite's folder is given to
    pytest (a conftest below it is not loaded at start-up); the environment variable works always.
    """
    folder = os.path.dirname(os.path.abspath(conftest))
    name = VENDORED_PREFIX + folder

    def pytest_addoption(parser: pytest.Parser) -> None:
        add_options(parser, tolerate_existing=True)

    def pytest_configure(config: pytest.Config) -> None:
        installed = config.pluginmanager.get_plugin(PLUGIN_NAME)
        if installed is not None and installed.accepts(values):
            return
        suites = Suites(config, scan=False)
        suites.add(conftest, values)
        config.pluginmanager.register(suites, name)

    @pytest.fixture
    def migrations(request: pytest.FixtureRequest) -> Iterator[MigrationHistory]:
        manager = request.config.pluginmanager
        suites = manager.get_plugin(name) or manager.get_plugin(PLUGIN_NAME)
        assert suites is not None  # registered at configure time, with this fixture
        yield from _serving(suites, request)

    return pytest_addoption, pytest_configure, migrations
