"""create tickets table with a status enum

Revision ID: e0a001c5d7e9
Revises: 
Create Date: 2026-02-19 10:24:49.306278

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'e0a001c5d7e9'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # op.create_table() also emits CREATE TYPE ticket_status for the sa.Enum.
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "pending", "closed", name="ticket_status"),
            server_default="open",
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("tickets")
    # DROP TABLE leaves the type behind: drop it explicitly.
    sa.Enum(name="ticket_status").drop(op.get_bind(), checkfirst=False)
