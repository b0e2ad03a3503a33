"""Key bindings with ids, so users can remap them in models.yaml (``keys: {review.accept: ctrl+a}``).

Every binding of the app is declared here once: its id (``scope.name``), default key, action,
and the words the footer and the help screen show. Screens take theirs with :func:`bindings`;
the app applies the user's remapping through Textual's keymap (:meth:`App.set_keymap`).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    id: str
    key: str
    action: str
    description: str
    show: bool = True
    priority: bool = False

    @property
    def scope(self) -> str:
        return self.id.split(".", 1)[0]


SCOPES = {
    "app": "everywhere",
    "list": "migration list",
    "review": "review screen",
    "editing": "review screen, while editing the generated module",
    "confirm": "questions (overwrite, quit)",
}

KEYS: list[Key] = [
    Key("app.help", "question_mark,f1", "help", "Help"),
    Key("app.switch_model", "m", "switch_model", "Model"),
    Key("app.quit", "q", "quit", "Quit"),
    Key("list.toggle", "space", "toggle", "Select"),
    Key("list.select_missing", "a", "select_missing", "Select untested"),
    Key("list.clear", "c", "clear_selection", "Clear", show=False),
    Key("list.generate", "g", "generate", "Generate"),
    Key("list.review", "r", "review", "Review"),
    Key("list.filter", "slash", "filter", "Filter"),
    Key("list.cancel", "escape", "cancel", "Cancel"),
    Key("list.reload", "ctrl+r", "reload", "Reload", show=False),
    Key("review.accept", "a", "accept", "Accept"),
    Key("review.reject", "x", "reject", "Reject"),
    Key("review.regenerate", "r", "regenerate", "Regenerate"),
    Key("review.rerun", "t", "rerun", "Re-run tests"),
    Key("review.edit", "e", "edit", "Edit"),
    Key("review.editor", "o", "open_editor", "$EDITOR"),
    Key("review.next", "n", "next", "Next"),
    Key("review.previous", "p", "previous", "Previous"),
    Key("review.back", "escape", "back", "Back"),
    Key("review.results", "1", "tab('results')", "Results tab", show=False),
    Key("review.findings", "2", "tab('findings')", "Findings tab", show=False),
    Key("review.prompt", "3", "tab('prompt')", "Sent to the model tab", show=False),
    Key("editing.accept", "ctrl+s", "accept_editing", "Accept"),
    Key("editing.rerun", "ctrl+t", "rerun_editing", "Re-run tests"),
    Key("confirm.yes", "y", "yes", "Yes"),
    Key("confirm.no", "n,escape", "no", "No"),
]

BY_ID = {key.id: key for key in KEYS}


def bindings(*scopes: str) -> list[Binding]:
    """Textual bindings of the given scopes, each carrying its id."""
    return [
        Binding(k.key, k.action, k.description, show=k.show, priority=k.priority, id=k.id)
        for k in KEYS
        if k.scope in scopes
    ]


def check_keymap(keys: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The user's remapping split into usable entries and unknown ids."""
    usable = {i: str(k) for i, k in keys.items() if i in BY_ID and str(k).strip()}
    return usable, sorted(i for i in keys if i not in BY_ID)


def effective_key(key: Key, keymap: dict[str, str]) -> str:
    """The key(s) that trigger ``key`` once the user's keymap is applied."""
    return keymap.get(key.id, key.key)
