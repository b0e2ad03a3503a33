"""add projects.owner

BROKEN ON PURPOSE: a comma is missing in upgrade() (after
sa.String(length=80)), so this file cannot be imported: SyntaxError.

Revision ID: 5e1102c4d6e8
Revises: 5e1101a9b8c7
Create Date: 2026-02-12 13:45:27.504196

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5e1102c4d6e8'
down_revision: Union[str, Sequence[str], None] = '5e1101a9b8c7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "projects",
        sa.Column("owner", sa.String(length=80) nullable=True),
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("owner")
