"""add notes.pinned

Revision ID: 5e7e02d8e0f2
Revises: 5e7e01a2b4c6
Create Date: 2026-03-12 13:14:26.090882

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5e7e02d8e0f2'
down_revision: Union[str, Sequence[str], None] = '5e7e01a2b4c6'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "notes",
        sa.Column("pinned", sa.Boolean(), server_default=sa.text("0"), nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_column("pinned")
