"""Benchmark: batch mode's own overhead per revision, and the size of what a model is sent.

Run it by hand (no pytest):

    python bench/batch.py                 # a 200-revision synthetic history, --jobs 4
    python bench/batch.py --size 50 --jobs 1

It builds the synthetic SQLite history of ``bench/capture.py`` (create_table with indexes and
foreign keys, add_column, batch alter_column, data steps, branches and merges), starts the
scripted Ollama-protocol server of ``tests/ollama_servers.py`` answering every request at once
with a valid test, and runs ``localmig batch`` in-process with the model layer on. From the
batch report's phase timings it prints:

* localmig's own time per revision beyond the history capture, the data observation (which runs
  migrations), the model's answers and the pytest verification — target <= 20 ms;
* the median (and p90, max) prompt size in tokens (localmig's estimate, 3.5 characters a token)
  of the requests the server received;
* for comparison, the same batch without the model layer.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from capture import write_project  # noqa: E402  (bench/capture.py: the synthetic history)

from localmig.batch import BatchOptions, BatchReport, now, run_batch  # noqa: E402
from localmig.context import estimate_tokens  # noqa: E402
from localmig.pipeline import ModelChoice, Session, SessionOptions  # noqa: E402
from tests.ollama_servers import ScriptedOllama  # noqa: E402

ANSWER = {
    "imports": [],
    "tests": [{
        "name": "test_model_sees_the_schema_after_the_upgrade",
        "aspect": "upgrade",
        "docstring": "The schema after the upgrade can be read.",
        "body": "schema = migrations.schema_after(REVISION)\nassert isinstance(schema.tables, set)",
    }],
}
MODELS_YAML = """\
default: bench
profiles:
  bench:
    model: codellama:7b-instruct
    family: codellama
    host: {host}
    options: {{temperature: 0, seed: 42, num_ctx: 16384, num_predict: 2048}}
    repair_rounds: 1
    timeout: 60
"""


def run(project: Path, out: Path, choice: ModelChoice, jobs: int) -> tuple[BatchReport, float]:
    started = time.perf_counter()
    with Session.open(SessionOptions(path=project, out=out)) as session:
        session.use_model(choice)
        report = BatchReport(project=str(project), started_at=now())
        run_batch(session, BatchOptions(jobs=jobs), report)
    return report, time.perf_counter() - started


def own_ms_per_revision(report: BatchReport, wall: float, revisions: int) -> tuple[float, dict[str, float]]:
    timings = report.timings
    measured = {k: timings.get(k, 0.0) for k in ("capture", "observe", "model", "verify", "write")}
    own = wall - measured["capture"] - measured["observe"] - measured["model"] - measured["verify"]
    return own / revisions * 1000, measured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200, help="revisions in the synthetic history")
    parser.add_argument("--jobs", type=int, default=4, help="model requests at once")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory(prefix="localmig-bench-batch-") as folder, ScriptedOllama() as server:
        work = Path(folder)
        project = work / "project"
        write_project(project, args.size)
        for _ in range(args.size * 2):  # one answer per request; the scripted queue is FIFO
            server.respond(lambda request: json.dumps(ANSWER))
        (work / "models.yaml").write_text(MODELS_YAML.format(host=server.host))
        choice = ModelChoice(mode="require", config=work / "models.yaml")
        print(f"synthetic history: {args.size} revisions; scripted Ollama at {server.host}; --jobs {args.jobs}")

        with_model, wall_model = run(project, work / "suite-model", choice, args.jobs)
        no_model, wall_plain = run(project, work / "suite-plain", ModelChoice(mode="off"), 1)

        prompts = [estimate_tokens("".join(m["content"] for m in r.json["messages"])) for r in server.chat_requests()]
    for label, report, wall in (("with the model layer", with_model, wall_model), ("without a model", no_model, wall_plain)):
        own, measured = own_ms_per_revision(report, wall, args.size)
        verdict = "PASS" if own <= 20 else "MISS"
        print(f"\n{label}: {wall:.1f} s in all; "
              + ", ".join(f"{k} {v:.1f} s" for k, v in measured.items())
              + f"; tests written: {report.totals.tests_deterministic} deterministic, {report.totals.tests_model} model")
        print(f"  localmig's own time per revision (beyond capture, observation, model and verification): "
              f"{own:.1f} ms  [target <= 20 ms: {verdict}]")
    if prompts:
        ordered = sorted(prompts)
        print(f"\nprompt size over {len(prompts)} requests: median {statistics.median(ordered):.0f} tokens, "
              f"p90 {ordered[int(len(ordered) * 0.9) - 1]}, max {ordered[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
