"""index orders_archive.archived_at

Descends from the broken f0a102e5f6a7: cannot be reached.

Revision ID: f0a103c8d9e0
Revises: f0a102e5f6a7
Create Date: 2026-03-10 14:22:37.665190

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'f0a103c8d9e0'
down_revision: Union[str, Sequence[str], None] = 'f0a102e5f6a7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(
        "ix_orders_archive_archived_at", "orders_archive", ["archived_at"], unique=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_orders_archive_archived_at", table_name="orders_archive")
