"""create products table

Revision ID: d1a0023f9a61
Revises: d1a001e4c7b2
Create Date: 2026-01-19 16:42:51.004219

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'd1a0023f9a61'
down_revision: Union[str, Sequence[str], None] = 'd1a001e4c7b2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
        sa.UniqueConstraint("sku", name="uq_products_sku"),
    )
    op.create_index("ix_products_name", "products", ["name"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_products_name", table_name="products")
    op.drop_table("products")
