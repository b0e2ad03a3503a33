"""create gadgets table

Revision ID: ba7c01f2a3b4
Revises: 
Create Date: 2026-01-27 14:18:22.774519

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'ba7c01f2a3b4'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "gadgets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=True),
        sa.Column("price", sa.Integer(), nullable=True),
        sa.Column("legacy_code", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_gadgets"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("gadgets")
