"""Python source for the values tests compare rows with (datetime, Decimal, UUID...)."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any


def literal(value: Any) -> tuple[str, set[str]]:
    """Python source for ``value`` and the imports it needs."""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)):
        return repr(value), {"import datetime"}
    if isinstance(value, decimal.Decimal):
        return f"decimal.{value!r}", {"import decimal"}
    if isinstance(value, uuid.UUID):
        return f"uuid.{value!r}", {"import uuid"}
    if isinstance(value, dict):
        parts, needs = [], set()
        for key, item in value.items():
            code, more = literal(item)
            parts.append(f"{key!r}: {code}")
            needs |= more
        return "{" + ", ".join(parts) + "}", needs
    if isinstance(value, (list, tuple)):
        codes = [literal(item) for item in value]
        text = ", ".join(code for code, _ in codes)
        return (f"[{text}]" if isinstance(value, list) else f"({text},)"), set().union(*(n for _, n in codes)) if codes else set()
    return repr(value), set()
