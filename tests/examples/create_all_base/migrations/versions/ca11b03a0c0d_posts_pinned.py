"""add posts.pinned

Revision ID: ca11b03a0c0d
Revises: ca11b02a0c0d
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'ca11b03a0c0d'
down_revision = 'ca11b02a0c0d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("posts") as batch_op:
        batch_op.add_column(sa.Column("pinned", sa.Boolean, nullable=True))


def downgrade():
    with op.batch_alter_table("posts") as batch_op:
        batch_op.drop_column("pinned")
