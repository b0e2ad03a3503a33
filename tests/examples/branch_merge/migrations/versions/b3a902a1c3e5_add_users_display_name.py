"""add users.display_name

Branch A (from b3a901d4e6f8).

Revision ID: b3a902a1c3e5
Revises: b3a901d4e6f8
Create Date: 2026-02-02 14:05:18.660734

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b3a902a1c3e5'
down_revision: Union[str, Sequence[str], None] = 'b3a901d4e6f8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "users", sa.Column("display_name", sa.String(length=120), nullable=True)
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("display_name")
