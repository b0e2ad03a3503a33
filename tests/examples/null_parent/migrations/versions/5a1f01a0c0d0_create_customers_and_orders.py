"""create customers and orders

Revision ID: 5a1f01a0c0d0
Revises:
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '5a1f01a0c0d0'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("nickname", sa.String(40), nullable=True),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),  # no nullable column: no row of orders holds a NULL
    )


def downgrade():
    op.drop_table("orders")
    op.drop_table("customers")
