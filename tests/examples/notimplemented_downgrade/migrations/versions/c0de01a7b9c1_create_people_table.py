"""create people table

Revision ID: c0de01a7b9c1
Revises: 
Create Date: 2026-02-05 10:21:37.118560

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c0de01a7b9c1'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=80), nullable=False),
        sa.Column("last_name", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("people")
