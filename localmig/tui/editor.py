"""Open a generated module in the user's $VISUAL / $EDITOR, on a temporary copy (nothing is written
to the suite until accept)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from textual.app import App, SuspendNotSupported


def editor_command() -> list[str]:
    return shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")


def edit_externally(app: App, filename: str, text: str) -> str | None:
    """The text after the editor exits, or None (and a notification) if the editor could not run."""
    command = editor_command()
    with tempfile.TemporaryDirectory(prefix="localmig-edit-") as folder:
        path = Path(folder) / filename
        path.write_text(text, encoding="utf-8")
        try:
            try:
                with app.suspend():
                    done = subprocess.run([*command, str(path)])
            except SuspendNotSupported:  # headless (tests) or a web terminal: run it without the screen
                done = subprocess.run([*command, str(path)], stdin=subprocess.DEVNULL, capture_output=True)
        except OSError as error:
            app.notify(f"cannot start the editor {command[0]!r}: {error.strerror}\nhint: set $EDITOR (or $VISUAL)",
                       title="error", severity="error", markup=False)
            return None
        if done.returncode != 0:
            app.notify(f"the editor {command[0]!r} exited with status {done.returncode}; the edits were kept",
                       severity="warning", markup=False)
        return path.read_text(encoding="utf-8", errors="replace")
