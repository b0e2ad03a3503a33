"""create accounts table

Base of the "core" branch.

Revision ID: 1abe01c0a1b2
Revises: 
Create Date: 2026-01-09 10:10:10.101010

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '1abe01c0a1b2'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = ('core',)
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("accounts")
