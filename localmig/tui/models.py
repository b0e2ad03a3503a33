"""The models.yaml profiles with their state on Ollama (pulled / missing / unknown), for the switchers.

Asking Ollama is blocking (HTTP): call :func:`profile_states` from a thread. One request per host.
"""

from __future__ import annotations

import asyncio
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ..config import Settings
from ..llm import ProfileState
from ..llm import profile_states as core_profile_states
from .messages import ModelChosen

OFF = "off"  # the choice "no model": the deterministic engine only


def profile_states(settings: Settings | None) -> list[ProfileState]:
    """Every profile with whether its Ollama host has the model; ``off`` last."""
    return [*(core_profile_states(settings) if settings else []), ProfileState(OFF, "", "off")]


class ModelCommands(Provider):
    """Command palette: "Switch model: NAME" for every profile, with its pulled / missing state
    (the choice goes to the app as a :class:`~localmig.tui.messages.ModelChosen` message)."""

    async def startup(self) -> None:
        settings = getattr(self.app, "settings", None)  # the app's models.yaml settings, if any
        self.states = await asyncio.to_thread(profile_states, settings)

    def _commands(self) -> list[tuple[str, ProfileState]]:
        return [(f"Switch model: {s.name}", s) for s in self.states]

    def _choose(self, name: str) -> None:
        self.app.post_message(ModelChosen(name))

    async def discover(self) -> Hits:
        for title, state in self._commands():
            yield DiscoveryHit(title, partial(self._choose, state.name), help=state.describe())

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, state in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._choose, state.name), help=state.describe())
