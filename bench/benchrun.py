"""Running and timing subprocesses for bench/capture.py: wall time, CPU time, peak RSS and peak scratch space.

CPU time is user + system of the process and every descendant it waited for (``os.wait4``'s
rusage), which other load on a shared machine disturbs much less than wall time. Peak RSS is the
largest resident set of that process tree (Linux's ``ru_maxrss`` of a reaped child covers its
reaped descendants). For a PostgreSQL server on this machine the server's own CPU time is added
(``server_cpu``): the postmaster's reaped backends plus its live processes, read from /proc.
Peak scratch space is the largest total size of the SQLite scratch files, in a folder of the run's
own (``LOCALMIG_SCRATCH_DIR``, in /dev/shm where there is one: memory, not counted in RSS), read
every 0.2 s.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
ENVIRONMENT: dict[str, str] = dict(os.environ)  # for every subprocess; set by use_bytecode_cache()


class BenchError(RuntimeError):
    pass


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds on the clock
    cpu: float  # user + system seconds of the process tree (plus a local PostgreSQL server's, if any)
    rss: float = 0.0  # peak resident set of the process tree, MiB
    scratch: float = 0.0  # peak size of its SQLite scratch files, MiB


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


def add(*samples: Sample) -> Sample:
    return Sample(sum(s.wall for s in samples), sum(s.cpu for s in samples), max(s.rss for s in samples),
                  max(s.scratch for s in samples))


class ScratchWatch:
    """The peak total size of the files below ``folder``, read every ``interval`` seconds while in use."""

    def __init__(self, folder: str, interval: float = 0.2) -> None:
        self.folder, self.interval, self.peak = folder, interval, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ScratchWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        while True:
            self.peak = max(self.peak, _size(self.folder))
            if self._done.wait(self.interval):
                return


def _size(folder: str) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:  # dropped meanwhile
                continue
    return total


def use_bytecode_cache(work: Path, enabled: bool) -> str:
    """Bytecode caching made explicit (PYTHONDONTWRITEBYTECODE=1 makes pytest re-rewrite every module)."""
    ENVIRONMENT.clear()
    ENVIRONMENT.update(os.environ)
    if not enabled:
        ENVIRONMENT["PYTHONDONTWRITEBYTECODE"] = "1"
        ENVIRONMENT.pop("PYTHONPYCACHEPREFIX", None)
        sys.dont_write_bytecode = True
        return "off (PYTHONDONTWRITEBYTECODE=1: every run recompiles revisions and re-rewrites test modules)"
    prefix = str(work / "pycache")
    ENVIRONMENT.pop("PYTHONDONTWRITEBYTECODE", None)
    ENVIRONMENT["PYTHONPYCACHEPREFIX"] = prefix
    sys.pycache_prefix = prefix
    sys.dont_write_bytecode = False
    return f"on, in {prefix} (warmed by untimed first runs)"


class ServerClock:
    """CPU seconds used by a PostgreSQL server on this machine (None when it is elsewhere or unreadable)."""

    def __init__(self, postmaster: int | None) -> None:
        self.postmaster = postmaster
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    @classmethod
    def for_url(cls, url: str | None) -> ServerClock:
        if not url:
            return cls(None)
        try:
            import sqlalchemy as sa

            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
            with engine.connect() as connection:
                data = connection.exec_driver_sql("SHOW data_directory").scalar()
            engine.dispose()
            pid = int(Path(str(data), "postmaster.pid").read_text().split()[0])
            Path(f"/proc/{pid}/stat").read_text()
            return cls(pid)
        except Exception:  # a remote or unreadable server: no server CPU, said in the report
            return cls(None)

    def _stat(self, pid: int) -> list[str]:
        text = Path(f"/proc/{pid}/stat").read_text()
        return text[text.rindex(")") + 2:].split()  # fields from 3 (state) on

    def seconds(self) -> float:
        if self.postmaster is None:
            return 0.0
        fields = self._stat(self.postmaster)
        total = sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        for child in Path(f"/proc/{self.postmaster}/task/{self.postmaster}/children").read_text().split():
            try:
                total += sum(int(v) for v in self._stat(int(child))[11:13])
            except (OSError, ValueError):
                continue
        return total / self.tick


SERVER = ServerClock(None)


def run(command: list[str], cwd: Path, *, check: bool = True, ok: tuple[int, ...] = (0,)) -> tuple[Sample, Done]:
    """Run a subprocess; its wall and CPU time, peak RSS and result; raise with its output if it failed."""
    memory = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.TemporaryDirectory(prefix="bench-scratch-", dir=memory) as scratch:
        server = SERVER.seconds()
        started = time.perf_counter()
        with ScratchWatch(scratch) as watch:
            process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, text=True,
                                       env={**ENVIRONMENT, "LOCALMIG_SCRATCH_DIR": scratch})
            _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime + SERVER.seconds() - server
        out.seek(0)
        err.seek(0)
        done = Done(process.returncode, out.read(), err.read())
    sample = Sample(wall, cpu, usage.ru_maxrss / 1024, watch.peak / 2**20)
    if check and done.returncode not in ok:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
        raise BenchError(f"{' '.join(command)} exited {done.returncode}:\n{tail}")
    return sample, done


def tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        raise BenchError(f"`{name}` not found next to {sys.executable} nor on PATH")
    return found


def median(samples: list[Sample], kind: str = "cpu") -> float | None:
    return statistics.median(getattr(s, kind) for s in samples) if samples else None


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")
