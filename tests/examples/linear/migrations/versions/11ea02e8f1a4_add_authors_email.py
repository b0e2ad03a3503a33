"""add authors.email

Revision ID: 11ea02e8f1a4
Revises: 11ea01b3c5d7
Create Date: 2026-02-11 15:23:40.551092

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '11ea02e8f1a4'
down_revision: Union[str, Sequence[str], None] = '11ea01b3c5d7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("authors", sa.Column("email", sa.String(length=255), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("authors", schema=None) as batch_op:
        batch_op.drop_column("email")
