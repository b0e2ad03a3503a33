"""add payments.currency

BROKEN ON PURPOSE: imports localmig_no_such_module at module level, which
does not exist: ModuleNotFoundError when the file is loaded.

Revision ID: 1b0e02d5e6f7
Revises: 1b0e01a2b3c4
Create Date: 2026-02-25 10:40:18.883917

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import localmig_no_such_module  # the app's money settings; not installed here


# revision identifiers, used by Alembic.
revision: str = '1b0e02d5e6f7'
down_revision: Union[str, Sequence[str], None] = '1b0e01a2b3c4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "payments",
        sa.Column(
            "currency",
            sa.String(length=3),
            server_default=localmig_no_such_module.DEFAULT_CURRENCY,
            nullable=False,
        ),
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("currency")
