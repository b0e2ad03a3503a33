"""drop orders.note

Revision ID: fc0002a0c0d0
Revises: fc0001a0c0d0
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'fc0002a0c0d0'
down_revision = 'fc0001a0c0d0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("note")


def downgrade():
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text, nullable=True))
