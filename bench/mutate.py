"""Benchmark: how many deliberate mistakes localmig's generated tests catch, beside pytest-alembic's.

Run it by hand (no pytest):

    python bench/mutate.py                          # the demo (every mutant) and a synthetic history
    python bench/mutate.py --size 50 --sample 80 --jobs 2
    python bench/mutate.py --only demo

For each project (``examples/demo``, and the synthetic SQLite history of ``bench/capture.py`` with
``--size`` revisions, every downgrade correct) it copies the project to a temporary folder,
generates its suite (``localmig generate --no-model``), adds pytest-alembic's built-in tests
(``test_single_head_revision``, ``test_upgrade``, ``test_up_down_consistency`` and the
experimental ``test_downgrade_leaves_no_trace``) in ``tests/pytest_alembic/``, and runs
``localmig mutate`` once with ``--tests tests/pytest_alembic``: every mutant is judged by both
test sources in the same run (a test counts only if it passed on the unchanged project).

It prints, side by side, the kill rate of the generated suite and of pytest-alembic's tests,
overall and per operator; which tests passed on the unchanged project; and the time per mutant
(wall and CPU, and how it splits between the equivalence check, the generated tests and
pytest-alembic's). ``--sample K`` judges a seeded random sample of K mutants of the synthetic
history (all of them by default for the demo). ``--json FILE`` writes the figures.

Exit status: 0 done; 2 the bench itself could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from capture import write_project  # noqa: E402  (bench/capture.py: the synthetic history)

from localmig.mutate.operators import OPERATORS  # noqa: E402
from localmig.mutate.report import MutationReport  # noqa: E402
from localmig.mutate.runner import MutateOptions, make_mutants, run_mutations  # noqa: E402
from localmig.options import SessionOptions  # noqa: E402
from localmig.pipeline import Session  # noqa: E402

try:
    import resource
except ImportError:  # Windows: no CPU times for subprocesses
    resource = None  # type: ignore[assignment]

PYTEST_ALEMBIC_TESTS = """\
from pytest_alembic.tests import test_single_head_revision, test_up_down_consistency, test_upgrade  # noqa: F401
from pytest_alembic.tests.experimental import test_downgrade_leaves_no_trace  # noqa: F401
"""
# pytest-alembic hands env.py its `alembic_engine` as config.attributes["connection"]; these env.py
# files (Alembic's cookbook, as localmig hands over a database) expect a Connection there.
PYTEST_ALEMBIC_CONFTEST = """\
import pytest
import sqlalchemy


@pytest.fixture
def alembic_engine():
    engine = sqlalchemy.create_engine("sqlite:///")
    with engine.connect() as connection:
        yield connection
    engine.dispose()
"""
GIVEN = "tests/pytest_alembic"


class BenchError(RuntimeError):
    pass


def children_cpu() -> float:
    if resource is None:
        return float("nan")
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def prepare(project: Path) -> None:
    """Generate the suite and add pytest-alembic's tests."""
    done = subprocess.run([sys.executable, "-m", "localmig", "generate", str(project), "--no-model", "-q"],
                          capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: a test exposes a finding (the demo's broken downgrade)
        raise BenchError(f"localmig generate exited {done.returncode}:\n{(done.stdout + done.stderr)[-2000:]}")
    given = project / GIVEN
    given.mkdir(parents=True)
    (given / "test_pytest_alembic.py").write_text(PYTEST_ALEMBIC_TESTS)
    (given / "conftest.py").write_text(PYTEST_ALEMBIC_CONFTEST)


def measure(name: str, project: Path, *, jobs: int, sample: int | None, seed: int) -> dict:
    prepare(project)
    cpu, started = children_cpu(), time.perf_counter()
    with Session.open(SessionOptions(path=project)) as session:
        chosen: list[str] = []
        if sample:
            every = [m.id for found in make_mutants(session, [], list(OPERATORS)).values() for m in found]
            chosen = sorted(random.Random(seed).sample(every, min(sample, len(every))))
        report = run_mutations(session, MutateOptions(tests=[project / GIVEN], jobs=jobs, mutants=chosen))
    return figures(name, report, time.perf_counter() - started, children_cpu() - cpu, len(session.revisions))


def _rate(rate) -> str:
    return f"{rate.rate:.1%}" if rate.rate is not None else "-"


def figures(name: str, report: MutationReport, wall: float, cpu: float, revisions: int) -> dict:
    run = [m for m in report.mutants if m.status != "error"]
    judged = [m for m in run if m.status != "equivalent"]

    def mean(step: str, among: list) -> float | None:
        values = [m.timings[step] for m in among if step in m.timings]
        return round(sum(values) / len(values), 3) if values else None

    not_passing = sorted(t.split("::")[-1] for t in report.baseline_not_passing if t.startswith(GIVEN))
    return {
        "project": name, "revisions": revisions, "mutants": len(report.mutants),
        "equivalent": report.totals.equivalent, "errors": report.totals.errors,
        "generated": report.by_source.get("generated"), "pytest_alembic": report.by_source.get("given"),
        "by_operator": {op: (report.by_operator[op], _source_rate(report, op, "generated"),
                             _source_rate(report, op, "given")) for op in report.by_operator},
        "baseline": report.baseline, "pytest_alembic_not_passing": not_passing,
        "wall": round(wall, 1), "cpu": round(cpu, 1),
        "wall_per_mutant": round(report.seconds / max(len(report.mutants), 1), 2),
        "cpu_per_mutant": round(cpu / max(len(report.mutants), 1), 2),
        "mean_equivalence": mean("equivalence", run), "mean_generated": mean("generated", judged),
        "mean_given": mean("given", judged), "survivors": [f"{m.id}: {m.description}" for m in report.survivors],
        "report": report,
    }


def _source_rate(report: MutationReport, operator: str, source: str) -> str:
    mutants = [m for m in report.mutants if m.operator == operator and m.status in ("killed", "survived")]
    if not mutants:
        return "-"
    killed = sum(1 for m in mutants if m.killed_by_source.get(source))
    return f"{killed / len(mutants):.0%} ({killed}/{len(mutants)})"


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def print_figures(results: list[dict]) -> None:
    rows = []
    for r in results:
        g, p = r["generated"], r["pytest_alembic"]
        counted = (g.killed + g.survived) if g else 0
        rows.append([f"{r['project']} ({r['revisions']} revisions)", str(r["mutants"]), str(r["equivalent"]),
                     f"{_rate(g)} ({g.killed}/{counted})" if g else "-",
                     f"{_rate(p)} ({p.killed}/{counted})" if p else "-",
                     f"{r['wall_per_mutant']:.2f} s / {r['cpu_per_mutant']:.2f} s"])
    print(table(["project", "mutants", "equivalent", "localmig (generated)", "pytest-alembic built-in",
                 "per mutant (wall / CPU)"], rows))
    for r in results:
        print(f"\n{r['project']}: per operator (kill rate of localmig's generated tests | of pytest-alembic's)")
        print(table(["operator", "counted", "localmig", "pytest-alembic"],
                    [[op, str(rate.killed + rate.survived), g, p] for op, (rate, g, p) in r["by_operator"].items()]))
        print(f"tests that passed on the unchanged project: {r['baseline']}; pytest-alembic's that did not (they "
              f"judge nothing): {', '.join(r['pytest_alembic_not_passing']) or 'none'}")
        print(f"time: {r['wall']} s wall, {r['cpu']} s CPU for {r['mutants']} mutants; mean per mutant: equivalence "
              f"check {r['mean_equivalence']} s, generated tests {r['mean_generated']} s, pytest-alembic "
              f"{r['mean_given']} s (wall, in a worker)")
        for survivor in r["survivors"][:15]:
            print(f"  survived {survivor}")
        if len(r["survivors"]) > 15:
            print(f"  … and {len(r['survivors']) - 15} more")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["demo", "synthetic"], help="Only one of the two projects.")
    parser.add_argument("--size", type=int, default=50, help="Revisions of the synthetic history (default 50).")
    parser.add_argument("--sample", type=int, default=80,
                        help="Mutants of the synthetic history to judge, a seeded random sample (0: all; default 80).")
    parser.add_argument("--seed", type=int, default=7, help="Seed of the sample.")
    parser.add_argument("--jobs", type=int, default=max(1, min(os.cpu_count() or 1, 4)), help="Mutants at once.")
    parser.add_argument("--json", type=Path, help="Write the figures here.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder.")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="localmig-bench-mutate-"))
    results = []
    try:
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; --jobs {args.jobs}", flush=True)
        if args.only in (None, "demo"):
            demo = work / "demo"
            shutil.copytree(ROOT / "examples" / "demo", demo, ignore=shutil.ignore_patterns("__pycache__", "*.db", "tests"))
            results.append(measure("demo", demo, jobs=args.jobs, sample=None, seed=args.seed))
        if args.only in (None, "synthetic"):
            synthetic = work / f"synthetic_{args.size}"
            write_project(synthetic, args.size)
            results.append(measure(f"synthetic N={args.size}", synthetic, jobs=args.jobs, sample=args.sample or None,
                                   seed=args.seed))
    except BenchError as error:
        print(f"bench error: {error}", file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    print()
    print_figures(results)
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps([{k: v for k, v in r.items() if k != "report"} for r in results], indent=2,
                                        default=lambda o: o.model_dump() if hasattr(o, "model_dump") else str(o)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
