"""The cost per revision does not grow with the history (issue 13): capture of bench/synthetic.py's
40- and 160-revision histories, counted in operations (env.py runs, objects reflected, database
copies) so the test is stable on a busy machine, plus a loose CPU-time bound.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

from localmig.capture import Capture
from localmig.project import load

BENCH = Path(__file__).resolve().parents[2] / "bench"


def write_synthetic(root: Path, size: int) -> Path:
    """bench/synthetic.py's project of ``size`` revisions (it imports its templates from bench/)."""
    sys.path.insert(0, str(BENCH))
    try:
        module = importlib.import_module("synthetic")
    finally:
        sys.path.remove(str(BENCH))
    module.write_project(root, size)
    return root


def capture_costs(root: Path) -> dict[str, float]:
    capture = Capture(load(root))
    try:
        started = time.process_time()
        result = capture.run()
        cpu = time.process_time() - started
        history = capture.history
        assert not result.findings, result.findings  # every downgrade of the synthetic history is correct
        size = len(history.order)
        return {"env.py runs": history.runner.env_runs / size, "objects reflected": history.reread / size,
                "database copies": history.copies / size, "cpu": cpu / size}
    finally:
        capture.close()


def test_capture_costs_per_revision_do_not_grow_with_the_history(tmp_path):
    small = capture_costs(write_synthetic(tmp_path / "small", 40))
    large = capture_costs(write_synthetic(tmp_path / "large", 160))
    for operation in ("env.py runs", "objects reflected", "database copies"):
        assert large[operation] <= 1.25 * small[operation], (operation, small, large)
    # each snapshot re-reads the few objects its step changed, not the schema (~60 tables at 160)
    assert large["objects reflected"] < 3, large
    assert large["cpu"] < 2 * small["cpu"], (small, large)
