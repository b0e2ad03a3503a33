"""add customers.email and a unique index on customers.name

DEFECT ON PURPOSE: downgrade() drops customers.email but not the unique index
ux_customers_name, which is left behind.

Revision ID: bd1703c8e9a0
Revises: bd1702b5d6f7
Create Date: 2026-02-16 09:15:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'bd1703c8e9a0'
down_revision: Union[str, Sequence[str], None] = 'bd1702b5d6f7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=255), nullable=True))
    op.create_index("ux_customers_name", "customers", ["name"], unique=True)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("email")
