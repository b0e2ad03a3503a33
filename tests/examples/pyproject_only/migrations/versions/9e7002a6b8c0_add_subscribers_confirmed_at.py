"""add subscribers.confirmed_at

Revision ID: 9e7002a6b8c0
Revises: 9e7001d3e5f7
Create Date: 2026-06-17 14:14:30.762841

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '9e7002a6b8c0'
down_revision: Union[str, Sequence[str], None] = '9e7001d3e5f7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "subscribers", sa.Column("confirmed_at", sa.DateTime(), nullable=True)
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("confirmed_at")
