"""

Revision ID: 0003
Revises: v1.4.0.b
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = 'v1.4.0.b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_widgets_name", "widgets", ["name"])


def downgrade():
    op.drop_index("ix_widgets_name", table_name="widgets")
