"""GIN index on events.payload

Revision ID: 75b002d0e2f4
Revises: 75b001a4b6c8
Create Date: 2026-06-24 14:48:33.181907

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '75b002d0e2f4'
down_revision: Union[str, Sequence[str], None] = '75b001a4b6c8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(
        "ix_events_payload",
        "events",
        ["payload"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"payload": "jsonb_path_ops"},
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_events_payload", table_name="events", postgresql_using="gin")
