"""create tags table

Revision ID: 5e7e03b5c7d9
Revises: 5e7e01a2b4c6
Create Date: 2026-03-13 10:02:59.514673

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5e7e03b5c7d9'
down_revision: Union[str, Sequence[str], None] = '5e7e01a2b4c6'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tags"),
        sa.UniqueConstraint("label", name="uq_tags_label"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("tags")
