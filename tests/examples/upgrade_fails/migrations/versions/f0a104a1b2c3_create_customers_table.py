"""create customers table

Sound branch from f0a101b2c3d4 (not affected by f0a102e5f6a7).

Revision ID: f0a104a1b2c3
Revises: f0a101b2c3d4
Create Date: 2026-03-11 11:07:25.390448

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'f0a104a1b2c3'
down_revision: Union[str, Sequence[str], None] = 'f0a101b2c3d4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("customers")
