"""create audit_log table

DEFECT ON PURPOSE: downgrade() is `pass`, so downgrading leaves the table
audit_log (and its index ix_audit_log_actor) behind.

Revision ID: 9a5502f6a8b0
Revises: 9a5501c1d3e5
Create Date: 2026-03-03 14:27:50.660431

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '9a5502f6a8b0'
down_revision: Union[str, Sequence[str], None] = '9a5501c1d3e5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column(
            "at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    pass
