"""gadgets: drop legacy_code, name becomes NOT NULL

Revision ID: ba7c03a8b9c0
Revises: ba7c02c5d6e7
Create Date: 2026-07-08 17:03:44.602153

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'ba7c03a8b9c0'
down_revision: Union[str, Sequence[str], None] = 'ba7c02c5d6e7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("gadgets", schema=None) as batch_op:
        batch_op.drop_column("legacy_code")
        batch_op.alter_column(
            "name",
            existing_type=sa.String(length=50),
            nullable=False,
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("gadgets", schema=None) as batch_op:
        batch_op.alter_column(
            "name",
            existing_type=sa.String(length=50),
            nullable=True,
        )
        # put the column back where it was, before sku
        batch_op.add_column(
            sa.Column("legacy_code", sa.String(length=20), nullable=True),
            insert_after="price",
        )
