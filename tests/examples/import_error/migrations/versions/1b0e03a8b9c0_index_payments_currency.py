"""index payments.currency

Revision ID: 1b0e03a8b9c0
Revises: 1b0e02d5e6f7
Create Date: 2026-04-02 16:19:55.006142

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '1b0e03a8b9c0'
down_revision: Union[str, Sequence[str], None] = '1b0e02d5e6f7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_payments_currency", "payments", ["currency"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_payments_currency", table_name="payments")
