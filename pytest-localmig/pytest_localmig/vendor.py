"""The runtime as one module, for suites vendored into air-gapped repositories (``localmig generate --vendor``).

:func:`runtime_source` concatenates the package's modules in dependency order: their imports of
each other are dropped, the others are merged at the top, and each module's code follows under a
banner naming the file it comes from. The result is the same code as the installed package, so a
vendored suite behaves exactly as one run by the plugin.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from .version import API_VERSION, __version__

# Each after everything it imports.
MODULES = ("version", "errors", "initial", "urls", "targets", "guard", "reflection", "views", "rows", "catalog", "snapshot",
           "plain", "watchdog", "runner", "roles", "scratch", "database", "models", "history", "settings", "suites",
           "plugin")
# What suites written for pytest-alembic read schemas and rows with (``--style pytest-alembic``).
PLAIN_MODULES = ("reflection", "views", "rows", "catalog", "snapshot", "plain")
VENDORED_HEAD = (
    f'"""pytest-localmig {__version__} (fixture API {API_VERSION}), vendored: the runtime of the migration tests\n'
    "beside this file, copied by `localmig generate --vendor` for repositories that cannot install it.\n\n"
    "Do not edit: regenerate it (`localmig generate --vendor`), or install pytest-localmig instead\n"
    '(pip install pytest-localmig); conftest.py uses the installed plugin when it provides this API.\n"""'
)
PLAIN_HEAD = (
    '"""How the migration tests beside this file read schemas and rows: the reading code of pytest-localmig\n'
    f"{__version__}, copied by `localmig generate --style pytest-alembic` (no plugin: pytest-alembic runs the\n"
    "migrations).\n\n"
    'Do not edit: `localmig generate --style pytest-alembic` writes it again."""'
)

_PACKAGE = Path(__file__).parent


def runtime_source(modules: tuple[str, ...] = MODULES, head: str = VENDORED_HEAD) -> str:
    """``modules`` (default: the whole runtime) as the text of one module, under the docstring
    ``head`` (no header: the generator adds its own)."""
    straight: set[str] = set()
    from_imports: dict[str, set[str]] = {}
    sections: list[str] = []
    defined: dict[str, str] = {}
    for name in modules:
        source = (_PACKAGE / f"{name}.py").read_text(encoding="utf-8")
        tree = ast.parse(source)
        body = list(tree.body)
        docstring = ast.get_docstring(tree)
        if docstring is not None:
            body = body[1:]
        last_import = 0
        for node in body:
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                break
            last_import = node.end_lineno or node.lineno
            if isinstance(node, ast.Import):
                straight.update(_alias(alias) for alias in node.names)
            elif node.level == 0 and node.module != "__future__":
                names = {_alias(alias) for alias in node.names} - {"TYPE_CHECKING"}  # its blocks are left out
                if names:
                    from_imports.setdefault(node.module or "", set()).update(names)
        skipped: set[int] = set()  # lines of `if TYPE_CHECKING:` blocks (imports for annotations only)
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and (node.end_lineno or 0) <= last_import:
                continue
            if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
                skipped.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)) and isinstance(node, ast.ImportFrom) and node.level:
                raise ValueError(f"{name}.py: a relative import below the import block cannot be vendored")
            for target in _defined_names(node):
                if target in defined:
                    raise ValueError(f"{target} is defined in both {defined[target]}.py and {name}.py")
                defined[target] = name
        lines = source.splitlines()
        code = "\n".join(line for number, line in enumerate(lines[last_import:], last_import + 1)
                         if number not in skipped)
        code = re.sub(r"\n{3,}", "\n\n\n", code).strip("\n")
        summary = (docstring or "").strip().splitlines()[0] if docstring else ""
        banner = f"# {'-' * 10} pytest_localmig/{name}.py"
        banner = f"{banner}: {summary}" if len(banner) + len(summary) + 2 <= 120 else f"{banner}\n# {summary}"
        sections.append(f"{banner}\n\n{code}\n")
    lines = [head, "", "from __future__ import annotations", "", *_import_block(straight, from_imports)]
    return "\n".join(lines) + "\n\n" + "\n\n".join(sections)


def _alias(alias: ast.alias) -> str:
    return alias.name + (f" as {alias.asname}" if alias.asname else "")


def _defined_names(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    names = []
    for target in targets:
        elements = target.elts if isinstance(target, ast.Tuple) else [target]
        names += [element.id for element in elements if isinstance(element, ast.Name)]
    return [name for name in names if name != "__all__"]


def _import_block(straight: set[str], from_imports: dict[str, set[str]]) -> list[str]:
    """The merged imports in isort's order: standard library, then third party; ``import x`` before ``from``."""
    def section(module: str) -> int:
        return 0 if module.split(".")[0] in sys.stdlib_module_names else 1

    def member_key(member: str) -> tuple[int, str]:
        name = member.split(" ")[0]
        kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
        return kind, name.lower()

    lines: list[str] = []
    for wanted in (0, 1):
        block = sorted((s for s in straight if section(s) == wanted), key=str.lower)
        block = [f"import {module}" for module in block]
        for module in sorted((m for m in from_imports if section(m) == wanted), key=str.lower):
            members = ", ".join(sorted(from_imports[module], key=member_key))
            block.append(f"from {module} import {members}")
        if block:
            lines += [*block, ""]
    return lines[:-1]
