"""create orders_archive table

DELIBERATELY BROKEN UPGRADE: upgrade() creates the table "orders" again
instead of "orders_archive", so it raises
sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) table orders already exists.

Revision ID: f0a102e5f6a7
Revises: f0a101b2c3d4
Create Date: 2026-02-16 09:58:03.842266

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'f0a102e5f6a7'
down_revision: Union[str, Sequence[str], None] = 'f0a101b2c3d4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # BROKEN ON PURPOSE (copy-paste slip): this should create "orders_archive".
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("archived_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orders_archive"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("orders_archive")
