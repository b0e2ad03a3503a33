"""add shipments.carrier

BROKEN ON PURPOSE: down_revision "3155dead0000" is not a revision of this
project (it was removed when a branch was squashed); it should be
"315501a3c5e7".

Revision ID: 315502b4c6d8
Revises: 3155dead0000
Create Date: 2026-03-06 14:58:39.372810

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '315502b4c6d8'
down_revision: Union[str, Sequence[str], None] = '3155dead0000'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("shipments", sa.Column("carrier", sa.String(length=40), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_column("carrier")
