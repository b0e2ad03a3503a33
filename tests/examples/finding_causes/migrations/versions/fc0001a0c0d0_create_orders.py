"""create orders

Revision ID: fc0001a0c0d0
Revises: 
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'fc0001a0c0d0'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("orders", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("note", sa.Text, nullable=True), sa.Column("code", sa.String(20), nullable=True))


def downgrade():
    op.drop_table("orders")
