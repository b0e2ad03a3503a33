"""What a model-written test body may reach: an allowlist, not a denylist.

A body may use the ``migrations`` fixture and the API the prompt documents (``FIXTURE_API``),
assertions, literals, comprehensions, a few pure builtins, the pure parts of the allowed modules
and the pure methods of the values those return (``dict.items``, ``str.lower``...). Everything
else is refused with a reason the repair prompt can pass on: attributes that reach an engine or a
connection (``engine``, ``begin``, ``exec_driver_sql``, ``raw_connection``...), dunder and private
attributes, ``importorskip``/``import_module``, ``getattr`` with a computed name, ``setattr``,
loops that may never end (``while``), nested functions and classes, names nobody defined.
"""

from __future__ import annotations

import ast
import builtins
import re

from ..syntax import parse

# The fixture API (what FIXTURE_API documents), by the object that offers it
FIXTURE_ATTRIBUTES = {
    "database_before", "database_after", "schema_before", "schema_after", "schema_after_downgrade",
    "schema_after_round_trip",  # migrations
    "insert", "upgrade", "downgrade", "rows", "execute", "schema",  # a database
    "tables", "views", "sequences", "enums", "table", "columns", "column", "primary_key", "foreign_keys", "indexes",
    "unique_constraints", "check_constraints", "find_foreign_key", "find_unique", "find_check",  # a schema
}
# Pure methods and attributes of the values a test handles (dicts, lists, strings, numbers, dates)
VALUE_ATTRIBUTES = {
    "items", "keys", "values", "get", "copy", "count", "index", "lower", "upper", "strip", "lstrip", "rstrip",
    "split", "rsplit", "splitlines", "startswith", "endswith", "join", "replace", "format", "casefold", "title",
    "isdigit", "isalpha", "isalnum", "isupper", "islower", "find", "partition", "zfill", "encode", "decode",
    "issubset", "issuperset", "union", "intersection", "difference", "symmetric_difference", "isdisjoint",
    "append", "extend", "pop", "add", "update", "setdefault", "sort", "remove", "discard", "clear",
    "isoformat", "date", "time", "year", "month", "day", "hour", "minute", "second", "microsecond", "tzinfo",
    "days", "seconds", "total_seconds", "weekday", "timestamp", "quantize", "is_nan", "real", "imag",
    "hex", "bytes", "int", "version", "group", "groups", "groupdict", "most_common", "elements", "value",
    "type", "match", "args", "orig",  # pytest.raises' ExceptionInfo
}
# module -> what of it a test may use (its pure parts)
MODULE_ATTRIBUTES: dict[str, set[str]] = {
    "pytest": {"raises", "approx", "fail", "param"},
    "sqlalchemy": {"exc", "types", "Integer", "BigInteger", "SmallInteger", "String", "Text", "Unicode", "UnicodeText",
                   "Boolean", "Date", "DateTime", "Time", "Interval", "Numeric", "Float", "Enum", "JSON",
                   "LargeBinary", "Uuid", "ARRAY"},
    "sqlalchemy.exc": {"IntegrityError", "OperationalError", "ProgrammingError", "DataError", "DBAPIError",
                       "StatementError", "SQLAlchemyError", "NoSuchTableError"},
    "sqlalchemy.types": {"Integer", "BigInteger", "SmallInteger", "String", "Text", "Boolean", "Date", "DateTime",
                         "Time", "Numeric", "Float", "Enum", "JSON", "LargeBinary", "Uuid"},
    "alembic": set(),
    "datetime": {"date", "datetime", "time", "timedelta", "timezone", "UTC", "MINYEAR", "MAXYEAR"},
    "decimal": {"Decimal", "InvalidOperation", "ROUND_HALF_UP", "ROUND_HALF_EVEN"},
    "uuid": {"UUID", "uuid4", "uuid5", "NAMESPACE_DNS", "NAMESPACE_URL"},
    "json": {"loads", "dumps", "JSONDecodeError"},
    "math": {"isclose", "isnan", "isinf", "floor", "ceil", "fabs", "sqrt", "inf", "nan", "pi", "fsum", "prod"},
    "re": {"match", "fullmatch", "search", "findall", "finditer", "sub", "split", "compile", "escape", "IGNORECASE",
           "MULTILINE", "DOTALL", "I", "M", "S"},
    "itertools": {"chain", "product", "permutations", "combinations", "groupby", "islice", "zip_longest", "count",
                  "repeat", "accumulate", "pairwise"},
    "collections": {"Counter", "OrderedDict", "defaultdict", "deque"},
}
# Attributes refused with their own reason (the usual ways out of the scratch database)
REACHING_OUT = {
    "engine", "connect", "connection", "begin", "exec_driver_sql", "raw_connection", "dbapi_connection",
    "driver_connection", "dialect", "url", "bind", "get_bind", "session", "runner", "scratch", "config",
    "dispose", "cursor", "executescript",
}
REFLECTION = {"importorskip", "import_module", "reload", "load_module", "exec_module", "spec_from_file_location",
              "monkeypatch", "gi_frame", "f_globals", "f_locals", "f_back", "tb_frame", "cr_frame"}
PURE_BUILTINS = {
    "len", "sorted", "reversed", "set", "frozenset", "list", "dict", "tuple", "int", "float", "str", "bool", "bytes",
    "min", "max", "sum", "any", "all", "range", "enumerate", "zip", "isinstance", "abs", "round", "repr", "map",
    "filter", "divmod", "pow", "chr", "ord", "hex", "True", "False", "None", "ValueError", "TypeError", "KeyError",
    "Exception", "AssertionError", "LookupError", "ArithmeticError", "ZeroDivisionError", "IndexError",
}
SCOPE = {"migrations", "REVISION"}
# SQL handed to database.execute that would reach past the scratch database
SQL_REACHING_OUT = re.compile(r"\b(ATTACH|DETACH|LOAD_EXTENSION|COPY|DBLINK\w*|PG_READ\w*|PG_LS_DIR|LO_IMPORT|"
                              r"LO_EXPORT|PG_TERMINATE_BACKEND|VACUUM\s+INTO)\b", re.IGNORECASE)
REFUSED_NODES = {
    ast.While: "a while loop (it may never end; iterate over rows instead)",
    ast.FunctionDef: "a nested function definition", ast.AsyncFunctionDef: "a nested function definition",
    ast.ClassDef: "a class definition", ast.Global: "a global statement", ast.Nonlocal: "a nonlocal statement",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.AsyncFor: "async for",
    ast.AsyncWith: "async with", ast.Delete: "del",
}


def allowed_modules(imports: set[str]) -> dict[str, str]:
    """Name bound in the test module -> the allowed module it stands for, from import lines."""
    bound: dict[str, str] = {"pytest": "pytest"}
    for line in imports:
        try:
            tree = parse(line)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        bound[alias.asname] = alias.name
                    else:
                        bound[alias.name.split(".")[0]] = alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return bound


def _module_path(node: ast.expr, modules: dict[str, str]) -> str | None:
    """``sqlalchemy.exc`` for ``sa.exc`` when ``sa`` is the module sqlalchemy; None for a value."""
    if isinstance(node, ast.Name):
        return modules.get(node.id)
    if isinstance(node, ast.Attribute):
        parent = _module_path(node.value, modules)
        if parent is not None and parent in MODULE_ATTRIBUTES and node.attr in MODULE_ATTRIBUTES[parent]:
            return f"{parent}.{node.attr}"
    return None


def _attribute_problem(node: ast.Attribute, modules: dict[str, str]) -> str | None:
    name = node.attr
    if name.startswith("_"):
        return f"uses the attribute {name!r}: private and dunder attributes are not allowed"
    if name in REACHING_OUT:
        return (f"uses .{name}, which reaches past the fixture's scratch database: use only "
                "database.insert/rows/execute/upgrade/downgrade and the schema views")
    if name in REFLECTION:
        return f"uses .{name}, which imports or inspects code at run time: import what you need in 'imports'"
    owner = _module_path(node.value, modules)
    allowed = MODULE_ATTRIBUTES.get(owner) if owner is not None else None
    if allowed is not None:  # a module's attribute: only its pure parts
        if name not in allowed:
            parts = ", ".join(sorted(allowed)) or "nothing"
            return f"uses {owner}.{name}, which is not allowed (from {owner}: {parts})"
        return None
    # a value's (or an allowed class's) attribute: the fixture API and pure methods
    if name in FIXTURE_ATTRIBUTES or name in VALUE_ATTRIBUTES or name in _class_attributes():
        return None
    return f"uses .{name}, which is not in the fixture API the prompt documents nor a pure method of a value"


def _class_attributes() -> set[str]:
    return {"fromisoformat", "strptime", "strftime", "utcnow", "now", "today", "fromtimestamp", "utc", "min", "max",
            "resolution", "from_float", "to_integral_value", "normalize", "as_tuple", "hex", "urn"}


def from_import_problem(node: ast.ImportFrom) -> str | None:
    """``from MODULE import NAME`` of an allowed module: NAME must be one of its pure parts."""
    allowed = MODULE_ATTRIBUTES.get(node.module or "")
    if allowed is None:
        return None
    for alias in node.names:
        if alias.name not in allowed and f"{node.module}.{alias.name}" not in MODULE_ATTRIBUTES:
            return (f"import of {node.module}.{alias.name} is not allowed "
                    f"(from {node.module}: {', '.join(sorted(allowed)) or 'nothing'})")
    return None


def check_names(tree: ast.Module, imports: set[str], *, reported: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Every way ``tree`` (a test body) reaches past what a model test may use; names in
    ``reported`` were refused already (by the import and call checks) and are not named again."""
    inline = {ast.unparse(node) for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))}
    modules = allowed_modules(set(imports) | inline)
    defined = set(SCOPE) | set(modules) | _assigned(tree)
    problems: list[str] = []
    for node in ast.walk(tree):
        refused = next((why for kind, why in REFUSED_NODES.items() if isinstance(node, kind)), None)
        if refused:
            problems.append(f"uses {refused}, which is not allowed in a test body")
        elif isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in reported:
                continue
            problem = _attribute_problem(node, modules)
            if problem:
                problems.append(problem)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in reported:
                continue
            if node.id.startswith("_"):
                problems.append(f"uses the name {node.id!r}: private and dunder names are not allowed")
            elif node.id not in defined and node.id not in PURE_BUILTINS:
                kind = "a builtin that is not allowed" if hasattr(builtins, node.id) else "not defined in the test"
                problems.append(f"uses {node.id!r}, {kind} (allowed: the migrations fixture, REVISION, "
                                "names from 'imports', names the body assigns, pure builtins such as len/sorted)")
        elif isinstance(node, ast.Call):
            problems += _call_problems(node)
    return problems


def _call_problems(node: ast.Call) -> list[str]:
    func = node.func
    if isinstance(func, ast.Name) and func.id == "hasattr":
        return ["uses hasattr(), which is not allowed: name the attribute directly"]
    if isinstance(func, ast.Attribute) and func.attr == "execute":
        for argument in node.args[:1]:
            for piece in ast.walk(argument):
                if isinstance(piece, ast.Constant) and isinstance(piece.value, str):
                    found = SQL_REACHING_OUT.search(piece.value)
                    if found:
                        return [f"the SQL uses {found.group(1).upper()}, which reaches past the scratch database"]
    return []


def _assigned(tree: ast.Module) -> set[str]:
    """Names the body binds: assignments, for targets, comprehension variables, with ... as, except ... as."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)  # lambda parameters
    return names
