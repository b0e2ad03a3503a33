"""Benchmark: localmig's capture, generate and generated suite against the bare Alembic CLI.

Run it by hand (no pytest):

    python bench/capture.py --sizes 50 200 1000         # SQLite, each measurement 3 times (median)
    python bench/capture.py --sizes 200 --db-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    python bench/capture.py --sizes 200 --repeat 1 --profile   # plus cProfile of scan, generate, suite

For each N it writes a synthetic Alembic project of N revisions (bench/synthetic.py: tables,
columns, indexes, batch alters, data steps, a branch and merge every 50 revisions; every
downgrade correct) and measures, in the same run, ``--repeat`` times:

* base: ``alembic upgrade head`` + ``alembic downgrade base`` (two subprocesses) on a fresh
  database: SQLite on disk and on /dev/shm (memory: where localmig keeps its scratch databases,
  the like-for-like baseline the targets use), or a fresh database on the ``--db-url`` server;
* capture: ``localmig scan PROJECT --json``;
* generate: ``localmig generate PROJECT --out SUITE`` (capture, data probes, a verification run);
* suite: ``python -m pytest SUITE -n 0`` and ``-n W`` (pytest-xdist, ``--workers``, default 2).

Times are CPU seconds (user + system of the process tree, plus a PostgreSQL server's when it
runs on this machine), which other load disturbs much less than wall time; the xdist speedup is
wall time (that is what workers buy). Peak RSS is of the process tree; "scratch" is the peak size of
its SQLite scratch files (in /dev/shm: memory RSS does not show). The per-revision rows and
the growth factor (per-revision time at N over per-revision time at the smallest N) show whether
a cost grows with the square of the history. PASS/MISS per target of issue 13 is printed last.
Exit status: 0 every target met and the suite clean, 1 a target missed or a test failed, 2 the
bench could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import benchrun
from benchrun import BenchError, Sample, add, load_average, median, run, tool
from synthetic import write_project

CAPTURE_TARGET, SUITE_TARGET, FLAT_TARGET, XDIST_TARGET = 1.5, 3.0, 1.2, 1.6
MEMORY = "/dev/shm"
_SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")


@dataclass
class Result:
    size: int
    revisions: int = 0
    base: list[Sample] = field(default_factory=list)  # the like-for-like baseline (memory, or the server)
    base_disk: list[Sample] = field(default_factory=list)
    capture: list[Sample] = field(default_factory=list)
    generate: list[Sample] = field(default_factory=list)
    suite: list[Sample] = field(default_factory=list)  # -n 0
    suite_xdist: list[Sample] = field(default_factory=list)  # -n W
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def tests(self) -> int:
        return sum(self.counts.values())


class Database:
    """Where the project runs: SQLite files, or fresh databases on a PostgreSQL server."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.serial = 0

    def project_url(self, project: Path) -> str:
        return self.database_url(f"migbench_{os.getpid()}_base") if self.url else "sqlite:///%(here)s/app.db"

    def database_url(self, name: str) -> str:
        import sqlalchemy as sa

        return sa.make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def _admin(self, statement: str) -> None:
        import sqlalchemy as sa

        engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
        engine.dispose()

    def fresh_base(self, project: Path, ini: str) -> None:
        if self.url:
            name = f"migbench_{os.getpid()}_base"
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{name}"')
        else:
            for suffix in ("", "-journal", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(ini_database(project, ini) + suffix)

    def drop_base(self) -> None:
        if self.url:
            self._admin(f'DROP DATABASE IF EXISTS "migbench_{os.getpid()}_base" WITH (FORCE)')

    def localmig_args(self) -> list[str]:
        return ["--db-url", self.url] if self.url else []

    def pytest_args(self) -> list[str]:
        return ["--migration-db-url", self.url] if self.url else []


def ini_database(project: Path, ini: str) -> str:
    return str(Path(MEMORY) / f"migbench-{os.getpid()}.db") if ini == "alembic_memory.ini" else str(project / "app.db")


def baseline(project: Path, ini: str, database: Database) -> Sample:
    database.fresh_base(project, ini)
    alembic = tool("alembic")
    up, _ = run([alembic, "-c", ini, "upgrade", "head"], project)
    down, _ = run([alembic, "-c", ini, "downgrade", "base"], project)
    return add(up, down)


def capture(project: Path, database: Database, result: Result, first: bool) -> Sample:
    sample, done = run([tool("localmig"), "scan", str(project), "--json", *database.localmig_args()], project.parent)
    if first:
        try:
            document = json.loads(done.stdout)
        except ValueError as error:
            raise BenchError(f"localmig scan --json printed no JSON ({error}): {done.stdout[:300]!r}") from None
        findings = document.get("findings", [])
        if findings:
            result.problems.append(f"scan: {len(findings)} findings on a correct history, e.g. {findings[0]}")
    return sample


def suite_run(project: Path, suite: Path, workers: int, database: Database) -> tuple[Sample, dict[str, int], list[str]]:
    command = [sys.executable, "-m", "pytest", str(suite), "-q", "-p", "no:cacheprovider", "-n", str(workers),
               *database.pytest_args()]
    sample, done = run(command, project, check=False)
    lines = done.stdout.strip().splitlines()
    counts: dict[str, int] = {}
    for number, word in _SUMMARY.findall(lines[-1] if lines else ""):
        key = "errors" if word == "error" else word
        counts[key] = counts.get(key, 0) + int(number)
    if done.returncode not in (0, 1) or not counts:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
        raise BenchError(f"pytest could not run the generated suite (exit {done.returncode}):\n{tail}")
    return sample, counts, [line for line in lines if line.startswith(("FAILED ", "ERROR "))]


def measure(size: int, args: argparse.Namespace, work: Path, database: Database, say) -> Result:
    project, suite = work / f"project_{size}", work / f"suite_{size}"
    result = Result(size, revisions=len(write_project(project, size, database.project_url(project))))
    memory = not database.url and os.path.isdir(MEMORY)
    if memory:
        text = (project / "alembic.ini").read_text().replace("sqlite:///%(here)s/app.db", f"sqlite:///{MEMORY}/migbench-{os.getpid()}.db")
        (project / "alembic_memory.ini").write_text(text)
    like = "alembic_memory.ini" if memory else "alembic.ini"
    say(f"N={size}: warm-up (untimed): alembic, localmig scan")
    baseline(project, like, database)
    capture(project, database, result, first=True)
    for attempt in range(1, args.repeat + 1):
        say(f"N={size}: run {attempt}/{args.repeat}: baseline, localmig scan")
        result.base.append(baseline(project, like, database))
        if memory:
            result.base_disk.append(baseline(project, "alembic.ini", database))
        result.capture.append(capture(project, database, result, first=False))
    database.drop_base()
    with contextlib.suppress(FileNotFoundError):
        os.remove(ini_database(project, "alembic_memory.ini"))
    for attempt in range(1, args.generate_repeat + 1):
        say(f"N={size}: localmig generate ({attempt}/{args.generate_repeat})")
        shutil.rmtree(suite, ignore_errors=True)
        sample, done = run([tool("localmig"), "generate", str(project), "--out", str(suite), "-q",
                            *database.localmig_args()], project, ok=(0, 1))
        result.generate.append(sample)
        if done.returncode:
            result.problems.append(f"localmig generate exited {done.returncode} (it left out tests it found failing)")
    say(f"N={size}: the suite, untimed warm-up (assertion-rewrite cache)")
    _, result.counts, result.failures = suite_run(project, suite, 0, database)
    for attempt in range(1, args.repeat + 1):
        for workers, samples in ((0, result.suite), (args.workers, result.suite_xdist)):
            say(f"N={size}: run {attempt}/{args.repeat}: pytest -n {workers}")
            sample, counts, _ = suite_run(project, suite, workers, database)
            samples.append(sample)
            if counts != result.counts:
                result.problems.append(f"pytest -n {workers} counted {counts}, the first run {result.counts}")
    return result


def render_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def fmt(value: float | None, unit: str = "s", scale: float = 1.0) -> str:
    return "n/a" if value is None else f"{value * scale:.2f}{unit}"


def report(results: list[Result], args: argparse.Namespace, database: Database) -> list[tuple[str, float, float, bool]]:
    where = f"PostgreSQL {database.url.rsplit('@', 1)[-1]}" if database.url else "SQLite"
    clock = "client + server" if benchrun.SERVER.postmaster else ("client only: server not on this machine" if database.url else "")
    print(f"\n{where}; CPU seconds {clock}; median of {args.repeat} (generate: {args.generate_repeat}); "
          f"load average now {load_average():.1f} on {os.cpu_count()} CPUs")
    rows = []
    for r in results:
        base, cap, gen = median(r.base), median(r.capture), median(r.generate)
        s0 = median(r.suite)
        w0, w2 = median(r.suite, "wall"), median(r.suite_xdist, "wall")
        rows.append([str(r.size), str(r.tests), fmt(median(r.base_disk)), fmt(base), fmt(cap), f"{cap / base:.2f}",
                     fmt(gen), fmt(s0), f"{s0 / base:.2f}", fmt(w0), fmt(w2), f"{w0 / w2:.2f}",
                     fmt(base / r.size, "ms", 1000), fmt(cap / r.size, "ms", 1000), fmt(gen / r.size, "ms", 1000),
                     fmt(s0 / r.size, "ms", 1000),
                     f"{max(s.rss for s in r.capture):.0f}M", f"{max(s.rss for s in r.suite):.0f}M",
                     f"{max(s.scratch for s in r.generate):.0f}M", f"{max(s.scratch for s in r.suite):.0f}M"])
    print(render_table(["N", "tests", "base disk", "base", "capture", "cap/base", "generate", "suite -n0",
                        "suite/base", "wall -n0", f"wall -n{args.workers}", "speedup", "base/rev", "capture/rev",
                        "generate/rev", "suite/rev", "RSS capture", "RSS suite", "scratch gen",
                        "scratch suite"], rows))
    targets: list[tuple[str, float, float, bool]] = []
    references: list[tuple[str, float]] = []
    smallest = results[0]
    for r in results:
        base = median(r.base)
        if r.size >= 200:
            targets.append((f"N={r.size} capture/base <= {CAPTURE_TARGET}", median(r.capture) / base, CAPTURE_TARGET, True))
            targets.append((f"N={r.size} suite/base <= {SUITE_TARGET}", median(r.suite) / base, SUITE_TARGET, True))
        if r is not smallest:
            for name, samples, first in (("capture", r.capture, smallest.capture), ("generate", r.generate, smallest.generate),
                                         ("suite", r.suite, smallest.suite)):
                growth = (median(samples) / r.size) / (median(first) / smallest.size)
                targets.append((f"N={r.size} {name} per revision / N={smallest.size} <= {FLAT_TARGET}", growth, FLAT_TARGET, True))
            # for reading the rows above: bare Alembic's own time per revision grows too (on SQLite, each DDL
            # statement re-reads the whole schema), and no harness around it can be flatter than that
            base_growth = (median(r.base) / r.size) / (median(smallest.base) / smallest.size)
            references.append((f"N={r.size} base per revision / N={smallest.size} (bare Alembic)", base_growth))
        if r.size >= 1000:
            speedup = median(r.suite, "wall") / median(r.suite_xdist, "wall")
            targets.append((f"N={r.size} wall -n 0 / -n {args.workers} >= {XDIST_TARGET}", speedup, XDIST_TARGET, False))
    print("\nTargets (issue 13):")
    for name, value, limit, at_most in targets:
        met = value <= limit if at_most else value >= limit
        print(f"  {'PASS' if met else 'MISS'}  {value:6.2f}  {name}")
    for name, value in references:
        print(f"  for reference  {value:6.2f}  {name}")
    for r in results:
        counts = ", ".join(f"{v} {k}" for k, v in sorted(r.counts.items()))
        spread = "/".join(f"{s.cpu:.1f}" for s in r.suite)
        print(f"N={r.size} ({r.revisions} revisions): suite {counts}; suite CPU of each run {spread}")
        for problem in r.problems:
            print(f"  PROBLEM: {problem}")
        for line in r.failures[:20]:
            print(f"  FAILING (a localmig bug: every downgrade is correct): {line}")
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200], metavar="N", help="revision counts (default: 50 200)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported (default 3)")
    parser.add_argument("--generate-repeat", type=int, default=1, help="runs of localmig generate (default 1: it is slow)")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers for the -n row (default 2)")
    parser.add_argument("--db-url", metavar="URL", help="a PostgreSQL server (SQLAlchemy URL); fresh databases are made on it")
    parser.add_argument("--profile", action="store_true", help="cProfile scan, generate and the suite at the largest N")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (projects and suites)")
    parser.add_argument("--no-bytecode-cache", action="store_true", help="PYTHONDONTWRITEBYTECODE=1, as in many containers")
    args = parser.parse_args(argv)
    if min([args.repeat, args.generate_repeat, args.workers, *args.sizes]) < 1:
        parser.error("--repeat, --generate-repeat, --workers and --sizes must be positive")
    args.sizes = sorted(args.sizes)

    def say(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    work = Path(tempfile.mkdtemp(prefix="migbench-"))
    print(f"bytecode cache: {benchrun.use_bytecode_cache(work, not args.no_bytecode_cache)}")
    database = Database(args.db_url)
    benchrun.SERVER = benchrun.ServerClock.for_url(args.db_url)
    try:
        results = [measure(size, args, work, database, say) for size in args.sizes]
        targets = report(results, args, database)
        if args.profile:
            from profiling import profile

            profile(work / f"project_{args.sizes[-1]}", work / f"suite_{args.sizes[-1]}", database, work, say)
    except BenchError as error:
        print(f"bench failed: {error}", file=sys.stderr)
        return 2
    finally:
        with contextlib.suppress(Exception):
            database.drop_base()
        if args.keep:
            print(f"\nkept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    missed = [t for t in targets if not (t[1] <= t[2] if t[3] else t[1] >= t[2])]
    return 1 if missed or any(r.failures or r.problems for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
