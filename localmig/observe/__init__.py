"""The data observation stage: synthetic rows through a revision's upgrade and downgrade."""

from .mining import source_assignments, source_literals
from .run import DataObservation, observe
from .seeds import seed_rows, value_for

__all__ = ["DataObservation", "observe", "seed_rows", "source_assignments", "source_literals", "value_for"]
