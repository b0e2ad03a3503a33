"""The distribution's version and the version of the fixture API that generated tests call.

``API_VERSION`` changes only when what generated tests call changes incompatibly (the
``migrations`` fixture, :class:`~pytest_localmig.database.Database`, the schema views) or when
the suite settings a generated ``conftest.py`` holds change meaning. A suite records the API it
was written for; this runtime runs suites written for ``MIN_API_VERSION`` up to ``API_VERSION``.
"""

__version__ = "0.1.0"

API_VERSION = 1
MIN_API_VERSION = 1

# The first release of pytest-localmig that provides each API version (for install hints).
FIRST_RELEASE: dict[int, str] = {1: "0.1.0"}

# The first release of pytest-localmig that no longer runs suites of each retired API version.
DROPPED_IN: dict[int, str] = {}
