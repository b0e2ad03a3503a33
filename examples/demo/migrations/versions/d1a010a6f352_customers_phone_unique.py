"""customers.phone with a unique constraint

Revision ID: d1a010a6f352
Revises: d1a0094d7b13
Create Date: 2026-09-22 10:36:58.402197

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'd1a010a6f352'
down_revision: Union[str, Sequence[str], None] = 'd1a0094d7b13'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # SQLite cannot add a constraint to an existing table: batch mode.
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint("uq_customers_phone", ["phone"])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_customers_phone", type_="unique")
        batch_op.drop_column("phone")
