"""What real histories showed, one class at a time (issue 9), each on a scenario project of tests/examples.

Every test runs localmig as a user does (``python -m localmig``), then the generated suite with
plain pytest, and asserts the behaviour, not just an exit code.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from localmig.render import read_header
from tests.conftest import SCENARIOS, run_cli


def suite_of(root: Path) -> Path:
    return root / "tests" / "migrations"


def generate(root: Path, *args: str) -> subprocess.CompletedProcess:
    done = run_cli("generate", str(root), "--no-model", *args)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    return done


def run_suite(suite: Path, *args: str) -> dict[str, str]:
    """Run the suite with plain pytest from the project root; test name -> outcome (every collected test)."""
    report = suite.parent / "report.xml"
    pytest = Path(sys.executable).with_name("pytest")  # the README's command; `python -m` would put the cwd first
    done = subprocess.run([str(pytest), str(suite), "-q", "-p", "no:cacheprovider",
                           f"--junitxml={report}", *args], cwd=suite.parent.parent, capture_output=True, text=True,
                          timeout=600)
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):
        state = "passed"
        for tag in ("failure", "error", "skipped"):
            if case.find(tag) is not None:
                state = tag
        outcomes[f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"] = state
    assert "error" not in outcomes.values(), done.stdout[-3000:]
    return outcomes


def scan(root: Path, *args: str) -> dict:
    done = run_cli("scan", str(root), "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def module_tests(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]


# --------------------------------------------------------------------------- names and rendering


def test_module_names_are_valid_for_any_revision_id_and_keep_the_real_id(project):
    root = project("odd_revision_ids")
    done = generate(root)
    assert done.returncode == 0, done.stdout + done.stderr
    modules = sorted(suite_of(root).glob("test_*.py"))
    ids = set()
    for module in modules:
        assert module.stem.isidentifier() and module.stem.isascii(), module.name
        header, body = read_header(module.read_text(encoding="utf-8"))
        assert header is not None and f"REVISION = {header.revision!r}" in body
        ids.add(header.revision)
    assert ids == {"v1.4.0.a", "v1.4.0.b", "0003", "révision_5", "2024_01_05_add_colour"}
    assert not any("revision_id" in m.name for m in modules), "an empty message is not Alembic's template text"
    slug = next(m.name for m in modules if m.name.startswith("test_v1_4_0_b_"))
    assert slug.endswith("_add_widgets_size_a_message_that_goes_on.py"), "slugs are cut between words"
    outcomes = run_suite(suite_of(root))
    planned = sum(len(module_tests(m)) for m in modules)
    assert len(outcomes) == planned and set(outcomes.values()) == {"passed"}
    check = run_cli("check", str(root))
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_big_base_revision_gives_readable_modules_and_split_tests(project):
    root = project("big_base")
    done = generate(root)
    assert done.returncode == 0, done.stdout + done.stderr
    base = next(suite_of(root).glob("test_b16b01a0c0d0_*.py"))
    text = base.read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(text)) or ""
    assert "- ... and 36 more (each has its own test below)" in docstring, docstring[-300:]
    names = module_tests(base)
    assert "test_upgrade_creates_table_wide" in names and "test_upgrade_creates_table_wide_part_2" in names
    for function in ast.parse(text).body:
        if isinstance(function, ast.FunctionDef):
            asserts = [n for n in function.body if isinstance(n, ast.Assert)]
            assert len(asserts) <= 62, function.name
    flags = next(suite_of(root).glob("test_b16b02a0c0d0_*.py")).read_text(encoding="utf-8")
    assert "The downgrade drops t00.flag; t00 is as before" in flags
    assert "After the downgrade the database has the same tables" in flags
    stamps = next(suite_of(root).glob("test_b16b03a0c0d0_*.py")).read_text(encoding="utf-8")
    assert "assert len(database.rows('stamps')) == 2" in stamps, "rows with nothing reproducible: their number"
    outcomes = run_suite(suite_of(root))
    assert set(outcomes.values()) == {"passed"} and len(outcomes) == sum(
        len(module_tests(m)) for m in suite_of(root).glob("test_*.py"))


# --------------------------------------------------------------------------- one finding per cause


def test_a_base_that_expects_create_all_is_one_finding(project):
    document = scan(project("create_all_base"))
    assert [(f["kind"], f["revision"]) for f in document["findings"]] == [("upgrade_failed", "ca11b01a0c0d")]
    (finding,) = document["findings"]
    assert finding["message"].endswith("2 later revisions could not be applied")
    assert finding["details"][0] == "not applied: ca11b02a0c0d, ca11b03a0c0d"
    assert "--initial-schema MODULE:ATTR" in finding["details"][1], "the finding says how to start from the tables"


@pytest.mark.parametrize("spec", ["app_models:metadata", "app_models:Base.metadata", "app_models:Base"])
def test_every_form_of_an_initial_schema_starts_the_history_from_its_tables(project, spec):
    assert scan(project("create_all_base"), "--initial-schema", spec)["findings"] == []


@pytest.mark.parametrize("spec", ["app_models:metadata", "app_models:create"])
def test_a_create_all_base_runs_from_the_initial_schema_it_is_given(project, spec):
    root = project("create_all_base")
    done = generate(root, "--initial-schema", spec)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f'"initial_schema": ["{spec}"]' in (suite_of(root) / "conftest.py").read_text(encoding="utf-8")
    outcomes = run_suite(suite_of(root))
    assert len(outcomes) >= 9 and set(outcomes.values()) == {"passed"}


@pytest.mark.parametrize(("spec", "message"), [
    ("app_models", "is not of the form MODULE:ATTR"),
    ("no_such_module:metadata", "cannot import no_such_module (no module named 'no_such_module')"),
    ("app_models:nothing", "app_models has no attribute 'nothing'"),
    ("app_models:__doc__", "is a str: not a MetaData, a declarative base or a function"),
])
def test_a_bad_initial_schema_is_a_usage_error(project, spec, message):
    done = run_cli("scan", str(project("create_all_base")), "--initial-schema", spec)
    assert done.returncode == 2 and message in done.stderr and "hint: give MODULE:ATTR" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_findings_name_their_cause(project):
    root = project("finding_causes")
    document = scan(root)
    messages = {(f["revision"], f["kind"]): f["message"] for f in document["findings"]}
    done = generate(root)
    assert done.returncode == 0, done.stdout + done.stderr
    text = done.stdout.replace("\n", " ")
    assert "downgrade_loses_rows fc0002a0c0d0: the upgrade drops orders.note; its values cannot come back on downgrade" in text
    assert re.search(r"fc0003a0c0d0: a NULL in orders\.code makes the upgrade fail: AttributeError", text)
    assert re.search(r"fc0004a0c0d0: the upgrade adds orders\.total NOT NULL without a server default, so it fails "
                     r"on a table that has rows", text)
    assert ("fc0003a0c0d0", "downgrade_not_implemented") in messages  # its downgrade is a real `pass`


def test_child_rows_of_a_parent_row_left_out_for_its_null_are_left_out_too(project, pg_url):
    """The upgrade fails on a NULL of the parent (customers.nickname); the run again without the NULL rows
    must also leave out the child rows that reference them, or PostgreSQL's foreign key makes the whole
    revision a "planning failed" and its finding is lost (zou 2b8f88aa610f, department_link -> person)."""
    done = generate(project("null_parent"), "--db-url", pg_url)
    text = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 0, text
    assert "planning failed" not in text and "ForeignKeyViolation" not in text
    assert "upgrade_fails_with_rows 5a1f02a0c0d0: a NULL in customers.nickname makes the upgrade fail" in text


def test_a_dropped_unique_constraint_is_tested_by_name_when_a_unique_index_stays(project):
    """zou's c3e9a7d1f5b2 drops project_template_name_key while ix_project_template_name (unique) stays: the
    column is still unique, so "no longer unique" was a test that failed on a sound migration."""
    root = project("unique_index_stays")
    done = generate(root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "left out" not in done.stderr and "localmig bug" not in done.stderr
    text = next(suite_of(root).glob("test_c0ffee02a0d0_*.py")).read_text()
    assert "assert 'uq_tags_name' not in [u['name'] for u in schema.unique_constraints('tags')]" in text


def test_a_downgrade_that_misses_one_object_leaves_the_others_tested(project, tmp_path):
    root = project("masked_downgrade")
    generate(root)
    module = next(suite_of(root).glob("test_3a5c02a0c0d0_*.py"))
    outcomes = {k.split("::")[1]: v for k, v in run_suite(suite_of(root)).items() if k.startswith(module.stem)}
    assert outcomes["test_downgrade_restores_authors"] == "failure"  # the known finding: the index stays
    assert outcomes["test_downgrade_restores_books"] == "passed"
    assert outcomes["test_downgrade_restores_shelves"] == "passed"
    # a defect that the known one would have hidden: the books downgrade no longer drops isbn
    revision = next((root / "migrations" / "versions").glob("3a5c02a0c0d0_*.py"))
    revision.write_text(revision.read_text().replace('        batch_op.drop_column("isbn")', "        pass"))
    outcomes = {k.split("::")[1]: v for k, v in run_suite(suite_of(root)).items() if k.startswith(module.stem)}
    assert outcomes["test_downgrade_restores_books"] == "failure"
    assert outcomes["test_downgrade_restores_shelves"] == "passed"


# --------------------------------------------------------------------------- seeds that are valid and reach branches


def seeded_rows(module: Path, table: str) -> list[dict]:
    """The rows a generated module inserts into ``table`` (literal_eval of the insert call)."""
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "insert" \
                and isinstance(node.args[0], ast.Constant) and node.args[0].value == table:
            return ast.literal_eval(node.args[1])
    return []


def test_enum_columns_stored_as_varchar_are_seeded_with_members_only(project):
    root = project("enum_varchar")
    done = generate(root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "upgrade_fails_with_rows" not in done.stdout
    rows = seeded_rows(next(suite_of(root).glob("test_e0a102a0c0d0_*.py")), "tickets")
    assert rows and {row["state"] for row in rows} <= {"open", "closed", "stale"}
    assert "stale" in {row["state"] for row in rows}, "the value the data step looks for is seeded"
    assert set(run_suite(suite_of(root)).values()) == {"passed"}


def test_orm_data_steps_are_characterised_with_rows_that_reach_their_branches(project):
    root = project("orm_session_data")
    generate(root)
    module = next(suite_of(root).glob("test_0a0e02a0c0d0_*.py"))
    rows = seeded_rows(module, "members")
    assert any(row.get("email") is None for row in rows), "a row for .filter(Member.email.is_(None)).delete()"
    assert any(row.get("plan") == "trial" for row in rows), "a row for .in_(['trial', 'beta'])"
    assert set(run_suite(suite_of(root)).values()) == {"passed"}
    # each ORM statement, removed, makes the suite fail
    revision = next((root / "migrations" / "versions").glob("0a0e02a0c0d0_*.py"))
    original = revision.read_text()
    for line in ("session.query(Member).filter(Member.email.is_(None)).delete(synchronize_session=False)",
                 'session.bulk_update_mappings(Member, [{"id": m.id, "plan": "basic"} for m in trial])'):
        revision.write_text(original.replace(line, "pass"))
        outcomes = run_suite(suite_of(root))
        assert outcomes[f"{module.stem}::test_rows_through_upgrade_and_downgrade_as_observed"] == "failure", line
    revision.write_text(original)


def test_rows_copied_between_tables_do_not_collide_on_seeded_keys(project):
    root = project("copy_tables")
    done = generate(root)
    assert done.returncode == 0 and "upgrade_fails_with_rows" not in done.stdout, done.stdout
    module = next(suite_of(root).glob("test_c0b102a0c0d0_*.py"))
    v1 = {row["id"] for row in seeded_rows(module, "notes_v1")}
    v2 = {row["id"] for row in seeded_rows(module, "notes_v2")}
    assert v1 and v2 and not v1 & v2
    repointed = next(suite_of(root).glob("test_c0b103a0c0d0_*.py"))
    assert "test_upgrade_drops_foreign_key_comments_note_id" not in module_tests(repointed), \
        "a key re-pointed at another table is not dropped: the added key's test checks its new target"
    assert "assert fk['referred_table'] == 'notes_v2'" in repointed.read_text()
    assert set(run_suite(suite_of(root)).values()) == {"passed"}


def test_rows_the_history_inserted_with_volatile_values_do_not_break_the_suite(project):
    root = project("history_rows")
    done = generate(root)
    assert done.returncode == 0, done.stdout + done.stderr
    module = next(suite_of(root).glob("test_a15702a0c0d0_*.py")).read_text(encoding="utf-8")
    assert "without=['created_at', 'token']" in module
    for _ in range(2):  # two fresh builds of the history, each with its own now() and random tokens
        assert set(run_suite(suite_of(root)).values()) == {"passed"}


def test_an_expression_based_index_is_read_from_the_catalog_and_tested_without_warnings(project):
    root = project("expression_index")
    done = generate(root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Skipped unsupported reflection" not in done.stdout + done.stderr
    module = next(suite_of(root).glob("test_e1d502a0c0d0_*.py"))
    assert "assert index['expressions'] == ['(lower(email))']" in module.read_text(encoding="utf-8")
    outcomes = run_suite(suite_of(root), "-W", "error::sqlalchemy.exc.SAWarning")
    assert outcomes and set(outcomes.values()) == {"passed"}
    revision = next((root / "migrations" / "versions").glob("e1d502a0c0d0_*.py"))
    revision.write_text(revision.read_text().replace('    op.drop_index("ix_users_lower_email", table_name="users")',
                                                     "    pass"))
    assert run_suite(suite_of(root))[f"{module.stem}::test_downgrade_restores_users"] == "failure"


def test_a_revision_that_consumes_module_level_data_is_run_afresh_each_time(project):
    """Its upgrade pops values from a module-level list: a second run in the same process (capture,
    then observation) must see the file as it is, not the list the first run emptied."""
    root = project("module_state")
    assert scan(root)["findings"] == []
    done = generate(root)
    assert done.returncode == 0 and "upgrade_failed" not in done.stdout, done.stdout + done.stderr
    outcomes = run_suite(suite_of(root))
    assert outcomes and set(outcomes.values()) == {"passed"}


def test_a_project_package_named_like_a_standard_module_does_not_shadow_it(project):
    root = project("shadows_stdlib")
    done = generate(root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the application's own logging package" not in done.stdout + done.stderr
    assert set(run_suite(suite_of(root)).values()) == {"passed"}


# --------------------------------------------------------------------------- check is honest


@pytest.fixture(scope="module")
def generated_linear(tmp_path_factory) -> Path:
    """The linear scenario with the suite `localmig generate --no-model` writes (once for this module)."""
    root = tmp_path_factory.mktemp("generated") / "linear"
    shutil.copytree(SCENARIOS / "linear", root, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    done = generate(root)
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def linear_suite(generated_linear, tmp_path):
    """A copy of the generated linear project for one test to break."""
    root = tmp_path / "linear"
    shutil.copytree(generated_linear, root, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    return root


def test_check_fails_on_a_test_file_that_does_not_compile(linear_suite):
    module = sorted(suite_of(linear_suite).glob("test_*.py"))[1]
    module.write_text(module.read_text() + "\ndef broken(:\n")
    done = run_cli("check", str(linear_suite))
    assert done.returncode == 1
    assert "does_not_compile" in done.stdout and module.name in done.stdout
    assert "check passed" not in done.stdout


def test_check_fails_on_a_module_pytest_cannot_collect(linear_suite):
    module = sorted(suite_of(linear_suite).glob("test_*.py"))[0]
    module.write_text(module.read_text().replace("\nREVISION = ", "\nimport no_such_module_here\nREVISION = ", 1))
    done = run_cli("check", str(linear_suite))
    assert done.returncode == 1
    assert "not_collected" in done.stdout and module.name in done.stdout and "no_such_module_here" in done.stdout


def test_check_fails_on_an_orphan_test_file(linear_suite):
    module = sorted(suite_of(linear_suite).glob("test_*.py"))[0]
    orphan = module.with_name("test_deadbeef0000_removed_revision.py")
    orphan.write_text(module.read_text().replace('"revision": "11ea01b3c5d7"', '"revision": "deadbeef0000"', 1))
    done = run_cli("check", str(linear_suite))
    assert done.returncode == 1
    assert "orphan" in done.stdout and orphan.name in done.stdout and "deadbeef0000" in done.stdout


def test_check_fails_when_nothing_ran(linear_suite):
    for module in suite_of(linear_suite).glob("test_*.py"):
        text = module.read_text()
        module.write_text(re.sub(r"\ndef test_", "\ndef skipped_", text))
    done = run_cli("check", str(linear_suite))
    assert done.returncode == 1 and "nothing_ran" in done.stdout, done.stdout


def test_generate_json_reports_every_test_with_its_verdict(project):
    root = project("masked_downgrade")
    done = generate(root, "--json", "--dry-run")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["dry_run"] is True and document["model"] is None
    assert [r["revision"] for r in document["revisions"]] == ["3a5c01a0c0d0", "3a5c02a0c0d0"]
    second = document["revisions"][1]
    verdicts = {o["test"]: o["verdict"] for o in second["outcomes"]}
    assert verdicts["test_downgrade_restores_authors"] == "migration_defect"
    assert verdicts["test_downgrade_restores_books"] == "passed"
    assert sum(second["tests"].values()) == len(second["outcomes"])
    assert [(f["kind"], f["revision"]) for f in document["findings"]] == [("downgrade_incomplete", "3a5c02a0c0d0")]
    assert second["findings"] == ["downgrade_incomplete"]
    assert all(f["action"] == "dry_run" for f in document["files"])
    assert not suite_of(root).exists()


def test_models_that_drift_from_head_are_a_finding_and_a_failing_test(project):
    root = project("models_drift")
    (finding,) = scan(root)["findings"]
    assert (finding["kind"], finding["revision"]) == ("models_differ_from_head", "e1d502a0c0d0")
    assert finding["details"] == ["column users.nickname is in the models only"]
    done = generate(root)
    assert done.returncode == 0, done.stdout + done.stderr
    head = next(suite_of(root).glob("test_e1d502a0c0d0_*.py"))
    assert "test_head_matches_models" in module_tests(head)
    assert not any("test_head_matches_models" in module_tests(m) for m in suite_of(root).glob("test_e1d501*.py"))
    outcomes = run_suite(suite_of(root))
    assert outcomes.pop(f"{head.stem}::test_head_matches_models") == "failure"
    assert set(outcomes.values()) == {"passed"}
    # the models brought back in line with the history: the same test passes
    models = root / "app_models.py"
    models.write_text(models.read_text().replace('                 sa.Column("nickname", sa.String(30), nullable=True))',
                                                 "                 )"))
    assert run_suite(suite_of(root))[f"{head.stem}::test_head_matches_models"] == "passed"


def test_an_upgrade_whose_schema_depends_on_the_rows_is_still_planned(project):
    """ckan's 083 drops a table only when it is empty: with seeded rows the table stays."""
    root = project("drops_if_empty")
    done = generate(root)
    assert done.returncode == 0 and "planning failed" not in done.stdout + done.stderr, done.stdout + done.stderr
    outcomes = run_suite(suite_of(root))
    assert any("e1d503a0c0d0" in test for test in outcomes) and set(outcomes.values()) == {"passed"}
