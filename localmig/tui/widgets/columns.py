"""Which columns of the migration list fit, and how wide each is.

The revision, its test file and its findings always show; the graph markers, the session's word
(cut short rather than left out) and the date follow while there is room; the message takes what is left (the detail
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
    least: int = 0  # it may be cut down to this (its cells end with …) rather than left out


COLUMNS = [
    Column("sel", " ", 0, 1),
    Column("revision", "revision", 0),
    Column("message", "message", 0),
    Column("date", "date", 5, 10),
    Column("graph", "graph", 3),
    Column("tests", "tests", 0),
    Column("findings", "findings", 0, 8),
    Column("session", "this session", 4, least=14),
]


def fit(width: int, content: dict[str, int]) -> dict[str, int]:
    """Column key -> width, in display order, for a table ``width`` cells wide; ``content`` gives
    the width the content-sized columns need (a column whose content is empty is left out)."""
    wanted = {c.key: c.width or content.get(c.key, 0) for c in COLUMNS if c.key != "message"}
    wanted["revision"] = max(wanted["revision"], len("revision"))
    wanted["tests"] = max(wanted["tests"], len("tests"))
    shown = {c.key for c in COLUMNS if c.priority == 0}
    used = sum(wanted[k] + PADDING for k in shown if k != "message") + PADDING
    for column in sorted((c for c in COLUMNS if c.priority), key=lambda c: c.priority):
        if wanted[column.key] == 0:
            continue
        room = width - used - PADDING - MESSAGE_MIN
        need = max(wanted[column.key], len(column.label))
        least = max(column.least or need, len(column.label))
        if room >= least:
            shown.add(column.key)
            wanted[column.key] = min(need, room)
            used += wanted[column.key] + PADDING
    message = max(width - used, 8)
    return {c.key: (message if c.key == "message" else wanted[c.key]) for c in COLUMNS if c.key in shown}
