"""create teams table

Branch B (from b3a901d4e6f8).

Revision ID: b3a903f7b9d2
Revises: b3a901d4e6f8
Create Date: 2026-02-03 09:47:55.207361

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b3a903f7b9d2'
down_revision: Union[str, Sequence[str], None] = 'b3a901d4e6f8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_teams"),
        sa.UniqueConstraint("name", name="uq_teams_name"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("teams")
