"""add widgets.weight_grams

BROKEN ON PURPOSE: down_revision points at c1c102b3d4e5, which points back here.

Revision ID: c1c103f6a7b8
Revises: c1c102b3d4e5
Create Date: 2026-03-18 15:26:47.830194

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c1c103f6a7b8'
down_revision: Union[str, Sequence[str], None] = 'c1c102b3d4e5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("widgets", sa.Column("weight_grams", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("widgets", schema=None) as batch_op:
        batch_op.drop_column("weight_grams")
