"""File headers: how a generated file records how it was made, and what localmig reads back from it."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .. import __version__
from ..project import RevisionInfo
from ..wrap import LIMIT

HEADER_PREFIX = "# localmig: "
CONFTEST = "conftest.py"

FileStatus = Literal["missing", "current", "stale", "hand_edited", "not_generated"]


class FileHeader(BaseModel):
    """What a generated file records about how it was made."""

    generator: str = Field(default_factory=lambda: f"localmig {__version__}")
    revision: str | None = None
    source_sha256: str | None = Field(None, description="The migration file the tests were generated from.")
    engines: list[str] = Field(default_factory=list)
    model: str | None = None
    prompts_version: str | None = None
    options_sha256: str | None = Field(None, description="Model tag, options and prompts version the tests came from.")
    aspects: dict[str, str] = Field(default_factory=dict, description="test name -> what it exercises (for `check`).")
    runtime: str | None = Field(None, description="A vendored runtime: the pytest-localmig it is a copy of.")
    api_version: int | None = Field(None, description="The pytest-localmig fixture API a conftest or runtime is for.")
    style: str | None = Field(None, description="A suite's conftest: 'pytest-alembic' when its tests are written for "
                                                "pytest-alembic's alembic_runner (None: for pytest-localmig).")
    edited_in_review: bool | None = Field(None, description="A person edited the body in the review app and "
                                          "accepted it; the body hash covers the edited body, so the file is current.")
    body_sha256: str = ""


def module_name(revision: RevisionInfo) -> str:
    """``test_<id>_<slug>.py``, a valid module name for any revision id: characters other than
    letters, digits and ``_`` become ``_`` (plus a short hash then, so ``v1.4.0`` and ``v1_4_0``
    stay apart); the header and ``REVISION`` keep the real id."""
    safe = re.sub(r"[^0-9A-Za-z_]", "_", revision.id)
    if safe != revision.id:
        safe += "_" + hashlib.sha256(revision.id.encode()).hexdigest()[:6]
    return f"test_{safe}_{revision.slug}.py"


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def with_header(header: FileHeader, body: str) -> str:
    """``body`` under its header: the header's JSON (fields that are None left out) on comment lines of
    at most 120 characters, each starting with ``# localmig: `` (broken after a comma between values)."""
    header = header.model_copy(update={"body_sha256": body_hash(body)})
    text = json.dumps(header.model_dump(exclude_none=True), separators=(", ", ": "))
    lines, current = [], ""
    for piece in _json_pieces(text):
        if current and len(HEADER_PREFIX) + len(current) + 1 + len(piece) > LIMIT:
            lines.append(HEADER_PREFIX + current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    lines.append(HEADER_PREFIX + current)
    return "\n".join(lines) + "\n" + body


def _json_pieces(text: str) -> list[str]:
    """JSON text cut after each ``, `` between values (never inside a string)."""
    pieces, start, in_string, escaped = [], 0, False, False
    for index, char in enumerate(text):
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char == "," and text[index + 1 : index + 2] == " ":
            pieces.append(text[start : index + 1])
            start = index + 2
    return [*pieces, text[start:]]


def read_header(text: str) -> tuple[FileHeader | None, str]:
    """The header of a generated file and the body after it (None if it has no header)."""
    lines = text.split("\n")
    count = 0
    while count < len(lines) - 1 and lines[count].startswith(HEADER_PREFIX):
        count += 1
    if not count:
        return None, text
    try:
        header = FileHeader.model_validate_json(" ".join(line[len(HEADER_PREFIX) :] for line in lines[:count]))
    except ValueError:
        return None, text
    return header, "\n".join(lines[count:])


def generated_files(folder: Path) -> dict[str, Path]:
    """Revision id -> the generated test module in ``folder`` that its header names (a module
    keeps belonging to its revision when the revision's message, and so its slug, changes)."""
    found: dict[str, Path] = {}
    for path in sorted(folder.glob("test_*.py")) if folder.is_dir() else []:
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                lines = list(itertools.takewhile(lambda line: line.startswith(HEADER_PREFIX), handle))
        except OSError:
            continue
        header, _ = read_header("".join(lines) + "\n")  # the header only: the body is not read
        if header is not None and header.revision and header.revision not in found:
            found[header.revision] = path
    return found


def file_status(path: Path, revision: RevisionInfo | None = None) -> FileStatus:
    """Whether a generated file is missing, current, stale (migration changed) or hand-edited
    (a body edited in the review app and accepted has a rewritten header: current)."""
    if not path.exists():
        return "missing"
    header, body = read_header(path.read_text(encoding="utf-8", errors="replace"))
    if header is None:
        return "not_generated"
    if body_hash(body) != header.body_sha256:
        return "hand_edited"
    if revision is not None and header.source_sha256 != revision.source_sha256:
        return "stale"
    return "current"


