"""create tiers lookup table

Revision ID: da7a03c7d8e9
Revises: da7a02e4f5a6
Create Date: 2026-03-18 16:20:57.987645

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'da7a03c7d8e9'
down_revision: Union[str, Sequence[str], None] = 'da7a02e4f5a6'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    tiers = op.create_table(
        "tiers",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("min_lifetime_cents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_tiers"),
    )
    op.bulk_insert(
        tiers,
        [
            {"code": "standard", "label": "Standard", "min_lifetime_cents": 0},
            {"code": "silver", "label": "Silver", "min_lifetime_cents": 250000},
            {"code": "gold-legacy", "label": "Gold (pre-2026 programme)", "min_lifetime_cents": 777000},
        ],
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("tiers")
