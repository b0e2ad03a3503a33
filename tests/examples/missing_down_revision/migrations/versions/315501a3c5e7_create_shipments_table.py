"""create shipments table

Revision ID: 315501a3c5e7
Revises: 
Create Date: 2026-01-26 09:25:14.641209

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '315501a3c5e7'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_number", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_shipments"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("shipments")
