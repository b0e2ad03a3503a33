"""add invoices.due_date

DELIBERATELY BROKEN DOWNGRADE: drops the column "due_on", which does not
exist (the upgrade adds "due_date"), so downgrade() raises
sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) no such column: "due_on".

Revision ID: fa1102d9e1f3
Revises: fa1101a3b5c7
Create Date: 2026-02-09 15:16:48.204775

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'fa1102d9e1f3'
down_revision: Union[str, Sequence[str], None] = 'fa1101a3b5c7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("invoices", sa.Column("due_date", sa.Date(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    # BROKEN ON PURPOSE: the column is due_date, not due_on.
    op.drop_column("invoices", "due_on")
