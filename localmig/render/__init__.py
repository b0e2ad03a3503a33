"""Turn test plans into pytest files: one module per revision plus a shared conftest.py.

Generated test modules import only pytest, alembic, sqlalchemy and the standard library; the
``migrations`` fixture they call comes from the pytest-localmig plugin, and the conftest holds
only the suite's settings (or, with ``vendor``, loads a copy of the runtime written beside it).
Each file starts with a header (``# localmig: {...}``, wrapped over a few comment lines)
recording the generator, the revision, the hash of the migration source and the hash of the
file's own body, so localmig can tell current, stale and hand-edited files apart without ever
hiding staleness inside the tests. Generated code is wrapped to ruff's line length of 120.
"""


from .alembic_style import SCHEMA_FILE
from .headers import (
    CONFTEST,
    HEADER_PREFIX,
    FileHeader,
    FileStatus,
    body_hash,
    file_status,
    generated_files,
    module_name,
    read_header,
    with_header,
)
from .module import MAX_LISTED, RenderedModule, RenderedTest, render_module, render_plan
from .runtime import RuntimeProblem, runtime_problems, suite_settings_of
from .suite import ENV_FOLDER, VENDORED_RUNTIME, SuiteLayout, render_conftest, render_runtime, suite_files
from .text import defined_tests, escape_docstring, import_block, plan_from_module

__all__ = [
    "CONFTEST", "ENV_FOLDER", "HEADER_PREFIX", "MAX_LISTED", "SCHEMA_FILE", "VENDORED_RUNTIME", "FileHeader", "FileStatus",
    "RenderedModule", "RenderedTest", "RuntimeProblem", "SuiteLayout", "body_hash", "defined_tests",
    "escape_docstring", "file_status", "generated_files", "import_block", "module_name", "plan_from_module",
    "read_header", "render_conftest", "render_module", "render_plan", "render_runtime", "runtime_problems",
    "suite_files", "suite_settings_of", "with_header",
]
