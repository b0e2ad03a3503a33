"""orders.status: longer, required, must be a known status

Revision ID: d1a008e2a5c9
Revises: d1a0071f6e8d
Create Date: 2026-04-14 13:21:50.275833

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'd1a008e2a5c9'
down_revision: Union[str, Sequence[str], None] = 'd1a0071f6e8d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # SQLite cannot ALTER a column or add a foreign key: batch mode rebuilds
    # the table.  Every order has a status since d1a0055ad3f0.
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=20),
            type_=sa.String(length=32),
            nullable=False,
            existing_nullable=True,
        )
        batch_op.create_foreign_key(
            "fk_orders_status_order_statuses",
            "order_statuses",
            ["status"],
            ["code"],
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint("fk_orders_status_order_statuses", type_="foreignkey")
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=32),
            type_=sa.String(length=20),
            nullable=True,
            existing_nullable=False,
        )
