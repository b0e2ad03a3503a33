"""create bookmarks table

Revision ID: e0e101b7c9d1
Revises: 
Create Date: 2026-02-18 09:03:36.215850

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'e0e101b7c9d1'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "bookmarks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bookmarks"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("bookmarks")
