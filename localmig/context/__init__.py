"""The privacy boundary: the only package that assembles what a model sees.

A model is shown the revision's measured schema diff, the schemas of the tables it touches and
of their foreign-key neighbours, the migration source with data literals redacted, the names
of the tests that already exist, and the known findings. It is never shown database URLs,
credentials, rows read from any database, environment variables or paths outside the project.
"""

from .build import ModelContext, build_context
from .fit import estimate_tokens, fit
from .redact import redact_failure, redact_finding, redact_source, redact_sql

__all__ = ["ModelContext", "build_context", "estimate_tokens", "fit", "redact_failure", "redact_finding",
           "redact_source", "redact_sql"]
