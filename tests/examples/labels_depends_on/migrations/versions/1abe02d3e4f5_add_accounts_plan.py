"""add accounts.plan

Revision ID: 1abe02d3e4f5
Revises: 1abe01c0a1b2
Create Date: 2026-02-24 12:45:31.662208

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '1abe02d3e4f5'
down_revision: Union[str, Sequence[str], None] = '1abe01c0a1b2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "accounts",
        sa.Column("plan", sa.String(length=20), server_default="free", nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("plan")
