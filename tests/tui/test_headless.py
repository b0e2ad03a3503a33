"""The core runs without the TUI: importing any localmig module outside localmig.tui loads no textual."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import localmig


def core_modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(localmig.__path__, "localmig.")]
    return sorted(n for n in names if not n.startswith("localmig.tui") and n != "localmig.__main__"  # runs the CLI
                  and "store_migrations" not in n
                  and "builtin_env" not in n)


def test_core_and_cli_modules_do_not_import_textual():
    modules = core_modules()
    assert {"localmig.pipeline", "localmig.events", "localmig.config", "localmig.cli"} <= set(modules)
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "    assert 'textual' not in sys.modules, f'{name} imported textual'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_tui_package_does_import_textual():
    code = "import sys, localmig.tui; print('textual' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr
