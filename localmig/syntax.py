"""``ast.parse`` behind one lock.

CPython 3.11 keeps the AST builder's recursion depth in state that threads share: two threads
parsing at once (model answers checked in ``--jobs`` threads) can fail with ``SystemError: AST
constructor recursion depth mismatch``. Every parse of localmig goes through :func:`parse`.
"""

from __future__ import annotations

import ast
import threading
from typing import Any

_LOCK = threading.Lock()


def parse(source: str, mode: str = "exec") -> Any:
    with _LOCK:
        return ast.parse(source, mode=mode)
