"""add carts.discount

Revision ID: a99a02b1c3d5
Revises: a99a01e5f7a9
Create Date: 2026-08-26 11:55:17.840462

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from shopapp.types import Money


# revision identifiers, used by Alembic.
revision: str = 'a99a02b1c3d5'
down_revision: Union[str, Sequence[str], None] = 'a99a01e5f7a9'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("carts", sa.Column("discount", Money(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.drop_column("discount")
