"""The privacy boundary: redaction of migration sources, findings and pytest reports; the token budget."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from localmig.context import (
    ModelContext,
    estimate_tokens,
    fit,
    redact_failure,
    redact_finding,
    redact_source,
    redact_sql,
)
from localmig.errors import ExitCode, PromptTooLarge
from localmig.prompts import PromptSet

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo" / "migrations" / "versions"
DATA_MIGRATION = next(DEMO.glob("d1a0055ad3f0_*.py"))
DEMO_LITERALS = ["legacy-unknown", "4242", "legacy-shop.invalid", "Imported from the 2019 shop", "status lost",
                 '"new"', '"paid"', '"Shipped"', "Cancelled", "90"]


def redact(source: str) -> str:
    return redact_source(textwrap.dedent(source))


# ---------------------------------------------------------------------------------- the demo's data migration


@pytest.fixture(scope="module")
def demo_redacted() -> str:
    return redact_source(DATA_MIGRATION.read_text(encoding="utf-8"))


@pytest.mark.parametrize("literal", DEMO_LITERALS)
def test_no_literal_of_the_demo_data_migration_survives(demo_redacted, literal):
    assert literal in DATA_MIGRATION.read_text(encoding="utf-8")
    assert literal.strip('"') not in demo_redacted.replace("legacy orders", "")  # the kept docstring line


@pytest.mark.parametrize(
    "kept",
    [
        "revision: str = 'd1a0055ad3f0'", "down_revision: Union[str, Sequence[str], None] = 'd1a004c81e95'",
        "op.create_table('order_statuses'", "sa.Column('code', sa.String(length=32), nullable=False)",
        "server_default=sa.text('0')", "sa.PrimaryKeyConstraint('code', name='pk_order_statuses')",
        "op.bulk_insert(order_statuses, [{'code': '<str_1>', 'label': '<str_2>', 'sort_order': '<num_3>', 'is_final': False}",
        "op.execute('UPDATE orders SET status = :str_16 WHERE status IS NULL')",
        "UPDATE customers SET is_active = :num_17 WHERE email LIKE :str_18 AND id < :num_19", "op.drop_table('order_statuses')",
    ],
)
def test_the_schema_and_the_shape_of_the_data_changes_stay(demo_redacted, kept):
    assert kept in demo_redacted


def test_comments_go_and_docstrings_keep_their_first_line_only(demo_redacted):
    assert '"""order_statuses lookup table and backfill of legacy orders"""' in demo_redacted
    assert "Branch A" not in demo_redacted and "bulk_insert of the lookup rows" not in demo_redacted
    assert "#" not in demo_redacted
    assert "imported from the old shop" not in demo_redacted.lower()
    ast.parse(demo_redacted)


# ---------------------------------------------------------------------------------- SQL text


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("UPDATE t SET a = 'x' WHERE b = 5", "UPDATE t SET a = :str_1 WHERE b = :num_2"),
        ("SELECT * FROM t2 WHERE c3 = -1.5 AND d = 'it''s'", "SELECT * FROM t2 WHERE c3 = :num_1 AND d = :str_2"),
        ("UPDATE t SET a = :value WHERE id IN (:ids)", "UPDATE t SET a = :value WHERE id IN (:ids)"),
        ("DELETE FROM log_2019 WHERE x.y1 = 7", "DELETE FROM log_2019 WHERE x.y1 = :num_1"),
        ("CREATE INDEX ix ON t (lower(email))", "CREATE INDEX ix ON t (lower(email))"),
    ],
)
def test_sql_literals_become_placeholders_and_names_stay(sql, expected):
    assert redact_sql(sql, [0]) == expected


# ---------------------------------------------------------------------------------- other ways to write data


@pytest.mark.parametrize(
    "code, secret",
    [
        ("op.execute(orders.update().where(orders.c.status == 'secret-where').values(status='secret-values'))", "secret-"),
        ("op.get_bind().execute(sa.text('UPDATE c SET e = :e'), {'e': 'secret@param.example'})", "secret@param"),
        ("op.get_bind().execute(sa.text('UPDATE c SET n = :n'), dict(n='secret-kw'))", "secret-kw"),
        ("op.get_bind().execute(sa.text('UPDATE c SET n = :n').bindparams(n='secret-bind'))", "secret-bind"),
        ("op.execute(sa.insert(orders).values([{'id': 4242, 'status': 'secret-insert'}]))", "secret-insert"),
        ("op.execute(f\"UPDATE orders SET status = 'secret-fstring' WHERE id > {LIMIT}\")", "secret-fstring"),
        ("op.execute(\"UPDATE a SET b = 'x'\" + \" WHERE c = 'secret-concat'\")", "secret-concat"),
        ("op.execute(\"UPDATE a SET b = '%s'\" % 'secret-percent')", "secret-percent"),
        ("op.execute(sa.text('UPDATE a SET b = :b').bindparams(sa.bindparam('b', 'secret-bindparam')))", "secret-bindparam"),
        ("op.get_bind().exec_driver_sql(\"UPDATE a SET b = 'secret-driver'\")", "secret-driver"),
        ("op.bulk_insert(t, [{'id': 4242, 'name': 'secret-bulk', 'nested': {'k': 'secret-nested'}}])", "secret-"),
        ("rows = [('secret-tuple', 4242)]\nop.bulk_insert(t, [{'a': a, 'b': b} for a, b in rows])", "secret-tuple"),
    ],
)
def test_values_never_survive_whatever_api_writes_them(code, secret):
    source = "import sqlalchemy as sa\nfrom alembic import op\norders = sa.table('orders', sa.column('id'), sa.column('status'))\n" \
             "LIMIT = 5\n\ndef upgrade():\n" + textwrap.indent(code, "    ") + "\n"

    redacted = redact_source(source)

    assert secret not in redacted
    assert "4242" not in redacted
    assert "sa.table('orders', sa.column('id'), sa.column('status'))" in redacted  # names stay
    ast.parse(redacted)


def test_column_names_in_core_statements_and_bind_names_stay():
    redacted = redact("""
        def upgrade():
            op.execute(orders.update().where(orders.c.status == 'x').values(status='y'))
            op.get_bind().execute(sa.text('UPDATE c SET e = :e'), {'e': 'v', 'weird-key': 'w'})
    """)

    assert ".values(status='<str_2>')" in redacted
    assert "{'e': '<str_4>', '<str_3>': '<str_5>'}" in redacted  # a key that is no name is a value too


@pytest.mark.parametrize(
    "code",
    [
        "op.add_column('orders', sa.Column('note', sa.String(20), server_default='kept-default'))",
        "op.add_column('orders', sa.Column('n', sa.Integer(), server_default=sa.text('0')))",
        "op.create_check_constraint('ck_status', 'orders', \"status IN ('new', 'paid')\")",
        "op.create_table('t', sa.Column('kind', sa.Enum('small', 'large', name='kind')))",
        "op.alter_column('orders', 'status', existing_type=sa.String(length=20), nullable=False)",
        "op.create_index(op.f('ix_orders_status'), 'orders', ['status'], unique=False)",
    ],
)
def test_schema_definitions_stay_whole(code):
    redacted = redact("def upgrade():\n    " + code + "\n")

    assert ast.dump(ast.parse(code).body[0]) in ast.dump(ast.parse(redacted))


def test_module_constants_are_redacted_and_sql_constants_keep_their_shape():
    redacted = redact("""
        STATUS = 'secret-constant'
        LIMIT = 4242
        SQL = "UPDATE orders SET status = 'secret-sql' WHERE id < 10"
        ENABLED = True
        NOTHING = None
    """)

    assert "STATUS = '<str_1>'" in redacted and "LIMIT = '<num_2>'" in redacted
    assert "SQL = 'UPDATE orders SET status = :str_3 WHERE id < :num_4'" in redacted
    assert "ENABLED = True" in redacted and "NOTHING = None" in redacted


# ---------------------------------------------------------------------------------- findings and pytest reports


def test_sql_quoted_in_a_finding_is_redacted():
    message = ("upgrade: IntegrityError: (sqlite3.IntegrityError) CHECK constraint failed: ck_status "
               "[SQL: UPDATE orders SET status = 'legacy-unknown' WHERE id < 4242] (at d1a0055ad3f0_x.py:50)")

    assert redact_finding(message) == (
        "upgrade: IntegrityError: (sqlite3.IntegrityError) CHECK constraint failed: ck_status "
        "[SQL: UPDATE orders SET status = :str_1 WHERE id < :num_2] (at d1a0055ad3f0_x.py:50)"
    )
    assert redact_finding("downgrade: OperationalError: no such index: ix [SQL: DROP INDEX ix]") == (
        "downgrade: OperationalError: no such index: ix [SQL: DROP INDEX ix]"
    )


PYTEST_REPORT = """\
test_model_statuses: AssertionError: assert [{'code': 'ca...t_order': 30}] == []
migrations = <conftest.MigrationHistory object at 0x7f12a8bc8490>

    def test_model_statuses(migrations):
        \"\"\"Statuses are empty.\"\"\"
        database = migrations.database_after(REVISION)
        database.insert("customers", [{"id": 7, "email": "mine@example.test"}])
>       assert [r["code"] for r in database.rows("order_statuses")] == ["new"]
E       AssertionError: assert ['legacy-unknown', 'new'] == ['new']
E         Left contains 1 more item, first extra item: {'code': 'legacy-unknown', 'sort_order': 4242}
E         At index 0 diff: 'legacy-unk... != 'new'

/tmp/localmig-verify-xhtbih7v/test_d1a0055ad3f0_order_statuses.py:146: AssertionError
/work/venv/lib/python3.11/site-packages/sqlalchemy/engine/base.py:1964: in _exec_single_context
C:\\Users\\someone\\project\\tests\\x.py:3: in helper
"""


def test_a_pytest_report_keeps_the_models_own_literals_and_schema_names_only():
    known = {"code", "sort_order", "order_statuses", "customers", "id", "email", "new", "7", "mine@example.test",
             "Statuses are empty."}

    redacted = redact_failure(PYTEST_REPORT, known)

    for secret in ("legacy-unk", "4242", "/tmp/", "/work/", "site-packages", "C:\\", "someone", "'ca...t_order'"):
        assert secret not in redacted, secret
    assert "AssertionError: assert ['<str>', 'new'] == ['new']" in redacted
    assert "{'code': '<str>', 'sort_order': <num>}" in redacted
    assert 'database.insert("customers", [{"id": 7, "email": "mine@example.test"}])' in redacted
    assert '"""Statuses are empty."""' in redacted
    assert "test_d1a0055ad3f0_order_statuses.py:146: AssertionError" in redacted
    assert "base.py:1964: in _exec_single_context" in redacted and "x.py:3: in helper" in redacted


PG_REPORT = """\
test_model_contacts: sqlalchemy.exc.IntegrityError: (psycopg.errors.UniqueViolation) duplicate key value
E       sqlalchemy.exc.IntegrityError: (psycopg.errors.UniqueViolation) duplicate key value violates unique constraint "uq_contacts_email"
E       DETAIL:  Key (email, note)=(cnry-key@example.invalid, it's (cnry)) already exists.
E       [SQL:
E               UPDATE contacts  -- cnry-comment
E               SET note = $$cnry-dollar$$ WHERE id = 7311051
E           ]
E       [parameters: {'note': 'cnry-param'}]
E       DETAIL:  Failing row contains (7311052, cnry-row@example.invalid, null).
E       AssertionError: cnry-computed-message
E       assert False
E       AssertionError: rows should be empty
E       assert [] == ['x']
"""


def test_a_postgresql_report_loses_its_values_its_sql_literals_and_computed_messages():
    known = {"contacts", "email", "note", "id", "uq_contacts_email", "rows should be empty", "x"}

    redacted = redact_failure(PG_REPORT, known)

    assert "cnry" not in redacted and "7311051" not in redacted and "7311052" not in redacted
    assert 'violates unique constraint "uq_contacts_email"' in redacted
    assert "Key (email, note)=(<values>) already exists." in redacted
    assert "UPDATE contacts  \nE               SET note = :str_1 WHERE id = :num_2" in redacted
    assert "[parameters: {'note': '<str>'}]" in redacted
    assert "Failing row contains (<values>)." in redacted
    assert "AssertionError: <message>\nE       assert False" in redacted
    assert "AssertionError: rows should be empty" in redacted  # the model's own message


def test_a_finding_quoting_a_value_keeps_the_names_the_model_is_shown_and_loses_the_value():
    known = {"orders", "status", "ticket_status", "x", "py", "12"}
    message = ('upgrade: DataError: (psycopg.errors.InvalidTextRepresentation) invalid input value for enum '
               'ticket_status: "cnry-status" [SQL: UPDATE orders SET status = \'cnry-status\'] (at x.py:12)')

    assert redact_finding(message, "postgresql", known) == (
        "upgrade: DataError: (psycopg.errors.InvalidTextRepresentation) invalid input value for enum "
        "ticket_status: '<str>' [SQL: UPDATE orders SET status = :str_1] (at x.py:12)")
    assert redact_finding('relation "orders" does not exist', None, known) == 'relation "orders" does not exist'


# ---------------------------------------------------------------------------------- the token budget


def context(**changes) -> ModelContext:
    values = dict(
        revision="abc123", message="add orders.note", dialect="sqlite", changes=["add column orders.note"],
        schema_before={"orders": ["id Integer() NOT NULL", "PRIMARY KEY (id)"], "customers": ["id Integer() NOT NULL"] * 40},
        schema_after={"orders": ["id Integer() NOT NULL", "note Text() NULL", "PRIMARY KEY (id)"]},
        source="\n".join(f"op.execute('UPDATE orders SET note = :str_{i}')" for i in range(200)),
        neighbours=["customers"], existing_tests=[f"test_existing_number_{i}" for i in range(30)], findings=[],
    )
    return ModelContext(**{**values, **changes})


PROMPTS = PromptSet("default")


def render(c: ModelContext) -> str:
    return PROMPTS.render("generate", **c.variables())


def tokens(c: ModelContext) -> int:
    return estimate_tokens(render(c))


def test_a_context_that_fits_is_left_alone():
    whole = context()

    assert fit(whole, render, tokens(whole)) is whole
    assert "Left out" not in render(whole)


def test_cuts_go_neighbours_first_then_existing_tests_then_the_sources_tail():
    whole = context()
    without_neighbours = context(schema_before={"orders": whole.schema_before["orders"]})
    without_tests = without_neighbours.model_copy(update={"existing_tests": []})

    cut = fit(whole, render, tokens(without_neighbours) + 40)
    assert cut.cut == ["schemas of neighbouring tables customers"]
    assert "customers" not in cut.schema_before and cut.existing_tests == whole.existing_tests
    assert "(Left out to fit the context window: schemas of neighbouring tables customers.)" in render(cut)
    assert whole.neighbours == ["customers"] and "customers" in whole.schema_before  # the original is untouched

    cut = fit(whole, render, tokens(without_tests) + 40)
    assert cut.cut[:2] == ["schemas of neighbouring tables customers", "the names of 30 existing tests"]
    assert cut.source == whole.source

    cut = fit(whole, render, tokens(without_tests) - 500)
    assert cut.cut[-1].startswith("the source after line ")
    kept = int(cut.cut[-1].rsplit(" ", 1)[1])
    assert cut.source.splitlines()[:kept] == whole.source.splitlines()[:kept]
    assert cut.source.endswith("# ... (rest of the source left out)")
    assert tokens(cut) <= tokens(without_tests) - 500
    assert "the source after line" in render(cut)


def test_when_even_the_minimum_does_not_fit_it_is_prompt_too_large():
    with pytest.raises(PromptTooLarge) as raised:
        fit(context(), render, 100)

    assert str(raised.value).startswith("the prompt for abc123 needs about ")
    assert str(raised.value).endswith("tokens; the profile allows 100")
    assert "num_ctx" in raised.value.hint
    assert raised.value.exit_code == ExitCode.MODEL


def test_the_token_estimate_is_conservative_for_code():
    assert estimate_tokens("") == 0
    assert estimate_tokens("x" * 35) == 10
    assert estimate_tokens(DATA_MIGRATION.read_text()) > len(DATA_MIGRATION.read_text().split())


def test_variables_fill_every_placeholder_of_generate():
    variables = context(hint="check NULL notes", findings=["downgrade: boom"], cut=["x"]).variables()

    assert set(variables) == {"revision", "message", "dialect", "changes", "schema_before", "schema_after", "source",
                              "existing_tests", "findings", "hint", "cut"}
    assert variables["hint"] == "\nWhat the reviewer asks for: check NULL notes\n"
    assert variables["findings"] == "- downgrade: boom"
    assert context(existing_tests=[], findings=[]).variables()["existing_tests"] == "(none)"
