"""SQL text redacted with sqlglot's tokenizer: every literal form, comments, names, bind parameters, dialects."""

from __future__ import annotations

import ast
import textwrap

import pytest

from localmig.context import redact_finding, redact_source, redact_sql
from localmig.context.sqltext import sqlglot_dialect

CANARY = "zq9canary"
DIALECTS = [None, "sqlite", "postgresql", "mysql"]

# Every way SQL text can hold a literal, each with the canary inside.
LITERAL_FORMS = {
    "plain string": f"UPDATE t SET a = '{CANARY}'",
    "doubled quote": f"UPDATE t SET a = 'it''s {CANARY}'",
    "dollar quote": f"UPDATE t SET a = $${CANARY}@corp.example$$",
    "tagged dollar quote": f"UPDATE t SET a = $tag${CANARY} with 'quotes' and $$ inside$tag$",
    "escape string": f"UPDATE t SET a = E'{CANARY}\\'s'",
    "national string": f"UPDATE t SET a = N'{CANARY}'",
    "hex string": "UPDATE t SET a = X'7A71396361'",
    "bit string": "UPDATE t SET a = B'0111101001110001'",
    "unicode string": f"UPDATE t SET a = U&'{CANARY}'",
    "line comment": f"UPDATE t SET a = 1 -- {CANARY}\nWHERE b = 2",
    "block comment": f"UPDATE t SET a = 1 /* {CANARY} */ WHERE b = 2",
    "comment first": f"-- {CANARY}\nUPDATE t SET a = 1",
    "number": "UPDATE t SET a = 73915 WHERE b = -73916.5 AND c = 7.3917e3 AND d = .73918",
    "hex number": "UPDATE t SET a = 0x73919",
    "string ending in a backslash": f"UPDATE t SET a = 'C:\\' WHERE b = '{CANARY}'",
    "backslash-escaped quote": f"UPDATE t SET a = 'it\\'s {CANARY}' WHERE b = 1",
    "unterminated string": f"UPDATE t SET a = '{CANARY}",
    "interval": f"UPDATE t SET a = now() + INTERVAL '{CANARY} days'",
    "typed literal": f"UPDATE t SET a = DATE '{CANARY}', b = '{CANARY}'::date",
}
CANARY_NUMBERS = ["73915", "73916", "7391", "73918", "73919"]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("form", LITERAL_FORMS)
def test_no_literal_survives_in_any_form_whatever_the_dialect(form, dialect):
    redacted = redact_sql(LITERAL_FORMS[form], [0], dialect)

    assert CANARY not in redacted and "7A71" not in redacted and "0111" not in redacted, redacted
    for number in CANARY_NUMBERS:
        assert number not in redacted, redacted
    assert redacted.startswith("UPDATE t SET a = ") or form == "comment first"
    assert ":str_1" in redacted or ":num_1" in redacted or "comment" in form


@pytest.mark.parametrize(
    "sql, dialect, expected",
    [
        ("UPDATE t SET a = $$x$$, b = $t$y$t$ WHERE c = E'z'", "postgresql",
         "UPDATE t SET a = :str_1, b = :str_2 WHERE c = :str_3"),
        ("UPDATE t SET a = N'x', b = X'AB', c = B'01', d = U&'u'", "postgresql",
         "UPDATE t SET a = :str_1, b = :str_2, c = :str_3, d = :str_4"),
        ("UPDATE t SET a = 1 -- why\nWHERE b = 2 /* how */ AND c = 3", "sqlite",
         "UPDATE t SET a = :num_1 \nWHERE b = :num_2  AND c = :num_3"),
        ("UPDATE t SET a = -1, b = 5-1, c = (+2.5), d = x.y - 3", None,
         "UPDATE t SET a = :num_1, b = :num_2-:num_3, c = (:num_4), d = x.y - :num_5"),
        ("UPDATE t SET a = 'unterminated, b = 2", None, "UPDATE t SET a = :str_1"),
    ],
)
def test_literals_become_numbered_placeholders_in_order(sql, dialect, expected):
    assert redact_sql(sql, [0], dialect) == expected


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "sql",
    [
        'UPDATE "Order Items" SET "Unit Price" = :price WHERE "order"."id" IN (:ids)',
        "UPDATE t SET a = $1, b = ?, c = %(c)s, d = %s, e = :e, f = :1",
        "INSERT INTO log_2019 (col1, x2) SELECT t2.c3, lower(t2.email) FROM t2 JOIN t3 ON t3.k = t2.k",
        "CREATE INDEX ix_orders_status ON orders (status) WHERE deleted_at IS NULL AND flag IS TRUE",
        "ALTER TABLE price$usd ADD COLUMN n INTEGER",
    ],
)
def test_names_keywords_and_bind_parameters_stay_as_written(sql, dialect):
    if dialect == "mysql" and '"' in sql:
        pytest.skip("double quotes are strings in MySQL")
    assert redact_sql(sql, [0], dialect) == sql


def test_quoted_identifiers_are_names_but_double_quotes_are_strings_in_mysql():
    sql = 'UPDATE t SET "Note" = :note'
    assert redact_sql(sql, [0], "postgresql") == sql
    assert redact_sql('UPDATE t SET a = "secret"', [0], "mysql") == "UPDATE t SET a = :str_1"
    assert redact_sql("UPDATE `t` SET [a] = 1", [0], "sqlite") == "UPDATE `t` SET [a] = :num_1"


@pytest.mark.parametrize(
    "name, expected",
    [("postgresql", "postgres"), ("postgresql+psycopg", "postgres"), ("sqlite", "sqlite"), ("mssql", "tsql"),
     ("mysql", "mysql"), (None, ""), ("firebird", "")],
)
def test_sqlalchemy_dialect_names_map_to_sqlglots(name, expected):
    assert sqlglot_dialect(name) == expected


# ---------------------------------------------------------------------------------- in migration sources


def redacted_upgrade(code: str, dialect: str | None = "sqlite") -> str:
    source = "import sqlalchemy as sa\nfrom alembic import op\n\n\ndef upgrade():\n" + textwrap.indent(code, "    ") + "\n"
    redacted = redact_source(source, dialect)
    ast.parse(redacted)
    return redacted


def test_postgresql_sql_in_a_dialect_branch_is_redacted_on_a_sqlite_capture():
    redacted = redacted_upgrade(
        "if op.get_bind().dialect.name == 'postgresql':\n"
        f"    op.execute(\"UPDATE t SET a = $${CANARY}$$, b = E'{CANARY}\\\\'s' WHERE c = $q${CANARY}$q$\")\n"
        "else:\n"
        f"    op.execute(\"UPDATE t SET a = '{CANARY}'\")\n"
    )

    assert CANARY not in redacted
    assert "UPDATE t SET a = :str_1, b = :str_2 WHERE c = :str_3" in redacted
    assert "op.get_bind().dialect.name == 'postgresql'" in redacted  # a dialect's name is no data


def test_an_f_string_is_read_as_one_sql_text_and_its_expressions_stay_code():
    redacted = redacted_upgrade(
        f"op.execute(f\"UPDATE {{table}} SET note = '{CANARY} {{suffix}}', n = {{count}} WHERE id > 7\")")

    assert CANARY not in redacted and " 7" not in redacted
    assert "f'UPDATE {table} SET note = :str_1, n = {count} WHERE id > :num_2'" in redacted


def test_a_concatenation_is_read_as_one_sql_text():
    redacted = redacted_upgrade(
        f"op.execute(\"UPDATE t SET a = '\" + value + \"', b = '{CANARY}'\" + \" WHERE c = \" + str(limit))")

    assert CANARY not in redacted
    assert "op.execute(\"UPDATE t SET a = :str_1, b = :str_2 WHERE c = \" + str(limit))" in redacted.replace("'", '"')


def test_percent_formatting_keeps_its_placeholders():
    redacted = redacted_upgrade(f"op.execute(\"UPDATE t SET a = %s, b = '{CANARY}'\" % (value,))")

    assert "'UPDATE t SET a = %s, b = :str_1' % (value,)" in redacted


def test_a_signed_python_number_is_one_placeholder():
    redacted = redacted_upgrade("op.bulk_insert(t, [{'n': -7311, 'm': +2.5}])\nFLOOR = -7312")

    assert "{'n': '<num_1>', 'm': '<num_2>'}" in redacted and "FLOOR = '<num_3>'" in redacted


def test_bytes_constants_are_values_too():
    redacted = redacted_upgrade(f"op.bulk_insert(t, [{{'blob': b'{CANARY}'}}])\nKEY = b'{CANARY}'")

    assert CANARY not in redacted
    assert "{'blob': '<bytes_1>'}" in redacted and "KEY = '<bytes_2>'" in redacted


def test_a_finding_quoting_postgresql_sql_is_redacted_with_its_dialect():
    message = f"upgrade: DataError: invalid input [SQL: UPDATE t SET a = $${CANARY}$$ WHERE id = 4242] (at x.py:3)"

    assert redact_finding(message, "postgresql") == \
        "upgrade: DataError: invalid input [SQL: UPDATE t SET a = :str_1 WHERE id = :num_2] (at x.py:3)"
