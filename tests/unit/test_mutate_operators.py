"""Mutation operators: each makes exactly the edit it names, at the node's exact position, and nothing else."""

from __future__ import annotations

import ast
import textwrap

import pytest

from localmig.mutate.operators import OPERATORS, mutants_for
from localmig.mutate.source import Source
from localmig.mutate.sql import where_removals

MIGRATION = textwrap.dedent('''\
    """a revision"""
    from alembic import op
    import sqlalchemy as sa
    from sqlalchemy import orm

    revision = "aaaa00000001"
    down_revision = None


    def _helper():
        op.drop_table("never_mutated")  # not upgrade() or downgrade(): left alone


    def upgrade() -> None:
        op.create_table(
            "orders",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("code", sa.String(length=40), server_default="new", nullable=False),
            sa.Column("paid", sa.Boolean(), server_default=sa.text("0"), nullable=False),
            sa.Column("placed", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
            sa.ForeignKeyConstraint(["id"], ["customers.id"], name="fk_x", ondelete="CASCADE"),
            sa.UniqueConstraint("code", name="uq_orders_code"),
        )
        op.create_index("ix_orders_code", "orders", ["code"], unique=False)
        with op.batch_alter_table("orders") as batch_op:
            batch_op.alter_column("code", existing_type=sa.String(length=40), type_=sa.BigInteger(), nullable=True)
            batch_op.create_unique_constraint("uq_orders_paid", ["paid"])
        op.execute("UPDATE orders SET paid = 1 WHERE code = 'new'")
        connection = op.get_bind()
        connection.execute(sa.text("DELETE FROM orders WHERE paid = 0"))
        session = orm.Session(bind=connection)
        session.add(object())
        session.query(object).filter_by(paid=1).update({"paid": 0})
        connection.execute(sa.update(sa.table("orders")).where(sa.column("paid") == 1).values(paid=2))


    def downgrade() -> None:
        op.drop_index("ix_orders_code", table_name="orders")
        op.drop_table("orders")
''')


@pytest.fixture(scope="module")
def mutants():
    return mutants_for(MIGRATION, revision="aaaa00000001", file="versions/a.py")


def only(mutants, operator, needle):
    found = [m for m in mutants if m.operator == operator and needle in m.description]
    assert len(found) == 1, [m.description for m in mutants if m.operator == operator]
    return found[0]


def test_every_operator_finds_its_targets_and_every_mutant_parses(mutants):
    assert {m.operator for m in mutants} == set(OPERATORS)
    texts = [m.apply(MIGRATION) for m in mutants]
    assert len(set(texts)) == len(texts), "two mutants make the same file"
    for mutant, text in zip(mutants, texts):
        ast.parse(text)
        assert text != MIGRATION
        assert mutant.diff(MIGRATION).count("\n@@ ") == 1, "one change, one hunk"
        assert mutant.function in ("upgrade", "downgrade")


def test_helpers_outside_upgrade_and_downgrade_are_never_mutated(mutants):
    assert all('op.drop_table("never_mutated")' in m.apply(MIGRATION) for m in mutants)
    assert not [m for m in mutants if "never_mutated" in m.description]


@pytest.mark.parametrize(("operator", "needle", "old", "new"), [
    ("nullable_flipped", 'sa.Column("id"', 'sa.Column("id", sa.Integer(), nullable=False)', 'sa.Column("id", sa.Integer(), nullable=True)'),
    ("type_changed", 'Integer() → BigInteger() in sa.Column("id"', 'sa.Column("id", sa.Integer()', 'sa.Column("id", sa.BigInteger()'),
    ("type_changed", "length 20", 'sa.Column("code", sa.String(length=40)', 'sa.Column("code", sa.String(length=20)'),
    ("type_changed", 'Text() in sa.Column("code"', 'sa.Column("code", sa.String(length=40)', 'sa.Column("code", sa.Text()'),
    ("type_changed", "Boolean() → Integer()", '"paid", sa.Boolean(),', '"paid", sa.Integer(),'),
    ("type_changed", "BigInteger() → Integer()", "type_=sa.BigInteger()", "type_=sa.Integer()"),
    ("server_default_removed", '"new"', 'sa.String(length=40), server_default="new", nullable=False',
     "sa.String(length=40), nullable=False"),
    ("server_default_changed", '"new"', 'server_default="new"', 'server_default="new_mutated"'),
    ("server_default_changed", 'sa.text("0")', 'server_default=sa.text("0")', 'server_default=sa.text("1")'),
    ("server_default_changed", "CURRENT_TIMESTAMP", 'sa.text("CURRENT_TIMESTAMP")', 'sa.text("\'2000-01-01 00:00:00\'")'),
    ("server_default_removed", "CURRENT_TIMESTAMP", 'sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"))',
     "sa.DateTime())"),
    ("fk_action_removed", "ondelete", 'name="fk_x", ondelete="CASCADE")', 'name="fk_x")'),
    ("unique_removed", "UniqueConstraint", ',\n        sa.UniqueConstraint("code", name="uq_orders_code")', ""),
    ("unique_removed", "uq_orders_paid", 'batch_op.create_unique_constraint("uq_orders_paid", ["paid"])', "pass"),
    ("index_made_unique", "ix_orders_code", '["code"], unique=False)', '["code"], unique=True)'),
    ("op_removed", "op.create_index", 'op.create_index("ix_orders_code", "orders", ["code"], unique=False)', "pass"),
    ("op_removed", "batch_op.alter_column",
     'batch_op.alter_column("code", existing_type=sa.String(length=40), type_=sa.BigInteger(), nullable=True)', "pass"),
    ("op_removed", "drop_index", 'op.drop_index("ix_orders_code", table_name="orders")', "pass"),
    ("data_statement_removed", "op.execute", "op.execute(\"UPDATE orders SET paid = 1 WHERE code = 'new'\")", "pass"),
    ("data_statement_removed", "connection.execute(sa.text",
     'connection.execute(sa.text("DELETE FROM orders WHERE paid = 0"))', "pass"),
    ("data_statement_removed", "session.add", "session.add(object())", "pass"),
    ("data_statement_removed", "session.query", 'session.query(object).filter_by(paid=1).update({"paid": 0})', "pass"),
    ("where_removed", "UPDATE orders SET paid = 1", "\"UPDATE orders SET paid = 1 WHERE code = 'new'\"",
     '"UPDATE orders SET paid = 1"'),
    ("where_removed", "DELETE FROM orders", '"DELETE FROM orders WHERE paid = 0"', '"DELETE FROM orders"'),
    ("where_removed", ".where(", '.where(sa.column("paid") == 1).values(paid=2)', ".values(paid=2)"),
])
def test_an_operator_changes_exactly_what_it_names(mutants, operator, needle, old, new):
    mutant = only(mutants, operator, needle)
    assert MIGRATION.count(old) == 1
    assert mutant.apply(MIGRATION) == MIGRATION.replace(old, new)


def test_the_alembic_schema_calls_that_are_not_changes_are_left_alone(mutants):
    removed = [m.description for m in mutants if m.operator in ("op_removed", "data_statement_removed")]
    assert not [d for d in removed if "get_bind" in d or "batch_alter_table" in d]
    assert not [m for m in mutants if m.operator == "op_removed" and "execute" in m.description]


def test_a_call_two_operators_would_remove_counts_once_for_the_specific_operator(mutants):
    kinds = [m.operator for m in mutants if "uq_orders_paid" in m.description]
    assert kinds == ["unique_removed"]
    alone = mutants_for(MIGRATION, revision="r", file="f.py", operators={"op_removed"})
    assert [m for m in alone if "uq_orders_paid" in m.description]


def test_operators_can_be_chosen_and_ids_are_stable(mutants):
    chosen = mutants_for(MIGRATION, revision="aaaa00000001", file="versions/a.py", operators={"nullable_flipped"})
    assert chosen and {m.operator for m in chosen} == {"nullable_flipped"}
    assert [m.id for m in chosen] == [m.id for m in mutants if m.operator == "nullable_flipped"]
    assert all(m.id.startswith("aaaa00000001:upgrade:") for m in chosen)


def test_positions_are_exact_after_characters_of_several_bytes():
    text = textwrap.dedent('''\
        from alembic import op
        import sqlalchemy as sa


        def upgrade():
            op.add_column("t", sa.Column("naïve_é", sa.String(length=10), nullable=True))  # café
    ''')
    (nullable,) = mutants_for(text, revision="r", file="f.py", operators={"nullable_flipped"})
    assert nullable.apply(text).splitlines()[-1] == '    op.add_column("t", sa.Column("naïve_é", sa.String(length=10), nullable=False))  # café'
    source = Source(text)
    call = source.tree.body[2].body[0].value
    assert source.segment(call.args[1]) == 'sa.Column("naïve_é", sa.String(length=10), nullable=True)'


def test_a_sql_string_split_over_lines_becomes_one_literal_without_its_where():
    text = textwrap.dedent('''\
        from alembic import op


        def upgrade():
            op.execute(
                "UPDATE customers SET is_active = 0 "
                "WHERE email LIKE '%@legacy.invalid' AND id < 4242"
            )
    ''')
    (mutant,) = mutants_for(text, revision="r", file="f.py", operators={"where_removed"})
    assert '    op.execute(\n        "UPDATE customers SET is_active = 0"\n    )\n' in mutant.apply(text)


def test_bare_type_names_get_sqlalchemy_of_the_module():
    text = "import sqlalchemy\nfrom alembic import op\nfrom sqlalchemy import Integer, Column\n\n\ndef upgrade():\n" \
           "    op.add_column('t', Column('n', Integer()))\n"
    (mutant,) = mutants_for(text, revision="r", file="f.py", operators={"type_changed"})
    assert "Column('n', sqlalchemy.BigInteger())" in mutant.apply(text)


@pytest.mark.parametrize(("sql", "expected"), [
    ("UPDATE t SET a = 1 WHERE b = 2", ["UPDATE t SET a = 1"]),
    ("DELETE FROM t WHERE id IN (SELECT id FROM u WHERE x = 1) RETURNING id", ["DELETE FROM t RETURNING id"]),
    ("UPDATE t SET a = (SELECT max(b) FROM u WHERE u.c = t.c)", []),
    ("UPDATE t SET a = 1 WHERE b = 2; DELETE FROM u WHERE c = 3;",
     ["UPDATE t SET a = 1; DELETE FROM u WHERE c = 3;", "UPDATE t SET a = 1 WHERE b = 2; DELETE FROM u;"]),
    ("SELECT * FROM t WHERE a = 1", []),
    ("INSERT INTO t (a) VALUES (1)", []),
    ("UPDATE t SET note = 'x WHERE y' WHERE id = 1 -- keep me", ["UPDATE t SET note = 'x WHERE y' -- keep me"]),
    ("not sql at all 'unterminated", []),
])
def test_where_clauses_are_found_with_a_sql_tokenizer(sql, expected):
    assert where_removals(sql) == expected
