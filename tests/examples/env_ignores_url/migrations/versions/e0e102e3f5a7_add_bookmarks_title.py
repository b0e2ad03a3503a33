"""add bookmarks.title

Revision ID: e0e102e3f5a7
Revises: e0e101b7c9d1
Create Date: 2026-05-27 17:49:10.448306

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'e0e102e3f5a7'
down_revision: Union[str, Sequence[str], None] = 'e0e101b7c9d1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("bookmarks", sa.Column("title", sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("bookmarks", schema=None) as batch_op:
        batch_op.drop_column("title")
