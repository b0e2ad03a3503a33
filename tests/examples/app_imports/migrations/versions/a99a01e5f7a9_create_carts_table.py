"""create carts table

Revision ID: a99a01e5f7a9
Revises: 
Create Date: 2026-02-23 13:29:04.371593

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from shopapp.db_helpers import ix, timestamp_columns
from shopapp.types import Money


# revision identifiers, used by Alembic.
revision: str = 'a99a01e5f7a9'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "carts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_key", sa.String(length=64), nullable=False),
        sa.Column("total", Money(), server_default=sa.text("0"), nullable=False),
        *timestamp_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_carts"),
    )
    op.create_index(ix("carts", "session_key"), "carts", ["session_key"], unique=True)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(ix("carts", "session_key"), table_name="carts")
    op.drop_table("carts")
