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
    help: str = ""

    @property
    def explained(self) -> str:
        return self.help or self.description

    @property
    def scope(self) -> str:
        return self.id.split(".", 1)[0]


SCOPES = {
    "app": "everywhere",
    "list": "migration list",
    "filter": "the filter box",
    "review": "review screen",
    "editing": "review, while editing",
    "confirm": "questions (overwrite, quit)",
}

KEYS: list[Key] = [
    Key("app.help", "question_mark,f1", "help", "Help", help="this list of keys"),
    Key("app.quit", "q", "quit", "Quit", help="quit (asks first while generated tests wait for review)"),
    Key("app.switch_model", "m", "switch_model", "Model",
        help="switch model: the models.yaml profiles, pulled or missing (also in the command palette, ctrl+p)"),
    Key("app.history", "h", "history", "History",
        help="every notification so far in full, errors with their hints (newest first)"),
    Key("list.toggle", "space", "toggle_selection", "Select", help="select / unselect the revision under the cursor"),
    Key("list.select_missing", "a", "select_missing", "Untested",
        help="select every shown revision without a test file"),
    Key("list.clear", "c", "clear_selection", "Clear", show=False, help="clear the selection"),
    Key("list.generate", "g", "generate", "Generate",
        help="generate the selected revisions (or the one under the cursor) in the background"),
    Key("list.review", "r", "review", "Review", help="review the generated revisions (enter works too)"),
    Key("list.filter", "slash", "filter", "Filter",
        help="filter the list: id, message, test file (none, stale…), head, merge, finding kinds, test results"),
    Key("list.cancel", "escape", "cancel", "Cancel", help="cancel the running generation; finished revisions are kept"),
    Key("list.reload", "ctrl+r", "reload", "Reload", show=False,
        help="capture the project again (after fixing it); reviews pending are kept"),
    Key("filter.clear", "escape", "clear", "Clear filter", help="empty the filter and go back to the list"),
    Key("review.accept", "a", "accept", "Accept",
        help="write this module, atomically; over a hand-edited file, show the diff and ask"),
    Key("review.reject", "x", "reject", "Reject", help="write nothing for this revision"),
    Key("review.regenerate", "r", "regenerate", "Regenerate",
        help="generate again, with an optional hint added to the prompt"),
    Key("review.rerun", "t", "rerun", "Re-run", help="run the (edited) module's tests again"),
    Key("review.edit", "e", "edit", "Edit", help="edit the generated module in place (it is read-only until then)"),
    Key("review.editor", "o", "open_editor", "$EDITOR", show=False, help="edit it in $VISUAL / $EDITOR"),
    Key("review.next", "n", "next", "Next", help="next revision"),
    Key("review.previous", "p", "previous", "Prev", help="previous revision"),
    Key("review.zoom", "z", "zoom", "Zoom", help="show the focused pane alone, z again shows everything"),
    Key("review.back", "escape", "back", "Back", help="back to the list (cancels a running regeneration first)"),
    Key("review.results", "1", "tab('results')", "Results tab", show=False,
        help="show the per-test results and their output"),
    Key("review.findings", "2", "tab('findings')", "Findings tab", show=False, help="show the findings"),
    Key("review.prompt", "3", "tab('prompt')", "Sent to the model tab", show=False,
        help="show exactly what was sent to the model, and its answer as it streams"),
    Key("editing.done", "escape", "stop_editing", "Stop editing", help="stop editing: the module is read-only again"),
    Key("editing.accept", "ctrl+s", "accept_editing", "Accept", help="stop editing and accept"),
    Key("editing.rerun", "ctrl+t", "rerun_editing", "Re-run", help="re-run the tests without leaving the editor"),
    Key("confirm.yes", "y", "yes", "Yes", help="yes: overwrite the hand-edited file / quit"),
    Key("confirm.no", "n,escape", "no", "No", help="no: keep the file / stay"),
]

BY_ID = {key.id: key for key in KEYS}


def bindings(*scopes: str) -> list[Binding | tuple[str, str] | tuple[str, str, str]]:
    """Textual bindings of the given scopes, each carrying its id (typed as Textual's BINDINGS)."""
    return [
        Binding(k.key, k.action, k.description, show=k.show, priority=k.priority, id=k.id)
        for k in KEYS
        if k.scope in scopes
    ]


def check_keymap(keys: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The user's remapping split into usable entries and unknown ids."""
    usable = {i: str(k) for i, k in keys.items() if i in BY_ID and str(k).strip()}
    return usable, sorted(i for i in keys if i not in BY_ID)


def shown_key(keys: str) -> str:
    """``question_mark,f1`` as a person writes it: ``? / f1``."""
    names = {"question_mark": "?", "slash": "/", "escape": "esc"}
    return " / ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


def markdown_table(keymap: dict[str, str] | None = None) -> str:
    """The keys as the README lists them (a test keeps the README in step)."""
    rows = ["| where | key | what it does | binding id |", "|---|---|---|---|"]
    rows += [f"| {SCOPES[k.scope]} | `{shown_key(effective_key(k, keymap or {}))}` | {k.explained} | `{k.id}` |" for k in KEYS]
    return "\n".join(rows)


def effective_key(key: Key, keymap: dict[str, str]) -> str:
    """The key(s) that trigger ``key`` once the user's keymap is applied."""
    return keymap.get(key.id, key.key)
