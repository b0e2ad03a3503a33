"""index events.kind

Revision ID: 0e1a04a1b2c3
Revises: 0e1a03f8a9b0
Create Date: 2026-04-22 08:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0e1a04a1b2c3'
down_revision: Union[str, Sequence[str], None] = '0e1a03f8a9b0'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_events_kind", "events", ["kind"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_events_kind", table_name="events")
