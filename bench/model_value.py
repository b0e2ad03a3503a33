"""Benchmark: what model scenarios add to the deterministic suite, measured on data mutants.

Run it by hand (no pytest):

    python bench/model_value.py                 # all projects, the real small model and the scripted one
    python bench/model_value.py --no-real       # without the real small model (minutes instead of tens)
    python bench/model_value.py --projects demo value_history --keep

For each project (the demo, the scenario projects of tests/examples with data steps, and the
synthetic history of bench/value_history.py whose data steps branch on values) it generates the
suite three ways, each verified as localmig always does:

* deterministic: ``--no-model``;
* + real small model: SmolLM2-135M behind the Ollama protocol (tests/ollama_servers.py), answering
  in its default output for small models (inputs only);
* + scripted capable model: the answers of bench/capable_answers.py (scenarios with expectations,
  written from the prompt alone), served through the same protocol.

The three sets of tests are put into one module per revision (the model tests renamed
``test_small_*`` / ``test_capable_*``), then every data mutant of bench/data_mutants.py runs that
revision's module once. A mutant is killed by a set when one of the set's tests that passed on
the unchanged project fails. Printed: kill rates side by side (all data mutants; those of SQL
conditions alone), for the real model the share of answers valid on the first try and after
repair, and model time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from capable_answers import answer_for  # noqa: E402
from data_mutants import Mutant, data_mutants  # noqa: E402
from value_history import build  # noqa: E402

from localmig.items import ReviewItem  # noqa: E402
from localmig.pipeline import ModelChoice, Session, SessionOptions  # noqa: E402
from localmig.plan import TestCase, TestPlan  # noqa: E402
from localmig.render import render_plan  # noqa: E402
from tests.ollama_servers import ModelBackedOllama, ScriptedOllama  # noqa: E402

PROJECTS = {"demo": ROOT / "examples" / "demo", "data_migration": ROOT / "tests" / "examples" / "data_migration",
            "notimplemented_downgrade": ROOT / "tests" / "examples" / "notimplemented_downgrade", "value_history": None}
GROUPS = ("deterministic", "small", "capable")
SMALL_TAG, CAPABLE_TAG = "smollm2:135m", "capable-coder:7b"
CONDITIONS = {"statement", "literal", "operator", "where", "python"}


@dataclass
class ModelStats:
    asked: int = 0
    valid_first: int = 0
    valid_after_repair: int = 0
    requests: int = 0
    seconds: float = 0.0
    answer_tokens: int = 0
    tests: int = 0
    to_review: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class ProjectResult:
    name: str
    mutants: list[tuple[Mutant, set[str]]] = field(default_factory=list)
    stats: dict[str, ModelStats] = field(default_factory=dict)
    tests: dict[str, int] = field(default_factory=dict)


def models_yaml(path: Path, host: str, tag: str, *, output: str | None, num_ctx: int, num_predict: int) -> Path:
    lines = ["default: bench", f"host: {host}", "profiles:", "  bench:", f"    model: {tag}", "    family: codellama",
             f"    options: {{temperature: 0, seed: 42, num_ctx: {num_ctx}, num_predict: {num_predict}}}",
             "    repair_rounds: 2", "    timeout: 3600"] + ([f"    output: {output}"] if output else [])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def generate(root: Path, choice: ModelChoice | None) -> tuple[list[ReviewItem], Session]:
    session = Session.open(SessionOptions(path=root))  # the suite goes to <root>/tests/migrations
    if choice is not None:
        session.use_model(choice)
    return session.generate(session.select()), session


def stats_of(items: list[ReviewItem]) -> ModelStats:
    found = ModelStats()
    for item in items:
        conversation = item.conversation
        if conversation is None:
            continue
        found.asked += 1
        found.valid_first += bool(conversation.valid[:1] == [True])
        found.valid_after_repair += item.model_error is None
        if item.model_error:
            found.errors.append(f"{item.revision.id}: {item.model_error[:300]}")
        found.requests += len(conversation.exchanges)
        found.seconds += conversation.seconds
        found.answer_tokens += conversation.answer_tokens
        model = [t for t in item.plan.tests if t.engine == "model"]
        found.tests += len(model)
        found.to_review += sum(1 for t in model if t.review)
    return found


def renamed(test: TestCase, group: str) -> TestCase:
    return test.model_copy(update={"name": f"test_{group}_{test.name.removeprefix('test_')}"[:85]})


def write_suite(root: Path, session: Session, runs: dict[str, list[ReviewItem]]) -> dict[str, dict[str, str]]:
    """One module per revision with the tests of every run; test name -> group, per module file."""
    suite = root / "tests" / "migrations"
    shutil.rmtree(suite, ignore_errors=True)
    for relative, text in session.shared_files().items():
        (suite / relative).parent.mkdir(parents=True, exist_ok=True)
        (suite / relative).write_text(text, encoding="utf-8")
    by_revision = {group: {i.revision.id: i for i in items} for group, items in runs.items()}
    groups: dict[str, dict[str, str]] = {}
    for revision, item in by_revision["deterministic"].items():
        tests, imports = list(item.plan.tests), set(item.plan.imports)
        for group in ("small", "capable"):
            other = by_revision.get(group, {}).get(revision)
            if other is not None:
                tests += [renamed(t, group) for t in other.plan.tests if t.engine == "model"]
                imports |= set(other.plan.imports)
        plan = TestPlan(revision=revision, tests=tests, imports=sorted(imports))
        rendered = render_plan(item.revision, item.diff, plan, dialect=session.capture.dialect)
        (suite / item.filename).write_text(rendered.text([f.message for f in session.findings_for(revision)]), encoding="utf-8")
        groups[item.filename] = {t.name: ("deterministic" if t.engine == "deterministic" else t.name.split("_")[1])
                                 for t in tests}
    return groups


def run_module(root: Path, module: str, report: Path) -> dict[str, bool]:
    """Test name -> passed, for one module of the suite."""
    command = [sys.executable, "-m", "pytest", str(root / "tests" / "migrations" / module), "-q", "-p", "no:cacheprovider",
               "-p", "pytest_localmig.plugin", "--junitxml", str(report)]  # the one plugin: autoload is off
    subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=1800,
                   env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    if not report.exists():
        return {}
    return {case.get("name", ""): case.find("failure") is None and case.find("error") is None
            for case in ElementTree.parse(report).iter("testcase")}


def kill(root: Path, work: Path, mutant: Mutant, module: str, baseline: dict[str, bool], groups: dict[str, str],
         index: int) -> set[str]:
    """The groups whose tests notice ``mutant``."""
    copy = work / f"m{index}"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__", ".localmig"))
    (copy / mutant.file.relative_to(root)).write_text(mutant.source, encoding="utf-8")
    outcomes = run_module(copy, module, work / f"m{index}.xml")
    shutil.rmtree(copy, ignore_errors=True)
    if not outcomes:  # the module did not even run: every test failed
        return set(GROUPS)
    failed = {groups.get(name) for name, passed in outcomes.items() if baseline.get(name) and not passed}
    killed = {"deterministic"} if "deterministic" in failed else set()
    return killed | ({"small", "capable"} if killed else {g for g in ("small", "capable") if g in failed})


def project(name: str, source: Path | None, work: Path, real: bool, jobs: int) -> ProjectResult:
    root = work / name
    if source is None:
        build(root)
    else:
        shutil.copytree(source, root, ignore=shutil.ignore_patterns("__pycache__", "*.db", ".localmig", "tests"))
    result = ProjectResult(name)
    print(f"[{name}] generating", flush=True)
    deterministic, session = generate(root, None)
    runs = {"deterministic": deterministic}
    with ScriptedOllama(models=[CAPABLE_TAG]) as server:
        for _ in range(200):
            server.respond(lambda request: json.dumps(answer_for(request["messages"][1]["content"])))
        config = models_yaml(work / f"{name}-capable.yaml", server.host, CAPABLE_TAG, output="scenarios",
                             num_ctx=16384, num_predict=2048)
        runs["capable"], capable_session = generate(root, ModelChoice(mode="require", config=config))
        capable_session.close()
    if real:
        with ModelBackedOllama([SMALL_TAG], n_ctx=8192, threads=1) as server:  # 2 threads spin against each other on a busy machine
            config = models_yaml(work / f"{name}-small.yaml", server.host, SMALL_TAG, output=None, num_ctx=8192, num_predict=2048)  # the profiles' default cap
            started = time.monotonic()
            runs["small"], small_session = generate(root, ModelChoice(mode="require", config=config))
            small_session.close()
            print(f"[{name}] real small model: {time.monotonic() - started:.0f} s", flush=True)
    result.stats = {group: stats_of(items) for group, items in runs.items() if group != "deterministic"}
    groups = write_suite(root, session, runs)
    session.close()
    result.tests = {g: sum(1 for names in groups.values() for v in names.values() if v == g) for g in GROUPS}
    files = {r.id: root / r.path for r in session.revisions if r.data_operations}
    mutants = data_mutants(files)
    modules = {item.revision.id: item.filename for item in deterministic}
    baselines = {module: run_module(root, module, work / f"{name}-{module}.xml")
                 for module in {modules[m.revision] for m in mutants if m.revision in modules}}
    for module, outcomes in baselines.items():
        if not any(outcomes.values()):  # nothing to judge mutants by: a broken bench, not a 0% kill rate
            raise SystemExit(f"[{name}] no test of {module} passed on the unchanged project: {outcomes}")
    print(f"[{name}] {len(mutants)} data mutants", flush=True)
    chosen = [m for m in mutants if m.revision in modules]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        killed = list(pool.map(lambda pair: kill(root, work, pair[1], modules[pair[1].revision], baselines[modules[pair[1].revision]],
                                                 groups[modules[pair[1].revision]], pair[0]), enumerate(chosen)))
    result.mutants = list(zip(chosen, killed))
    return result


def rate(pairs: list[tuple[Mutant, set[str]]], group: str) -> str:
    if not pairs:
        return "-"
    killed = sum(1 for _, groups in pairs if group in groups)
    return f"{killed}/{len(pairs)} ({killed / len(pairs):.0%})"


def report(results: list[ProjectResult], real: bool) -> None:
    shown = [g for g in GROUPS if real or g != "small"]
    labels = {"deterministic": "deterministic", "small": "+ real small model", "capable": "+ scripted capable model"}
    print("\nData-mutant kill rate (all data mutants | SQL conditions, statements and Python only):")
    print(f"{'project':26}" + "".join(f"{labels[g]:>34}" for g in shown))
    everything: list[tuple[Mutant, set[str]]] = []
    for result in results:
        everything += result.mutants
        conditions = [p for p in result.mutants if p[0].operator in CONDITIONS]
        print(f"{result.name:26}" + "".join(f"{rate(result.mutants, g) + ' | ' + rate(conditions, g):>34}" for g in shown))
    conditions = [p for p in everything if p[0].operator in CONDITIONS]
    print(f"{'all':26}" + "".join(f"{rate(everything, g) + ' | ' + rate(conditions, g):>34}" for g in shown))
    print("\nModel answers (revisions asked; answers valid on the first try / after repair; requests; model time; tests kept, to review):")
    for group in ("small", "capable") if real else ("capable",):
        total = ModelStats()
        for result in results:
            stats = result.stats.get(group, ModelStats())
            for key in total.__dataclass_fields__:
                setattr(total, key, getattr(total, key) + getattr(stats, key))
        asked = max(total.asked, 1)
        print(f"  {labels[group][2:]:22} asked {total.asked}, valid first try {total.valid_first}/{total.asked} "
              f"({total.valid_first / asked:.0%}), after repair {total.valid_after_repair}/{total.asked} "
              f"({total.valid_after_repair / asked:.0%}), {total.requests} requests, {total.seconds:.1f} s "
              f"({total.seconds / asked:.1f} s per revision, {total.answer_tokens} answer tokens), "
              f"{total.tests} tests ({total.to_review} to review)")
        for error in total.errors:
            print(f"    no valid answer for {error}")
    survivors = [(r.name, m) for r in results for m, g in r.mutants if "capable" not in g]
    if survivors:
        print("\nMutants no set killed:")
        for name, mutant in survivors:
            print(f"  {name} {mutant.revision} {mutant.operator}: {mutant.description}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", nargs="*", choices=sorted(PROJECTS), default=sorted(PROJECTS))
    parser.add_argument("--no-real", action="store_true", help="Leave out the real small model.")
    parser.add_argument("--jobs", type=int, default=2, help="Mutants run at once.")
    parser.add_argument("--keep", action="store_true", help="Keep the work folder and print it.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="localmig-model-value-"))
    started = time.monotonic()
    try:
        results = [project(name, PROJECTS[name], work, not args.no_real, args.jobs) for name in args.projects]
        report(results, not args.no_real)
        print(f"\n{time.monotonic() - started:.0f} s in all")
    finally:
        if args.keep:
            print(f"work folder: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
