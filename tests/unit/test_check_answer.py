"""check_answer: what the model answered, as a plan of model tests or a precise list of what is wrong.

The schemas are built by hand (a revision that adds ``orders.note`` and creates ``order_statuses``),
so every case is about the validation alone. Every error message is what goes back to the model in
the repair prompt, so the tests also pin that each message names the thing to fix.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from localmig.engines.answers import ALLOWED_MODULES, MAX_TESTS, ModelAnswer, answer_schema, check_answer
from localmig.schema import ColumnInfo, SchemaSnapshot, TableInfo

REVISION = "abc123def456"
EXISTING = ["test_upgrade_adds_orders_note"]


def table(*columns: str) -> TableInfo:
    return TableInfo(columns={name: ColumnInfo(type="Integer()", nullable=name != "id") for name in columns})


BEFORE = SchemaSnapshot(tables={"customers": table("id", "email"), "orders": table("id", "customer_id", "status")})
AFTER = SchemaSnapshot(
    tables={
        "customers": table("id", "email"),
        "orders": table("id", "customer_id", "status", "note"),
        "order_statuses": table("code", "label"),
    }
)

GOOD_BODY = (
    "database = migrations.database_before(REVISION)\n"
    "database.insert(\"customers\", [{\"id\": 1, \"email\": \"a@example.test\"}])\n"
    "database.insert(\"orders\", [{\"id\": 1, \"customer_id\": 1, \"status\": None}])\n"
    "database.upgrade(REVISION)\n"
    "assert [row[\"note\"] for row in database.rows(\"orders\")] == [None]"
)


def answer(*bodies: str, imports: list[str] | None = None, names: list[str] | None = None, aspect: str = "data") -> str:
    names = names or [f"test_model_case_{i}" for i in range(len(bodies))]
    return json.dumps({
        "imports": imports or [],
        "tests": [{"name": n, "aspect": aspect, "docstring": "What it proves.", "body": b} for n, b in zip(names, bodies)],
    })


def check(text: str, existing: list[str] = EXISTING):
    return check_answer(text, REVISION, BEFORE, AFTER, existing)


def only_error(text: str) -> str:
    plan, errors = check(text)
    assert plan is None
    assert len(errors) == 1, errors
    return errors[0]


# ---------------------------------------------------------------------------------- valid answers


def test_a_valid_answer_becomes_a_plan_of_model_tests():
    plan, errors = check(answer(GOOD_BODY, imports=["import datetime"]))

    assert errors == []
    assert plan is not None and plan.revision == REVISION
    assert [(t.name, t.aspect, t.engine, t.docstring) for t in plan.tests] == [
        ("test_model_case_0", "data", "model", "What it proves.")
    ]
    assert plan.tests[0].body == GOOD_BODY
    assert plan.imports == ["import datetime"]


def test_an_indented_body_is_dedented_and_stripped_of_blank_edges():
    indented = "\n" + "\n".join("    " + line for line in GOOD_BODY.splitlines()) + "\n\n"

    plan, errors = check(answer(indented))

    assert errors == [] and plan is not None
    assert plan.tests[0].body == GOOD_BODY


def test_every_allowed_module_may_be_imported_in_the_imports_and_in_a_body():
    imports = [f"import {module}" for module in ALLOWED_MODULES[:5]]
    body = "from collections import Counter\nimport sqlalchemy.sql\n" + GOOD_BODY

    plan, errors = check(answer(body, imports=imports))

    assert errors == [] and plan is not None
    assert plan.imports == sorted(imports)


def test_schema_reads_and_sql_on_known_tables_pass():
    body = (
        "schema = migrations.schema_after(REVISION)\n"
        "assert schema.column(\"orders\", \"note\")[\"nullable\"]\n"
        "database = migrations.database_after(REVISION)\n"
        "assert database.execute(\"SELECT count(*) AS n FROM orders JOIN customers ON customers.id = orders.customer_id\") == [{\"n\": 0}]"
    )
    assert check(answer(body))[1] == []


# ---------------------------------------------------------------------------------- shape errors


def test_an_answer_that_is_not_json_says_where_it_broke():
    error = only_error('{"tests": [{"name": "test_x", ')

    assert error.startswith("the answer is not valid JSON:")
    assert "line 1 column" in error


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"imports": []}, "tests: Field required"),
        ({"tests": []}, "tests: List should have at least 1 item"),
        ({"tests": [{"name": "test_a", "aspect": "data", "docstring": "d"}]}, "tests.0.body: Field required"),
        ({"tests": [{"name": "check_a", "aspect": "data", "docstring": "d", "body": "x"}]}, "tests.0.name: String should match pattern"),
        ({"tests": [{"name": "test_a", "aspect": "sideways", "docstring": "d", "body": "x"}]}, "tests.0.aspect: Input should be"),
        ({"tests": [{"name": "test_a", "aspect": "data", "docstring": "d", "body": "x" * 1501}]}, "tests.0.body: String should have at most 1500 characters"),
        ({"imports": ["import json"] * 6, "tests": [{"name": "test_a", "aspect": "data", "docstring": "d", "body": "x"}]}, "imports: List should have at most 5 items"),
    ],
)
def test_schema_violations_name_the_field_and_the_rule(data, expected):
    plan, errors = check(json.dumps(data))

    assert plan is None
    assert any(e.startswith(expected) for e in errors), errors


def test_more_tests_than_allowed_is_an_error():
    plan, errors = check(answer(*[GOOD_BODY] * (MAX_TESTS + 1)))

    assert plan is None
    assert errors == [f"tests: List should have at most {MAX_TESTS} items after validation, not {MAX_TESTS + 1}"]


def test_a_name_already_taken_by_an_existing_test_or_twice_in_the_answer():
    plan, errors = check(answer(GOOD_BODY, GOOD_BODY, names=["test_upgrade_adds_orders_note", "test_model_twice"]))
    assert plan is None
    assert errors == ["tests[0] (test_upgrade_adds_orders_note): the name is already taken; choose a new one"]

    plan, errors = check(answer(GOOD_BODY, GOOD_BODY, names=["test_model_twice", "test_model_twice"]))
    assert errors == ["tests[1] (test_model_twice): the name is already taken; choose a new one"]


def test_a_syntax_error_names_the_test_and_the_line():
    error = only_error(answer("database = migrations.database_after(REVISION)\nassert database.rows(\"orders\") ==\n"))

    assert error.startswith("tests[0] (test_model_case_0): Python syntax error at line 2:")


def test_a_body_that_does_not_use_the_fixture_tests_nothing():
    error = only_error(answer("assert 1 + 1 == 2"))

    assert error == "tests[0] (test_model_case_0): does not use the migrations fixture, so it tests nothing about the revision"


def test_every_problem_of_every_test_is_reported_at_once():
    plan, errors = check(answer("import os\nmigrations.schema_after(os.getcwd())", "migrations.database_after(REVISION).rows(\"invoices\")"))

    assert plan is None
    assert [e.split(":")[0] for e in errors] == ["tests[0] (test_model_case_0)"] * 2 + ["tests[1] (test_model_case_1)"]


# ---------------------------------------------------------------------------------- what a body may do


@pytest.mark.parametrize(
    "line",
    ["import os", "import os.path", "from os import path", "import subprocess", "from subprocess import run",
     "import socket", "import pathlib", "import importlib", "from http import client", "import requests"],
)
def test_forbidden_imports_in_the_imports_list_are_refused_with_the_allowed_list(line):
    error = only_error(answer(GOOD_BODY, imports=[line]))

    module = line.split()[1]
    assert error == f"imports: import of {module!r} is not allowed (allowed: {', '.join(ALLOWED_MODULES)})"


def test_an_import_line_that_is_not_an_import_is_refused():
    assert only_error(answer(GOOD_BODY, imports=["datetime"])) == "imports: 'datetime' is not a single import statement"
    assert only_error(answer(GOOD_BODY, imports=["import"])) == "imports: 'import' is not an import statement"
    assert only_error(answer(GOOD_BODY, imports=["import json; import os"])) == (
        "imports: 'import json; import os' is not a single import statement"
    )


@pytest.mark.parametrize(
    "body, expected",
    [
        ("import subprocess\nsubprocess.run(['ls'])\n" + GOOD_BODY, "import of 'subprocess' is not allowed"),
        ("import os\n" + GOOD_BODY, "import of 'os' is not allowed"),
        ("os.system('ls')\n" + GOOD_BODY, "uses 'os', which is not allowed (no OS, files or network)"),
        ("sys.exit(0)\n" + GOOD_BODY, "uses 'sys', which is not allowed (no OS, files or network)"),
        ("open('/etc/passwd')\n" + GOOD_BODY, "uses open(), which is not allowed"),
        ("eval('1')\n" + GOOD_BODY, "uses eval(), which is not allowed"),
        ("exec('x = 1')\n" + GOOD_BODY, "uses exec(), which is not allowed"),
        ("__import__('os')\n" + GOOD_BODY, "uses __import__(), which is not allowed"),
        ("getattr(migrations, 'x')\n" + GOOD_BODY, "uses getattr(), which is not allowed"),
        ("migrations.__class__\n" + GOOD_BODY, "uses the dunder attribute '__class__', which is not allowed"),
    ],
)
def test_bodies_that_reach_the_os_are_refused(body, expected):
    plan, errors = check(answer(body))

    assert plan is None
    assert any(expected in e for e in errors), errors


def test_builtins_reached_by_name_are_refused():
    """``__builtins__["__import__"]("os")`` reaches the OS without any forbidden name or attribute."""
    body = "__builtins__['__import__']('os').getcwd()\n" + GOOD_BODY

    plan, errors = check(answer(body))

    assert plan is None
    assert any("__builtins__" in e for e in errors), errors


@pytest.mark.parametrize(
    "body, expected",
    [
        ("migrations.database_after(REVISION).insert(\"invoices\", [{\"id\": 1}])",
         "table 'invoices' does not exist (tables: customers, order_statuses, orders)"),
        ("migrations.database_after(REVISION).rows(\"invoices\")", "table 'invoices' does not exist"),
        ("migrations.schema_after(REVISION).columns(\"invoices\")", "table 'invoices' does not exist"),
        ("migrations.database_after(REVISION).insert(\"orders\", [{\"id\": 1, \"total_cents\": 5}])",
         "column orders.total_cents does not exist (columns: customer_id, id, note, status)"),
        ("migrations.schema_after(REVISION).column(\"orders\", \"total_cents\")", "column orders.total_cents does not exist"),
        ("migrations.database_after(REVISION).execute(\"SELECT * FROM invoices\")",
         "the SQL names table 'invoices', which does not exist"),
        ("migrations.database_after(REVISION).execute(\"UPDATE invoices SET x = 1\")",
         "the SQL names table 'invoices', which does not exist"),
        ("migrations.database_after(REVISION).execute(\"INSERT INTO invoices (id) VALUES (1)\")",
         "the SQL names table 'invoices', which does not exist"),
    ],
)
def test_hallucinated_tables_and_columns_are_named(body, expected):
    error = only_error(answer(body))

    assert error == f"tests[0] (test_model_case_0): {expected}" or expected in error


def test_a_table_that_exists_only_after_the_upgrade_is_known():
    body = "database = migrations.database_after(REVISION)\ndatabase.insert(\"order_statuses\", [{\"code\": 1, \"label\": 2}])"
    assert check(answer(body))[1] == []


# ---------------------------------------------------------------------------------- the JSON schema


def test_the_json_schema_is_bounded_so_a_small_model_cannot_run_on_forever():
    schema = answer_schema()
    test = schema["$defs"]["ModelTest"]["properties"]

    assert schema["properties"]["tests"]["maxItems"] == MAX_TESTS and schema["properties"]["tests"]["minItems"] == 1
    assert schema["properties"]["imports"]["maxItems"] == 5
    assert schema["properties"]["imports"]["items"]["maxLength"] == 80
    assert all("maxLength" in test[field] for field in ("name", "docstring", "body"))
    assert set(schema["$defs"]["ModelTest"]["required"]) == {"name", "aspect", "docstring", "body"}


def test_the_json_schema_and_the_pydantic_model_agree():
    """What jsonschema accepts, pydantic accepts, and the other way round, for a few answers."""
    validator = jsonschema.Draft202012Validator(answer_schema())
    samples = [
        json.loads(answer(GOOD_BODY)),
        {"tests": []},
        {"tests": [{"name": "Test_Upper", "aspect": "data", "docstring": "d", "body": "b"}]},
        {"tests": [{"name": "test_a", "aspect": "round_trip", "docstring": "d", "body": "b"}]},
        {"imports": ["x" * 81], "tests": [{"name": "test_a", "aspect": "data", "docstring": "d", "body": "b"}]},
    ]
    for sample in samples:
        by_schema = validator.is_valid(sample)
        try:
            ModelAnswer.model_validate(sample)
            by_model = True
        except ValueError:
            by_model = False
        assert by_schema == by_model, sample


@pytest.mark.parametrize(
    "body, expected",
    [
        ("import alembic.command\nfrom alembic.config import Config\nalembic.command.upgrade(Config('alembic.ini'), 'head')",
         "import of 'alembic.command' is not allowed"),
        ("from alembic import command\ncommand.downgrade(migrations.config, 'base')", "import of 'alembic.command' is not allowed"),
        ("import alembic\nalembic.command.upgrade(None, 'head')", "uses alembic.command, which is not allowed"),
        ("import sqlalchemy\nsqlalchemy.create_engine('postgresql://app@prod/app').connect()",
         "uses create_engine, which is not allowed"),
        ("from sqlalchemy import create_engine\ncreate_engine('sqlite:///app.db')", "import of 'sqlalchemy.create_engine' is not allowed"),
        ("import sqlalchemy as sa\nsa.engine_from_config({'sqlalchemy.url': 'x'})", "uses engine_from_config, which is not allowed"),
    ],
)
def test_other_databases_than_the_fixtures_scratch_ones_are_refused(body, expected):
    """Verification runs the tests in the project: alembic.command or an engine of its own would reach
    the project's real database (its sqlalchemy.url), which localmig promises never to touch."""
    plan, errors = check(answer(body + "\n" + GOOD_BODY))

    assert plan is None
    assert any(expected in e for e in errors), errors
