"""Which columns of the migration list fit, and how wide each is.

The revision, its test file and its findings always show; the session's word, the graph
markers and the date follow while there is room; the message takes what is left (the detail
pane shows it whole, wrapped). Pure, so the rule is tested apart from the widget.
"""

from __future__ import annotations

from dataclasses import dataclass

PADDING = 2  # a DataTable cell has one column of padding on each side
MESSAGE_MIN = 16


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    priority: int  # 0: always; then shown in this order while they fit
    width: int = 0  # 0: as wide as its content


COLUMNS = [
    Column("sel", " ", 0, 1),
    Column("revision", "revision", 0),
    Column("message", "message", 0),
    Column("date", "date", 5, 10),
    Column("graph", "graph", 4),
    Column("tests", "tests", 1, 12),
    Column("findings", "findings", 2, 8),
    Column("session", "this session", 3),
]


def fit(width: int, content: dict[str, int]) -> dict[str, int]:
    """Column key -> width, in display order, for a table ``width`` cells wide; ``content`` gives
    the width the content-sized columns need (a column whose content is empty is left out)."""
    wanted = {c.key: c.width or content.get(c.key, 0) for c in COLUMNS if c.key != "message"}
    wanted["revision"] = max(wanted["revision"], len("revision"))
    shown = {c.key for c in COLUMNS if c.priority == 0}
    used = sum(wanted[k] + PADDING for k in shown if k != "message") + PADDING
    for column in sorted((c for c in COLUMNS if c.priority), key=lambda c: c.priority):
        need = wanted[column.key]
        if need == 0:
            continue
        need = max(need, len(column.label))
        if width - used - (need + PADDING) >= MESSAGE_MIN:
            shown.add(column.key)
            wanted[column.key] = need
            used += need + PADDING
    message = max(width - used, 8)
    return {c.key: (message if c.key == "message" else wanted[c.key]) for c in COLUMNS if c.key in shown}
