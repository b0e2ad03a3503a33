"""index order_items.product_id, add products.discontinued_at

DELIBERATELY BROKEN DOWNGRADE (this is the demo's defect): downgrade()
drops the index "ix_order_items_product", which does not exist (the index
is "ix_order_items_product_id"), so it RAISES:
sqlite3.OperationalError: no such index: ix_order_items_product.
The upgrade is fine.

Revision ID: d1a0094d7b13
Revises: d1a008e2a5c9
Create Date: 2026-06-02 15:09:12.730064

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'd1a0094d7b13'
down_revision: Union[str, Sequence[str], None] = 'd1a008e2a5c9'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(
        "ix_order_items_product_id", "order_items", ["product_id"], unique=False
    )
    op.add_column(
        "products", sa.Column("discontinued_at", sa.DateTime(), nullable=True)
    )


def downgrade() -> None:
    """Downgrade schema (broken on purpose, see the module docstring)."""
    # DELIBERATELY BROKEN: the index created above is ix_order_items_product_id;
    # ix_order_items_product does not exist, so this statement raises.
    op.drop_index("ix_order_items_product", table_name="order_items")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("discontinued_at")
