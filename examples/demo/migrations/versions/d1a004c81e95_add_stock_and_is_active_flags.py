"""add products.stock and customers.is_active

Revision ID: d1a004c81e95
Revises: d1a0037b2d48
Create Date: 2026-02-17 14:30:09.120566

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'd1a004c81e95'
down_revision: Union[str, Sequence[str], None] = 'd1a0037b2d48'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # NOT NULL columns on tables that already have rows: the server default
    # fills the existing rows.
    op.add_column(
        "products",
        sa.Column("stock", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "customers",
        sa.Column(
            "is_active", sa.Boolean(), server_default=sa.text("1"), nullable=False
        ),
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("is_active")

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("stock")
