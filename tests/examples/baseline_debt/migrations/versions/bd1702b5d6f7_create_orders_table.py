"""create orders table

DEFECT ON PURPOSE: downgrade() is `pass`, so downgrading leaves the table
orders behind.

Revision ID: bd1702b5d6f7
Revises: bd1701a2c3e4
Create Date: 2026-02-09 11:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'bd1702b5d6f7'
down_revision: Union[str, Sequence[str], None] = 'bd1701a2c3e4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("placed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_orders_customer_id_customers",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    pass
