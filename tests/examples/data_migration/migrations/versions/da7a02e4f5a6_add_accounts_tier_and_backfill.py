"""add accounts.tier and backfill it

Revision ID: da7a02e4f5a6
Revises: da7a01b1c2d3
Create Date: 2026-02-26 11:48:13.030598

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'da7a02e4f5a6'
down_revision: Union[str, Sequence[str], None] = 'da7a01b1c2d3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("accounts", sa.Column("tier", sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE accounts SET tier = 'gold-legacy' WHERE lifetime_cents >= 777000"
    )
    op.execute("UPDATE accounts SET tier = 'standard' WHERE tier IS NULL")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("tier")
