"""add widgets.color

BROKEN ON PURPOSE: down_revision points at c1c103f6a7b8, which points back here (should be c1c101a0b1c2).

Revision ID: c1c102b3d4e5
Revises: c1c103f6a7b8
Create Date: 2026-03-17 10:48:02.557716

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c1c102b3d4e5'
down_revision: Union[str, Sequence[str], None] = 'c1c103f6a7b8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("widgets", sa.Column("color", sa.String(length=20), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("widgets", schema=None) as batch_op:
        batch_op.drop_column("color")
