"""order_statuses lookup table and backfill of legacy orders

Branch A (from d1a004c81e95); merged with the addresses branch in
d1a0071f6e8d.  Data migration: bulk_insert of the lookup rows, and two
UPDATEs through op.execute.

Revision ID: d1a0055ad3f0
Revises: d1a004c81e95
Create Date: 2026-03-04 10:12:44.671902

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'd1a0055ad3f0'
down_revision: Union[str, Sequence[str], None] = 'd1a004c81e95'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    order_statuses = op.create_table(
        "order_statuses",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column(
            "is_final", sa.Boolean(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("code", name="pk_order_statuses"),
    )
    op.bulk_insert(
        order_statuses,
        [
            {"code": "new", "label": "New", "sort_order": 10, "is_final": False},
            {"code": "paid", "label": "Paid", "sort_order": 20, "is_final": False},
            {"code": "shipped", "label": "Shipped", "sort_order": 30, "is_final": True},
            {"code": "cancelled", "label": "Cancelled", "sort_order": 90, "is_final": True},
            {
                "code": "legacy-unknown",
                "label": "Imported from the 2019 shop, status lost",
                "sort_order": 4242,
                "is_final": True,
            },
        ],
    )

    # Orders imported from the old shop have no status at all.
    op.execute("UPDATE orders SET status = 'legacy-unknown' WHERE status IS NULL")
    # Accounts imported with a placeholder address were never used: switch
    # them off (the import gave them ids below 4242).
    op.execute(
        "UPDATE customers SET is_active = 0 "
        "WHERE email LIKE '%@legacy-shop.invalid' AND id < 4242"
    )


def downgrade() -> None:
    """Downgrade schema."""
    # The deactivated legacy customers stay deactivated: that is data, and
    # harmless.  The status backfill is undone so that orders.status is as
    # it was.
    op.execute("UPDATE orders SET status = NULL WHERE status = 'legacy-unknown'")
    op.drop_table("order_statuses")
