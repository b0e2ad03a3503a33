"""add tickets.priority (enum)

Revision ID: e0a002f1a3b5
Revises: e0a001c5d7e9
Create Date: 2026-05-13 15:36:27.819050

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision: str = 'e0a002f1a3b5'
down_revision: Union[str, Sequence[str], None] = 'e0a001c5d7e9'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# create_type=False: the type is created and dropped explicitly below.
ticket_priority = postgresql.ENUM(
    "low", "normal", "urgent", name="ticket_priority", create_type=False
)


def upgrade() -> None:
    """Upgrade schema."""
    bind = op.get_bind()
    ticket_priority.create(bind, checkfirst=True)
    op.add_column(
        "tickets",
        sa.Column(
            "priority", ticket_priority, server_default="normal", nullable=False
        ),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("tickets", "priority")
    ticket_priority.drop(op.get_bind(), checkfirst=True)
