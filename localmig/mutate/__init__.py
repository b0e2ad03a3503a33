"""Mutation testing of migration tests (``localmig mutate``): how many deliberate mistakes do they catch?

:mod:`.operators` makes the mutants, :mod:`.runner` runs them (:func:`runner.run_mutations`),
:mod:`.report` holds the result. This package module stays light (a mutant's pytest run loads
:mod:`.plugin` through it): import the runner where it is used.
"""

from .operators import OPERATORS, Mutant, mutants_for
from .report import KillRate, MutantResult, MutationReport, cached_report, kill_rates

__all__ = ["OPERATORS", "KillRate", "Mutant", "MutantResult", "MutationReport", "cached_report", "kill_rates",
           "mutants_for"]
