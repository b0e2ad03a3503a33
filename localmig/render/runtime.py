"""The runtime a suite was written for, against the installed pytest-localmig (``scan`` and ``check`` say so)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pydantic import BaseModel, Field
from pytest_localmig import API_VERSION, SETTINGS_NAME, incompatibility
from pytest_localmig import __version__ as RUNTIME_VERSION

from .headers import CONFTEST, read_header
from .suite import VENDORED_RUNTIME


class RuntimeProblem(BaseModel):
    """A suite written for another runtime than the installed pytest-localmig (``scan`` and ``check`` say so)."""

    message: str
    blocking: bool = Field(False, description="The installed runtime cannot run the suite at all.")


def suite_settings_of(text: str) -> dict | None:
    """The ``LOCALMIG_SUITE`` dict of a conftest's source (read, never run), or None."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == SETTINGS_NAME for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
    return None


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text.split()[-1])[:3])


def runtime_problems(out: Path) -> list[RuntimeProblem]:
    """What is wrong between the suite in ``out`` and the installed pytest-localmig (nothing if no suite)."""
    conftest = out / CONFTEST
    if not conftest.exists():
        return []
    text = conftest.read_text(encoding="utf-8", errors="replace")
    values = suite_settings_of(text)
    if values is None:
        header, _ = read_header(text)
        if header is not None and "harness" in header.engines:
            return [RuntimeProblem(message=f"{CONFTEST} carries a copy of the harness of an older localmig instead of "
                                           "using pytest-localmig: run `localmig generate` to rewrite it")]
        return []
    problems = []
    vendored = out / VENDORED_RUNTIME
    problem = incompatibility(values)
    if problem:
        problems.append(RuntimeProblem(message=f"{CONFTEST}: {problem}", blocking=not vendored.exists()))
    elif values.get("api_version") != API_VERSION:
        problems.append(RuntimeProblem(
            message=f"the suite was generated for the pytest-localmig fixture API {values.get('api_version')}; "
                    f"this localmig writes API {API_VERSION} (pytest-localmig {RUNTIME_VERSION}): "
                    "run `localmig generate` to bring it up to date"))
    if vendored.exists():
        header, _ = read_header(vendored.read_text(encoding="utf-8", errors="replace"))
        copied = header.runtime if header is not None and header.runtime else None
        if copied is None:
            problems.append(RuntimeProblem(message=f"{VENDORED_RUNTIME} has no localmig header: run "
                                                   "`localmig generate --vendor` to write it again"))
        elif _version(copied) < _version(RUNTIME_VERSION):
            problems.append(RuntimeProblem(
                message=f"{VENDORED_RUNTIME} is a copy of {copied}, older than the installed pytest-localmig "
                        f"{RUNTIME_VERSION}: run `localmig generate --vendor` to update it"))
    return problems
