"""create widgets table

Revision ID: c1c101a0b1c2
Revises: 
Create Date: 2026-02-10 11:34:26.195043

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c1c101a0b1c2'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "widgets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_widgets"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("widgets")
