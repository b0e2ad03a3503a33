"""A small Alembic history whose data steps branch on values (for bench/model_value.py).

Its conditions are the kinds that synthetic seed rows rarely meet: ``IN`` lists, ``CASE WHEN``
ladders, conditions on two columns at once, ``LIKE`` patterns, ``IS NULL`` combined with another
condition, and a Python loop that normalises values. Built in a temporary folder with the
alembic.ini and env.py of the scenario projects in tests/examples (SQLite).
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1] / "tests" / "examples" / "data_migration"

HEADER = '''"""{message}

Revision ID: {revision}
Revises: {down}
"""
from alembic import op
import sqlalchemy as sa

revision = {revision!r}
down_revision = {down!r}
branch_labels = None
depends_on = None

'''

REVISIONS = [
    ("ba1e01a1b2c3", None, "create tickets and notes", '''
def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("priority", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("email", sa.String(length=120), nullable=False),
        sa.Column("amount_cents", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
    )
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_notes_ticket_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_notes"),
    )


def downgrade() -> None:
    op.drop_table("notes")
    op.drop_table("tickets")
'''),
    ("ba1e02d4e5f6", "ba1e01a1b2c3", "tickets.tier from the amount; statuses and priorities cleaned up", '''
def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tier", sa.String(length=16), nullable=True))
    op.execute(
        "UPDATE tickets SET tier = CASE WHEN amount_cents >= 50000 THEN 'large' "
        "WHEN amount_cents >= 1000 THEN 'medium' ELSE 'small' END"
    )
    op.execute("UPDATE tickets SET status = 'closed' WHERE status IN ('done', 'resolved')")
    op.execute("UPDATE tickets SET priority = 3 WHERE status = 'urgent' AND amount_cents > 10000")
    op.execute("DELETE FROM tickets WHERE email LIKE '%@spam.invalid'")


def downgrade() -> None:
    op.execute("UPDATE tickets SET status = 'done' WHERE status = 'closed'")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("tier")
'''),
    ("ba1e03a7b8c9", "ba1e02d4e5f6", "normalise ticket emails in Python", '''
def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, email FROM tickets WHERE email <> lower(trim(email))")).fetchall()
    for ticket_id, email in rows:
        bind.execute(
            sa.text("UPDATE tickets SET email = :email WHERE id = :id"),
            {"email": email.strip().lower(), "id": ticket_id},
        )


def downgrade() -> None:
    pass
'''),
    ("ba1e04c1d2e3", "ba1e03a7b8c9", "closed tickets without a date get one", '''
def upgrade() -> None:
    op.execute(
        "UPDATE tickets SET closed_at = '2020-01-01 00:00:00.000000' "
        "WHERE status = 'closed' AND closed_at IS NULL AND priority < 3"
    )


def downgrade() -> None:
    pass
'''),
]


def build(target: Path) -> Path:
    """The project in ``target`` (created); returns it."""
    target.mkdir(parents=True)
    shutil.copy(TEMPLATE / "alembic.ini", target / "alembic.ini")
    (target / "migrations" / "versions").mkdir(parents=True)
    for name in ("env.py", "script.py.mako"):
        shutil.copy(TEMPLATE / "migrations" / name, target / "migrations" / name)
    for revision, down, message, body in REVISIONS:
        slug = message.split(";")[0].replace(" ", "_").replace(".", "_")[:40]
        text = HEADER.format(message=message, revision=revision, down=down) + textwrap.dedent(body).lstrip()
        (target / "migrations" / "versions" / f"{revision}_{slug}.py").write_text(text, encoding="utf-8")
    return target
