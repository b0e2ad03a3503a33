"""The fault catalogue's tools: run localmig in-process (click's CliRunner) or as a process, and
check what every fault must leave as it was.

Every case asserts its exit code, the words of its message, that no traceback was printed, and
that the project (the suite folder inside it included) and any victim database have the same
checksums after the run as before. An audit hook refuses, and records, any connection to an
address off the loopback range while a case runs, so "nothing leaves the machine" is checked
without sending anything anywhere.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from localmig.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "examples"
LINEAR = ["11ea01b3c5d7", "11ea02e8f1a4", "11ea03c6d2b9"]
SECOND = "migrations/versions/11ea02e8f1a4_add_authors_email.py"  # linear's middle revision

# --------------------------------------------------------------------------- off-machine connections

_remote_attempts: list[str] = []
_watching = [False]


def _audit(event: str, args: tuple) -> None:
    if not _watching[0] or event != "socket.connect":
        return
    sock, address = args
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return
    try:
        loopback = ipaddress.ip_address(address[0]).is_loopback
    except ValueError:  # a host name: resolved by then for every client localmig uses
        loopback = address[0] == "localhost"
    if not loopback:
        _remote_attempts.append(f"{address[0]}:{address[1]}")
        raise PermissionError(f"the fault catalogue refuses a connection to {address[0]}:{address[1]}")


sys.addaudithook(_audit)


@pytest.fixture(autouse=True)
def no_remote_connection() -> Iterator[None]:
    """No case may try to connect off the loopback range (the attempt is refused and fails the case)."""
    _remote_attempts.clear()
    _watching[0] = True
    try:
        yield
    finally:
        _watching[0] = False
    assert _remote_attempts == [], f"connections attempted off the machine: {_remote_attempts}"


# --------------------------------------------------------------------------- checksums


def digest(path: Path) -> str:
    """A checksum of a file, or of a folder tree (names, modes and contents; no __pycache__)."""
    if not path.exists():
        return "absent"
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    total = hashlib.sha256()
    for item in sorted(path.rglob("*")):
        if "__pycache__" in item.parts:
            continue
        total.update(str(item.relative_to(path)).encode() + b"\0")
        if item.is_symlink():
            total.update(b"->" + os.readlink(item).encode())
        elif item.is_file():
            total.update(oct(item.stat().st_mode).encode() + hashlib.sha256(item.read_bytes()).digest())
    return total.hexdigest()


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        """stdout and stderr with the line breaks of the terminal width undone."""
        return " ".join((self.stdout + "\n" + self.stderr).split())


def assert_fault(outcome: Outcome, code: int, *phrases: str) -> None:
    """The exit code, every phrase in the output, and no traceback."""
    assert outcome.exit_code == code, f"exit {outcome.exit_code}, not {code}:\n{outcome.stdout}\n{outcome.stderr}"
    for phrase in phrases:
        assert phrase in outcome.text, f"{phrase!r} not in:\n{outcome.text}"
    assert "Traceback" not in outcome.text
    assert "internal error" not in outcome.text


# --------------------------------------------------------------------------- running localmig


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Outcome:
    """``localmig ARGS`` in this process, through click's CliRunner (the CLI's own error handling)."""
    result = CliRunner(env={"COLUMNS": "200", **(env or {})}).invoke(cli, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # escaped the CLI's error handling: a bug this catalogue must show
    return Outcome(result.exit_code, result.stdout, result.stderr)


def run(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 300) -> Outcome:
    """``python -m localmig ARGS`` as a process (for exits at import and signals)."""
    completed = subprocess.run(
        [sys.executable, "-m", "localmig", *map(str, args)], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )
    return Outcome(completed.returncode, completed.stdout, completed.stderr)


@dataclass
class Guarded:
    """Paths whose checksums a case asserts unchanged."""

    paths: list[Path]
    before: list[str]

    def unchanged(self) -> None:
        after = [digest(p) for p in self.paths]
        changed = [str(p) for p, a, b in zip(self.paths, self.before, after) if a != b]
        assert not changed, f"changed by the fault: {changed}"


@pytest.fixture
def guard() -> Callable[..., Guarded]:
    def start(*paths: Path) -> Guarded:
        return Guarded(list(paths), [digest(p) for p in paths])

    return start


@pytest.fixture
def linear(tmp_path) -> Path:
    """A copy of the linear scenario (3 revisions, SQLite) to break."""
    target = tmp_path / "linear"
    shutil.copytree(SCENARIOS / "linear", target, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    return target


def insert_into(path: Path, anchor: str, text: str) -> None:
    """Put ``text`` right after the first ``anchor`` in ``path``."""
    source = path.read_text()
    assert anchor in source, anchor
    path.write_text(source.replace(anchor, anchor + text, 1))


UPGRADE = 'def upgrade() -> None:\n    """Upgrade schema."""\n'
DOWNGRADE = 'def downgrade() -> None:\n    """Downgrade schema."""\n'


def immutable(path: Path) -> Iterator[Path]:
    """``path`` (a folder) made unwritable even for root (chattr +i), or its mode 0555 for others."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
            pytest.skip("root, and no chattr +i on this file system: no way to make a folder read-only")
        try:
            yield path
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o555)
        try:
            yield path
        finally:
            path.chmod(0o755)


@pytest.fixture(scope="session")
def password_pg(tmp_path_factory) -> Iterator[str]:
    """A PostgreSQL server of its own that checks passwords (scram-sha-256): the shared test server
    trusts every local login, so a wrong password could not fail there. Yields its URL with the
    right password."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not bins:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    bin_dir = bins[-1].parent
    import tempfile

    from tests.ollama_servers import free_port

    folder = Path(tempfile.mkdtemp(prefix="localmig-faults-pg-"))  # not under /tmp/pytest-of-root: postgres must enter it
    os.chmod(folder, 0o755)
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        subprocess.run(["id", "postgres"], check=True, capture_output=True)
        shutil.chown(folder, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    (folder / "password").write_text("right-password\n")
    os.chmod(folder / "password", 0o644)
    port = free_port()
    subprocess.run([*as_postgres, str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U", "postgres",
                    "--auth=scram-sha-256", f"--pwfile={folder / 'password'}", "-E", "UTF8", "--no-sync"],
                   check=True, capture_output=True)
    subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "log"), "-w",
                    "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres:right-password@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
