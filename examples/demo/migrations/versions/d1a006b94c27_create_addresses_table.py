"""create addresses table

Branch B (from d1a004c81e95), developed at the same time as
d1a0055ad3f0; merged in d1a0071f6e8d.

Revision ID: d1a006b94c27
Revises: d1a004c81e95
Create Date: 2026-03-05 17:58:21.340118

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'd1a006b94c27'
down_revision: Union[str, Sequence[str], None] = 'd1a004c81e95'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "label", sa.String(length=40), server_default="home", nullable=False
        ),
        sa.Column("line1", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=16), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_addresses_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_addresses"),
        sa.UniqueConstraint("customer_id", "label", name="uq_addresses_customer_id"),
    )
    op.create_index(
        "ix_addresses_postal_code", "addresses", ["postal_code"], unique=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_addresses_postal_code", table_name="addresses")
    op.drop_table("addresses")
