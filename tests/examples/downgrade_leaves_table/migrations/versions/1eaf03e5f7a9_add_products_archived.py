"""add products.archived

Revision ID: 1eaf03e5f7a9
Revises: 1eaf02a9b1c3
Create Date: 2026-06-11 15:38:40.307731

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '1eaf03e5f7a9'
down_revision: Union[str, Sequence[str], None] = '1eaf02a9b1c3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "products",
        sa.Column("archived", sa.Boolean(), server_default=sa.text("0"), nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("archived")
