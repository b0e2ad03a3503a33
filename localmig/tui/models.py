"""The models.yaml profiles with their state on Ollama (pulled / missing / unknown), for the switchers.

Asking Ollama is blocking (HTTP): call :func:`profile_states` from a thread. One request per host.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Literal

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ..config import Settings
from ..errors import LocalmigError
from ..llm import OllamaModel

State = Literal["pulled", "missing", "unknown", "off"]
OFF = "off"  # the choice "no model": the deterministic engine only


@dataclass(frozen=True)
class ProfileState:
    name: str
    model: str
    state: State
    detail: str = ""

    def describe(self) -> str:
        if self.state == "off":
            return "deterministic engine only"
        words = {"pulled": "pulled", "missing": f"missing: run `ollama pull {self.model}`", "unknown": "state unknown"}
        return f"{self.model} — {words[self.state]}"


def profile_states(settings: Settings | None) -> list[ProfileState]:
    """Every profile with whether its Ollama host has the model; ``off`` last."""
    states: list[ProfileState] = []
    tags: dict[str, list[str] | str] = {}
    for name, profile in (settings.profiles.items() if settings else []):
        try:
            model = OllamaModel(profile, settings)  # type: ignore[arg-type]
            if model.host not in tags:
                try:
                    tags[model.host] = model.pulled()
                except LocalmigError as error:
                    tags[model.host] = str(error)
            found = tags[model.host]
        except LocalmigError as error:  # a refused host
            found = str(error)
        if isinstance(found, str):
            states.append(ProfileState(name, profile.model, "unknown", found))
        else:
            states.append(ProfileState(name, profile.model, "pulled" if model.is_pulled(found) else "missing"))
    states.append(ProfileState(OFF, "", "off"))
    return states


class ModelCommands(Provider):
    """Command palette: "Switch model: NAME" for every profile, with its pulled / missing state."""

    async def startup(self) -> None:
        import asyncio

        settings = getattr(self.app, "settings", None)
        self.states = await asyncio.to_thread(profile_states, settings)

    def _commands(self) -> list[tuple[str, ProfileState]]:
        return [(f"Switch model: {s.name}", s) for s in self.states]

    async def discover(self) -> Hits:
        for title, state in self._commands():
            yield DiscoveryHit(title, partial(self.app.set_model, state.name), help=state.describe())  # type: ignore[attr-defined]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, state in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.set_model, state.name),  # type: ignore[attr-defined]
                          help=state.describe())
