"""The core runs without its front ends: importing a core module loads neither textual nor click
nor rich (the CLI and the review app sit on top, and only they may)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import localmig

FRONT_ENDS = ("localmig.tui", "localmig.cli", "localmig.__main__")


def core_modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(localmig.__path__, "localmig.")]
    return sorted(n for n in names if not n.startswith(FRONT_ENDS)
                  and "store_migrations" not in n and "builtin_env" not in n)


def _imports(modules: list[str], forbidden: tuple[str, ...]) -> subprocess.CompletedProcess:
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"    loaded = [m for m in {forbidden!r} if m in sys.modules]\n"
        "    assert not loaded, f'{name} imported {loaded}'\n"
        "print('ok')\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


# httpx (under the official ollama client) imports click and rich for its own command line when
# they are installed; the modules that load the client are checked for textual only.
LOADS_HTTPX = {"localmig.llm", "localmig.modelrun"}


def test_core_modules_import_no_front_end_library():
    modules = core_modules()
    assert {"localmig.pipeline", "localmig.events", "localmig.config", "localmig.capture"} <= set(modules)
    done = _imports([m for m in modules if m not in LOADS_HTTPX], ("textual", "click", "rich"))
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    done = _imports(sorted(LOADS_HTTPX), ("textual",))
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_no_core_module_imports_a_front_end_library_itself():
    import ast
    from pathlib import Path

    offenders = []
    for name in core_modules():
        spec = __import__("importlib").util.find_spec(name)
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            offenders += [f"{name}: {n}" for n in names if n.split(".")[0] in ("textual", "click", "rich")]
    assert not offenders


def test_the_cli_does_not_import_textual():
    names = sorted(m.name for m in pkgutil.walk_packages(localmig.__path__, "localmig.") if m.name.startswith("localmig.cli"))
    done = _imports(names, ("textual",))
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_tui_package_does_import_textual():
    code = "import sys, localmig.tui; print('textual' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr
