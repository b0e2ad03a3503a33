"""an id with a non-ASCII letter

Revision ID: révision_5
Revises: 0003
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'révision_5'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_widgets_size", "widgets", ["size"])


def downgrade():
    op.drop_index("ix_widgets_size", table_name="widgets")
