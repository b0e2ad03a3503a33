"""Accepting a module: the text as it is written, and the write.

Both are functions of the project's facts and the item, without the Session: the session's
thread may be busy for minutes while a model answers, and an accept must not wait for it.

A module edited in the review keeps a valid header: the generator's header is kept (or put back
when the edit damaged it), marked ``edited_in_review``, and its body hash covers the edited body,
so ``localmig check`` and the list see a current file, not a hand-edited one.
"""

from __future__ import annotations

import ast
import os

from ..items import ReviewItem, WriteResult
from ..render import HEADER_PREFIX, file_status, read_header, with_header
from ..syntax import parse
from ..write import write_file
from .facts import ProjectFacts
from .messages import NeedsConfirm, Written

ASK_FIRST = ("hand_edited", "not_generated")


def accepted_text(item: ReviewItem, text: str) -> str:
    """The file to write for ``text``, the module under review as the reviewer left it."""
    if text == item.module:
        return text
    header, body = read_header(text)
    if header is None:  # the header lines were removed or changed: the generator's header goes back
        header, _ = read_header(item.module)
        body = _without_header_lines(text)
    if header is None:
        return text
    names = _test_names(body)
    aspects = header.aspects if names is None else {n: a for n, a in header.aspects.items() if n in names}
    return with_header(header.model_copy(update={"edited_in_review": True, "aspects": aspects}), body)


def _without_header_lines(text: str) -> str:
    lines = text.split("\n")
    count = 0
    while count < len(lines) - 1 and lines[count].strip().startswith(HEADER_PREFIX.strip()):
        count += 1
    return "\n".join(lines[count:])


def _test_names(body: str) -> set[str] | None:
    try:
        tree = parse(body)
    except SyntaxError:
        return None
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def write_accepted(facts: ProjectFacts, item: ReviewItem, text: str, force: bool = False) -> NeedsConfirm | Written:
    """Write the accepted module and the shared files, atomically; over a file edited by hand
    (or not written by localmig), ask first unless ``force``. A hand-edited shared file stays."""
    revision = item.revision.id
    target = facts.target(item.revision)
    module = accepted_text(item, text)
    try:
        if file_status(target, item.revision) in ASK_FIRST and not force:
            existing = target.read_text(encoding="utf-8", errors="replace")
            if existing != module:
                return NeedsConfirm(revision, os.path.relpath(target, facts.root), existing, text)
        results = [write_file(facts.out / relative, shared) for relative, shared in facts.shared_files.items()]
        if item.plan.tests and module:
            results.append(write_file(target, module, force=force))
        status = file_status(target, item.revision)
    except Exception as error:  # an OSError (read-only folder, full disk), or a bug: shown, never a crash
        return Written(revision, None, error, text=text)
    return Written(revision, [_shown(r, facts) for r in results], status=status, text=text)


def _shown(result: WriteResult, facts: ProjectFacts) -> WriteResult:
    """The path relative to the project (write_file gives it relative to the current folder)."""
    path = os.path.relpath(os.path.abspath(result.path), facts.root)
    return result.model_copy(update={"path": path})
