"""The baseline of the CI gate: acknowledged findings and one-way revisions, in a file reviewed like code.

Real histories carry old defects nobody will fix. The baseline lists them per revision and finding
kind, each with a reason; ``localmig check`` then fails only on findings that are not in it, and on
entries that no longer occur ("stale acknowledgement"), so the file stays true. It also declares
revisions one-way: no downgrade tests are written for them and the revisions below them, and their
downgrade findings are expected ("one-way (declared)"). A revision file can declare itself one-way
too (``irreversible = True``, or ``raise NotImplementedError("why")`` in ``downgrade()``; see
:func:`localmig.project.one_way_declaration`).

The file is ``.localmig.toml`` in the project root, or the ``[tool.localmig]`` table of the
project's ``pyproject.toml`` (never both)::

    [[acknowledged]]
    revision = "9a5502f6a8b0"
    kind = "downgrade_not_implemented"
    reason = "audit_log stays on purpose"

    [[one_way]]
    revision = "c0de02e3f5a7"
    reason = "names cannot be split back"

It is read with tomllib and written by :func:`write_baseline`: entries in history order, a new file
as ``.localmig.toml``; in a pyproject.toml only the ``[tool.localmig]`` tables are rewritten, and the
rest of the file is checked to mean what it meant before.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from .capture import ONE_WAY_KINDS, Finding, FindingKind
from .errors import ConfigError
from .outcomes import TestOutcome
from .project import RevisionInfo
from .write import atomic_write

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

BASELINE_FILE = ".localmig.toml"
PYPROJECT = "pyproject.toml"
TABLE = "tool.localmig"
FILE_HEADER = """\
# Known defects of this migration history that `localmig check` accepts, and revisions declared
# one-way. Review changes like code. `localmig check --update-baseline` rewrites this file: entries
# that still occur keep their reasons, new findings are added, stale entries are removed.
"""
HINT = ("each [[acknowledged]] entry has `kind`, `reason` and (unless the finding is about the whole history) "
        "`revision`; each [[one_way]] entry has `revision` and `reason` (README: CI gates)")


def _given(reason: str) -> str:
    if not reason.strip():
        raise ValueError("give a reason (it is empty)")
    return reason


Reason = Annotated[str, AfterValidator(_given)]


class Acknowledgement(BaseModel):
    """A finding that is known and accepted: ``check`` does not fail on it while it occurs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    revision: str | None = Field(None, description="The revision the finding is about; left out for a finding "
                                                   "about the whole history (multiple_heads).")
    kind: FindingKind
    reason: Reason = Field(description="Why it is accepted; shown beside the finding and in the xfail marker "
                                       "of the tests it makes fail.")


class OneWayDeclaration(BaseModel):
    """A revision that is not meant to be downgraded: no downgrade tests for it and the revisions below it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    revision: str
    reason: Reason


class Baseline(BaseModel):
    """The contents of the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    acknowledged: list[Acknowledgement] = Field(default_factory=list)
    one_way: list[OneWayDeclaration] = Field(default_factory=list)

    @model_validator(mode="after")
    def _each_entry_once(self) -> Baseline:
        seen: set[tuple[str | None, str]] = set()
        for entry in self.acknowledged:
            if (entry.revision, entry.kind) in seen:
                raise ValueError(f"{entry.kind} of {entry.revision or 'the history'} is acknowledged twice")
            seen.add((entry.revision, entry.kind))
        revisions = [entry.revision for entry in self.one_way]
        twice = sorted({r for r in revisions if revisions.count(r) > 1})
        if twice:
            raise ValueError(f"revision {twice[0]} is declared one-way twice")
        return self

    def acknowledgement(self, revision: str | None, kind: str) -> Acknowledgement | None:
        return next((a for a in self.acknowledged if a.revision == revision and a.kind == kind), None)


class BaselineFile(BaseModel):
    """A baseline and where it is kept."""

    model_config = ConfigDict(frozen=True)

    path: Path = Field(description=".localmig.toml, or the pyproject.toml holding [tool.localmig].")
    exists: bool = Field(False, description="Whether the file holds a baseline yet (a new one is .localmig.toml).")
    baseline: Baseline = Field(default_factory=Baseline)

    @property
    def in_pyproject(self) -> bool:
        return self.path.name == PYPROJECT

    @property
    def name(self) -> str:
        """The file as a message names it."""
        return f"[{TABLE}] in {PYPROJECT}" if self.in_pyproject else BASELINE_FILE


# --------------------------------------------------------------------------- reading


def read_baseline(root: Path) -> BaselineFile:
    """The project's baseline (an empty one, to be written as .localmig.toml, when there is none)."""
    own, pyproject = root / BASELINE_FILE, root / PYPROJECT
    table = _load(pyproject).get("tool", {}).get("localmig") if pyproject.is_file() else None
    if own.is_file():
        if table is not None:
            raise ConfigError(f"{own}: acknowledgements are kept in two places, here and in [{TABLE}] of {pyproject}",
                              hint="keep one of them")
        return BaselineFile(path=own, exists=True, baseline=_validated(_load(own), own, ""))
    if table is not None:
        return BaselineFile(path=pyproject, exists=True, baseline=_validated(table, pyproject, f"{TABLE}."))
    return BaselineFile(path=own)


def _load(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read it: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}", hint=HINT) from None


def _validated(data: object, path: Path, prefix: str) -> Baseline:
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [{TABLE}] must be a table", hint=HINT)
    try:
        return Baseline.model_validate(data)
    except ValidationError as error:
        problems = [f"{prefix}{_location(e['loc'])}: {e['msg']}".lstrip(". :") for e in error.errors()[:3]]
        raise ConfigError(f"{path}: {'; '.join(problems)}", hint=HINT) from None


def _location(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


# --------------------------------------------------------------------------- what it means for findings


def one_way_revisions(revisions: list[RevisionInfo], file: BaselineFile,
                      labels: dict[str, str] | None = None) -> dict[str, str]:
    """Revision -> why downgrades cannot be tested there: declared one-way (in the baseline or in
    its own file), or below a one-way revision (one of its ancestors, through down_revision and
    depends_on: downgrading it means going through the one-way revision first)."""
    by_id = {r.id: r for r in revisions}
    labels = labels or {}
    declared = {r.id: f"{r.id} is declared one-way in its file: {r.one_way}" for r in revisions if r.one_way}
    for entry in file.baseline.one_way:
        if entry.revision in by_id:
            declared[entry.revision] = f"{entry.revision} is declared one-way in {file.name}: {entry.reason}"
    covered = dict(declared)
    origin = {revision: revision for revision in declared}
    for revision in reversed(revisions):  # children before their parents
        if revision.id not in covered:
            continue
        for parent in revision.down_revisions + revision.depends_on:
            parent = labels.get(parent, parent)
            if parent in by_id and parent not in covered:
                origin[parent] = origin[revision.id]
                covered[parent] = f"{parent} is below one-way revision {origin[revision.id]}"
    return {r.id: covered[r.id] for r in revisions if r.id in covered}


def judged(findings: Iterable[Finding], baseline: Baseline, one_way: dict[str, str]) -> list[Finding]:
    """The findings with how each is accepted, if it is (new values; the capture's stay as they are)."""
    result = []
    for finding in findings:
        acknowledged = baseline.acknowledgement(finding.revision, finding.kind)
        update: dict[str, str | None]
        if finding.revision in one_way and finding.kind in ONE_WAY_KINDS:
            update = {"accepted": "one_way", "reason": one_way[finding.revision]}
        elif acknowledged is not None:
            update = {"accepted": "acknowledged", "reason": acknowledged.reason}
        else:
            update = {"accepted": None, "reason": None}
        result.append(finding.model_copy(update=update))
    return result


def explaining(outcome: TestOutcome, findings: Iterable[Finding]) -> Finding | None:
    """The finding that explains a test's failure (a migration defect), as verification chose it."""
    if outcome.verdict != "migration_defect":
        return None
    return next((f for f in findings if f.revision == outcome.revision and f.message == outcome.finding), None)


def accepted_as(finding: Finding) -> str:
    """How an accepted finding is named: ``acknowledged`` or ``one-way (declared)``."""
    return "one-way (declared)" if finding.accepted == "one_way" else "acknowledged"


def expected_failures(outcomes: Iterable[TestOutcome], findings: list[Finding]) -> dict[str, str]:
    """Test name -> the reason of its ``xfail(strict=True)`` marker: the tests that fail because of
    an accepted finding (fixing the migration then turns them into a visible XPASS)."""
    reasons = {}
    for outcome in outcomes:
        finding = explaining(outcome, findings)
        if finding is not None and finding.accepted is not None:
            reasons[outcome.name] = _short(f"localmig: {accepted_as(finding)} {finding.kind}: {finding.reason}", 240)
    return reasons


def stale_entries(file: BaselineFile, findings: Iterable[Finding], revisions: list[RevisionInfo],
                  scope: set[str] | None = None) -> list[tuple[str | None, str]]:
    """(revision, message) for every entry that no longer holds: an acknowledged finding that does
    not occur any more, or an entry naming a revision that is not in the history. With ``scope``,
    acknowledgements of revisions outside it are not looked at."""
    known = {r.id for r in revisions}
    seen = {(f.revision, f.kind) for f in findings}
    stale: list[tuple[str | None, str]] = []
    for entry in file.baseline.acknowledged:
        what = f"{entry.kind} of {entry.revision or 'the history'}"
        if entry.revision is not None and entry.revision not in known:
            stale.append((entry.revision, f"stale acknowledgement: {what}: the revision is not in the history"))
        elif scope is not None and entry.revision is not None and entry.revision not in scope:
            continue
        elif (entry.revision, entry.kind) not in seen:
            stale.append((entry.revision, f"stale acknowledgement: {what} no longer occurs (remove it from "
                                          f"{file.name}, or run `localmig check --update-baseline`)"))
    for declaration in file.baseline.one_way:
        if declaration.revision not in known:
            stale.append((declaration.revision, f"stale acknowledgement: one-way revision {declaration.revision} "
                                                "is not in the history"))
    return stale


def updated(baseline: Baseline, findings: Iterable[Finding], revisions: list[RevisionInfo],
            scope: set[str] | None = None) -> Baseline:
    """The baseline that acknowledges today's findings: entries that still occur keep their reason,
    new findings get one saying so, stale entries go; one-way declarations stay. With ``scope``,
    acknowledgements of revisions outside it are kept as they are."""
    known = {r.id for r in revisions}
    kept = [a for a in baseline.acknowledged
            if scope is not None and a.revision is not None and a.revision in known and a.revision not in scope]
    current = {}
    for finding in findings:
        if finding.accepted == "one_way" or (scope is not None and finding.revision is not None
                                             and finding.revision not in scope):
            continue
        current[(finding.revision, finding.kind)] = baseline.acknowledgement(finding.revision, finding.kind) or \
            Acknowledgement(revision=finding.revision, kind=finding.kind,
                            reason=_short("known when the baseline was written: "
                                          + "; ".join([finding.message, *finding.details[:2]]), 200))
    return Baseline(acknowledged=_ordered(kept + list(current.values()), revisions), one_way=baseline.one_way)


def _ordered(entries: list[Acknowledgement], revisions: list[RevisionInfo]) -> list[Acknowledgement]:
    rank = {r.id: i for i, r in enumerate(revisions)}
    return sorted(entries, key=lambda a: (-1 if a.revision is None else rank.get(a.revision, len(rank)),
                                          a.revision or "", a.kind))


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------- writing


def acknowledge(root: Path, finding: Finding, reason: str, revisions: Iterable[RevisionInfo] = ()) -> BaselineFile:
    """Add (or replace) the acknowledgement of ``finding`` with ``reason`` and write the file
    (for the review app; ``revisions`` keeps the entries in history order)."""
    file = read_baseline(root)
    entry = Acknowledgement(revision=finding.revision, kind=finding.kind, reason=reason)
    others = [a for a in file.baseline.acknowledged if (a.revision, a.kind) != (entry.revision, entry.kind)]
    return write_baseline(file, Baseline(acknowledged=_ordered(others + [entry], list(revisions)),
                                         one_way=file.baseline.one_way))


def write_baseline(file: BaselineFile, baseline: Baseline) -> BaselineFile:
    """Write ``baseline`` where ``file`` is kept, atomically; the file as it now is."""
    if file.in_pyproject:
        text = _spliced(file.path, baseline)
    else:
        text = FILE_HEADER + ("\n" + to_toml(baseline) if baseline.acknowledged or baseline.one_way else "")
    written = tomllib.loads(text)
    table = written["tool"]["localmig"] if file.in_pyproject else written
    assert Baseline.model_validate(table) == baseline, "the TOML writer lost something"
    atomic_write(file.path, text)
    return BaselineFile(path=file.path, exists=True, baseline=baseline)


def to_toml(baseline: Baseline, prefix: str = "") -> str:
    """The entries as TOML arrays of tables (``prefix``: ``tool.localmig.`` inside a pyproject.toml)."""
    blocks = []
    for entry in baseline.acknowledged:
        lines = [f"[[{prefix}acknowledged]]"]
        if entry.revision is not None:
            lines.append(f"revision = {_string(entry.revision)}")
        lines += [f"kind = {_string(entry.kind)}", f"reason = {_string(entry.reason)}"]
        blocks.append("\n".join(lines))
    for declaration in baseline.one_way:
        blocks.append(f"[[{prefix}one_way]]\nrevision = {_string(declaration.revision)}\n"
                      f"reason = {_string(declaration.reason)}")
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, and DEL must be escaped too."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


_TABLE_HEADER = re.compile(r"^\s*\[\[?(?P<name>[^\[\]]+)\]\]?\s*(#.*)?$")


def _spliced(path: Path, baseline: Baseline) -> str:
    """pyproject.toml with its [tool.localmig] tables replaced by ``baseline`` (put where the first
    one was, else at the end); comments just above the next table stay with it."""
    text = path.read_text(encoding="utf-8")
    entries = to_toml(baseline, f"{TABLE}.")
    section = [f"[{TABLE}]\n"] + (["\n", entries] if entries else [])
    lines: list[str] = []
    inside, placed = False, False
    held: list[str] = []
    for line in text.splitlines(keepends=True):
        match = _TABLE_HEADER.match(line)
        if match:
            name = re.sub(r"[\s\"']", "", match["name"])
            ours = name == TABLE or name.startswith(f"{TABLE}.")
            if inside and not ours:  # the comment lines right above this table belong to it
                tail = len(held)
                while tail and held[tail - 1].strip().startswith("#"):
                    tail -= 1
                lines += ["\n", *held[tail:]]
            inside, held = ours, []
            if ours and not placed:
                lines += section
                placed = True
        if inside:
            held.append(line)
        else:
            lines.append(line)
    result = "".join(lines)
    if not placed:
        result = result.rstrip("\n") + "\n\n" + "".join(section)
    result = result.rstrip("\n") + "\n"
    try:
        same = _without_ours(tomllib.loads(text)) == _without_ours(tomllib.loads(result))
    except tomllib.TOMLDecodeError:
        same = False  # [tool.localmig] is also defined some other way (dotted keys under [tool], ...)
    if not same:
        raise ConfigError(f"{path}: cannot rewrite [{TABLE}] without touching the rest of the file",
                          hint=f"move the [{TABLE}] tables to {BASELINE_FILE}")
    return result


def _without_ours(data: dict) -> dict:
    tool = {k: v for k, v in data.get("tool", {}).items() if k != "localmig"}
    rest = {k: v for k, v in data.items() if k != "tool"}
    return {**rest, "tool": tool} if tool else rest
