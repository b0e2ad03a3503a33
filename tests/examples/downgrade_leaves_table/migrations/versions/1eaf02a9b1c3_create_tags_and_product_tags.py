"""create tags and product_tags

DEFECT ON PURPOSE: downgrade() drops product_tags but forgets tags, so
the table tags is left behind after downgrading.

Revision ID: 1eaf02a9b1c3
Revises: 1eaf01c3d5e7
Create Date: 2026-04-01 10:05:16.554838

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '1eaf02a9b1c3'
down_revision: Union[str, Sequence[str], None] = '1eaf01c3d5e7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tags"),
        sa.UniqueConstraint("name", name="uq_tags_name"),
    )
    op.create_table(
        "product_tags",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"],
            name="fk_product_tags_product_id_products", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"],
            name="fk_product_tags_tag_id_tags", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "tag_id", name="pk_product_tags"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("product_tags")
