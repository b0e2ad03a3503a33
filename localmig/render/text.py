"""Text of generated code: docstrings escaped and wrapped, import blocks as isort orders them, test names."""

from __future__ import annotations

import ast
import sys
import textwrap

from ..wrap import LIMIT


def escape_docstring(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def defined_tests(text: str) -> list[str]:
    """The test functions defined at the top of a module's text; none when it does not parse."""
    try:
        return plan_from_module(text)
    except SyntaxError:
        return []


def wrap_text(line: str, indent: str = "", limit: int = LIMIT) -> str:
    """A docstring line wrapped at ``limit`` (a ``- `` item's continuation lines indented under its text)."""
    if len(indent) + len(line) <= limit:
        return indent + line
    hanging = "  " if line.startswith("- ") else ""
    return "\n".join(textwrap.wrap(line, width=limit, initial_indent=indent, subsequent_indent=indent + hanging,
                                   break_long_words=False, break_on_hyphens=False))


def function_docstring(text: str) -> str:
    """A test's docstring, indented in its function, its lines within the line length."""
    lines = []
    for number, line in enumerate(text.splitlines() or [""]):
        start = '    """' if number == 0 else "    "
        if len(start) + len(line) + 3 <= LIMIT:  # room for the closing quotes
            lines.append(start + line)
            continue
        lines += textwrap.wrap(line, width=LIMIT - 3, initial_indent=start, subsequent_indent="    ",
                               break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines) + '"""'


def import_block(imports: set[str] | list[str]) -> list[str]:
    """Import lines as isort (and ruff's I001) orders them: the standard library, then the rest;
    ``import x`` before ``from x import y``; imports from one module merged."""
    straight: dict[int, set[str]] = {0: set(), 1: set()}
    members: dict[int, dict[str, set[str]]] = {0: {}, 1: {}}
    for line in imports:
        for node in ast.parse(line).body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    section = _section(alias.name)
                    straight[section].add(alias.name + (f" as {alias.asname}" if alias.asname else ""))
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = members[_section(node.module)].setdefault(node.module, set())
                names.update(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
    block: list[str] = []
    for section in (0, 1):
        lines = [f"import {name}" for name in sorted(straight[section], key=str.lower)]
        for module in sorted(members[section], key=str.lower):
            ordered = sorted(members[section][module], key=_member_key)
            lines.append(f"from {module} import {', '.join(ordered)}")
        if lines and block:
            block.append("")
        block += lines
    return block


def _section(module: str) -> int:
    return 0 if module.split(".")[0] in sys.stdlib_module_names else 1


def _member_key(name: str) -> tuple[int, str]:
    """isort's order of imported names: CONSTANTS, then Classes, then functions."""
    bare = name.split(" ")[0]
    return (0 if bare.isupper() and len(bare) > 1 else 1 if bare[:1].isupper() else 2), bare.lower()


def plan_from_module(text: str) -> list[str]:
    """Names of the test functions in a generated module (for reports on existing files)."""
    tree = ast.parse(text)
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]


