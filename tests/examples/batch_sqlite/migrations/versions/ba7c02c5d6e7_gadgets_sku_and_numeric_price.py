"""gadgets: add unique sku, price becomes NUMERIC(10, 2)

Revision ID: ba7c02c5d6e7
Revises: ba7c01f2a3b4
Create Date: 2026-04-16 10:27:35.119470

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'ba7c02c5d6e7'
down_revision: Union[str, Sequence[str], None] = 'ba7c01f2a3b4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("gadgets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sku", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint("uq_gadgets_sku", ["sku"])
        batch_op.alter_column(
            "price",
            existing_type=sa.Integer(),
            type_=sa.Numeric(precision=10, scale=2),
            existing_nullable=True,
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("gadgets", schema=None) as batch_op:
        batch_op.alter_column(
            "price",
            existing_type=sa.Numeric(precision=10, scale=2),
            type_=sa.Integer(),
            existing_nullable=True,
        )
        batch_op.drop_constraint("uq_gadgets_sku", type_="unique")
        batch_op.drop_column("sku")
