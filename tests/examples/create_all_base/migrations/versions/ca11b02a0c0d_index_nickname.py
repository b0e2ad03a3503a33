"""index users.nickname

Revision ID: ca11b02a0c0d
Revises: ca11b01a0c0d
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'ca11b02a0c0d'
down_revision = 'ca11b01a0c0d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_users_nickname", "users", ["nickname"])


def downgrade():
    op.drop_index("ix_users_nickname", table_name="users")
