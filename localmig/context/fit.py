"""Token budgets: estimate a prompt's size and cut optional parts of a context until it fits."""

from __future__ import annotations

import math
from collections.abc import Callable

from ..errors import PromptTooLarge
from .build import ModelContext


def estimate_tokens(text: str) -> int:
    """A conservative token estimate (code tokenises at roughly 3.5 characters per token)."""
    return math.ceil(len(text) / 3.5)


def fit(context: ModelContext, render: Callable[[ModelContext], str], budget: int) -> ModelContext:
    """Cut optional parts of ``context`` until ``render(context)`` fits ``budget`` tokens.

    Order: foreign-key neighbours' schemas, the list of existing tests, then the source's
    tail. Raises PromptTooLarge when even the minimum does not fit.
    """
    if estimate_tokens(render(context)) <= budget:
        return context
    context = context.model_copy(deep=True)
    steps = []
    neighbours = context.neighbours
    if neighbours:
        steps.append(("schemas of neighbouring tables " + ", ".join(neighbours), lambda c: _drop_tables(c, neighbours)))
    if context.existing_tests:
        steps.append((f"the names of {len(context.existing_tests)} existing tests", lambda c: c.existing_tests.clear()))
    steps.append(("schemas of tables the revision only mentions", lambda c: _drop_unchanged(c)))
    for description, cut in steps:
        cut(context)
        context.cut.append(description)
        if estimate_tokens(render(context)) <= budget:
            return context
    lines = context.source.splitlines()
    while len(lines) > 20:
        lines = lines[: int(len(lines) * 0.8)]
        context.source = "\n".join(lines) + "\n# ... (rest of the source left out)"
        if estimate_tokens(render(context)) <= budget:
            context.cut.append(f"the source after line {len(lines)}")
            return context
    raise PromptTooLarge(
        f"the prompt for {context.revision} needs about {estimate_tokens(render(context))} tokens; the profile allows {budget}",
        hint="raise options.num_ctx in models.yaml (if the model supports it) or lower num_predict",
    )


def _drop_tables(context: ModelContext, tables: list[str]) -> None:
    for table in tables:
        context.schema_before.pop(table, None)
        context.schema_after.pop(table, None)


def _drop_unchanged(context: ModelContext) -> None:
    for table in list(context.schema_before):
        if context.schema_before.get(table) == context.schema_after.get(table):
            context.schema_before.pop(table)
