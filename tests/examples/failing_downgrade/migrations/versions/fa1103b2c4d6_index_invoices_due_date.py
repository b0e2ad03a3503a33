"""index invoices.due_date

Revision ID: fa1103b2c4d6
Revises: fa1102d9e1f3
Create Date: 2026-03-23 12:00:31.778006

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'fa1103b2c4d6'
down_revision: Union[str, Sequence[str], None] = 'fa1102d9e1f3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_invoices_due_date", "invoices", ["due_date"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_invoices_due_date", table_name="invoices")
