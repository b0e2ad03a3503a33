"""pytest in a forked child of a warm worker: a mutant's test run without Python's start-up.

A new interpreter spends about a second importing pytest, SQLAlchemy and Alembic before it runs
a test; a mutant's own tests often take less. A worker process has those imported already (it
has just run the mutant's equivalence check), so on Linux each test run is a ``fork()`` of the
worker that runs ``pytest.main`` and exits: as isolated as a subprocess (a new process per run,
nothing of one run left for the next), without the imports. The worker is single-threaded and
holds no open database connection when it forks. Elsewhere (macOS, Windows, where forking a
process with system frameworks loaded is unsafe) runs are ordinary subprocesses.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from ..errors import VerifyError

CAN_FORK = hasattr(os, "fork") and sys.platform.startswith("linux")


def forked_pytest(command: list[str], cwd: Path, environment: dict[str, str], timeout: float,
                  cancel: threading.Event | None = None) -> tuple[int, str]:
    """Run ``command`` (``python -c BOOT ARGS`` or ``python -m pytest ARGS``) as ``pytest.main(ARGS)``
    in a forked child; its exit code and output. After ``timeout`` seconds the child is killed."""
    if command[1] not in ("-c", "-m"):
        raise ValueError(f"not a pytest command: {command[:3]}")
    arguments = command[3:]
    with tempfile.TemporaryFile("w+") as output:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 70
            try:
                os.dup2(output.fileno(), 1)
                os.dup2(output.fileno(), 2)
                # sys.stdout may be something else than file descriptor 1 (a capture of the parent's)
                sys.stdout = open(1, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)  # noqa: SIM115
                sys.stderr = open(2, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)  # noqa: SIM115
                os.chdir(cwd)
                os.environ.clear()
                os.environ.update(environment)
                sys.path[:] = [p for p in sys.path if p not in ("", ".")]  # the project must not shadow modules
                import pytest

                code = int(pytest.main(arguments))
            except BaseException:  # everything, SystemExit included: the child must reach os._exit
                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        deadline = time.monotonic() + timeout
        try:
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                if time.monotonic() > deadline:
                    raise VerifyError(f"the tests did not finish within {timeout:.0f} s")
                if cancel is not None and cancel.is_set():
                    raise VerifyError("cancelled")
                time.sleep(0.02)
        except BaseException:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise
        output.seek(0)
        return os.waitstatus_to_exitcode(status), output.read()
