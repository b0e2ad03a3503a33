"""add orders.total NOT NULL

Revision ID: fc0004a0c0d0
Revises: fc0003a0c0d0
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'fc0004a0c0d0'
down_revision = 'fc0003a0c0d0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("total", sa.Integer, nullable=False))


def downgrade():
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("total")
