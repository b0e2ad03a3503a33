"""The shape of the code: imports point one way (no cycles), modules stay small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "localmig"
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        parts = module.split(".")
        keep = len(parts) - node.level + (1 if is_package else 0)
        base = ".".join(parts[:keep] + ([node.module] if node.module else []))
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def import_graph() -> dict[str, set[str]]:
    """Module -> the localmig modules it imports at import time (``if TYPE_CHECKING`` blocks and
    imports inside functions, which run later, do not count)."""
    files = {p: _module_name(p) for p in PACKAGE.rglob("*.py") if "store_migrations" not in p.parts
             and "builtin_env" not in p.parts}
    known = set(files.values())
    graph: dict[str, set[str]] = {}
    for path, name in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            for child in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else []:
                if isinstance(child, ast.ImportFrom):
                    edges |= {m for m in _resolve(name, path.name == "__init__.py", child) if m in known}
                elif isinstance(child, ast.Import):
                    edges |= {a.name for a in child.names if a.name in known}
        # importing a.b.c runs the package a.b first
        edges |= {".".join(e.split(".")[:i]) for e in edges for i in range(2, e.count(".") + 1)} & known
        graph[name] = edges - {name} - {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_finder_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_localmig_has_no_import_cycle():
    graph = import_graph()
    assert "localmig.pipeline" in graph and "localmig.capture.run" in graph["localmig.pipeline"] | graph["localmig.capture"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_no_module_is_too_long_to_read_in_one_sitting():
    long = {_module_name(p): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_every_import_of_a_localmig_module_names_one_that_exists():
    """Imports inside functions too (they run late, so only a run of that path would find a stale one)."""
    files = {p: _module_name(p) for p in PACKAGE.rglob("*.py") if "store_migrations" not in p.parts
             and "builtin_env" not in p.parts}
    known = set(files.values())
    missing = []
    for path, name in files.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("localmig")):
                base = _resolve(name, path.name == "__init__.py", node)[0]
                if base not in known:
                    missing.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} imports {base}")
    assert not missing
