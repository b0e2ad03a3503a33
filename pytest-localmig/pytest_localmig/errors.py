"""The errors the runtime raises."""


class HarnessError(RuntimeError):
    """Base of the errors raised by the harness."""


class EnvironmentIgnoresURL(HarnessError):
    """env.py connected to a database other than the scratch one it was given."""


class MigrationFailed(HarnessError):
    """A revision's upgrade or downgrade raised; the message says which and why."""


class InitialSchemaError(HarnessError):
    """An --initial-schema that cannot be imported, is of the wrong kind, or failed on the scratch database."""
