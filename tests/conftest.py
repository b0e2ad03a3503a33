"""Shared fixtures: copies of the example projects, a real PostgreSQL server, the CLI."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # tests/plugin runs pytest-localmig as its users run it

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "examples"
DEMO = ROOT / "examples" / "demo"


@pytest.fixture
def project(tmp_path):
    """``project("linear")`` copies tests/examples/linear (or ``"demo"``) to a temporary folder."""

    def copy(name: str) -> Path:
        source = DEMO if name == "demo" else SCENARIOS / name
        target = tmp_path / name
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
        return target

    return copy


@pytest.fixture(scope="session")
def pg_url():
    """A PostgreSQL server URL: LOCALMIG_TEST_PG_URL, else one started here from Debian's package."""
    url = os.environ.get("LOCALMIG_TEST_PG_URL")
    if url:
        yield url
        return
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        if os.environ.get("LOCALMIG_REQUIRE_PG"):
            pytest.fail("PostgreSQL is required (LOCALMIG_REQUIRE_PG) but not installed")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql), set LOCALMIG_TEST_PG_URL")
    # Not under pytest's tmp_path: as root, initdb runs as the postgres user, who cannot enter
    # /tmp/pytest-of-root; a folder of our own in /tmp is reachable.
    # In memory where there is /dev/shm (dropping a database on a disk waits for writeback, see .ci/run).
    memory = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(prefix="localmig-test-pg-", dir=memory if os.access(memory, os.W_OK) else None))
    os.chmod(folder, 0o755)
    started = subprocess.run(["bash", str(ROOT / ".ci" / "start-postgres"), str(folder / "cluster")],
                             capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"could not start PostgreSQL:\n{started.stderr[-2000:]}")
    settings = dict(line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines())
    try:
        yield settings["LOCALMIG_TEST_PG_URL"]
    finally:
        subprocess.run(settings["LOCALMIG_TEST_PG_STOP"].strip("'"), shell=True, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python -m localmig ARGS`` in a subprocess (the way a user runs it)."""
    return subprocess.run(
        [sys.executable, "-m", "localmig", *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def interruptible() -> None:
    """``preexec_fn`` for a localmig process a test interrupts with SIGINT: Ctrl-C as at a terminal, even
    when this pytest was started in the background of a non-interactive shell, which ignores SIGINT
    for its children (a Python started with SIGINT ignored keeps it ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def generate_demo(target: Path, *options: str) -> Path:
    """A copy of the demo at ``target`` with the suite `localmig generate --no-model` writes."""
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("__pycache__", "*.db", "tests", ".localmig"))
    completed = run_cli("generate", str(target), "--no-model", "-q", *options)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return target


@pytest.fixture(scope="session")
def generated_demo(tmp_path_factory) -> Path:
    """The demo project with the suite `localmig generate` writes (SQLite); made once for all xdist workers
    (tests copy it, never change it)."""
    base = tmp_path_factory.getbasetemp()
    base = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    target = base / "generated-demo" / "demo"
    try:
        import fcntl
    except ImportError:  # not POSIX: each worker makes its own
        return generate_demo(tmp_path_factory.mktemp("generated") / "demo")
    with open(base / "generated-demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target.parent / "done").exists():
            shutil.rmtree(target.parent, ignore_errors=True)
            target.parent.mkdir()
            generate_demo(target)
            (target.parent / "done").touch()
    return target
