"""unique index on lower(email)

Revision ID: e1d502a0c0d0
Revises: e1d501a0c0d0
Create Date: 2026-03-02 11:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'e1d502a0c0d0'
down_revision = 'e1d501a0c0d0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_users_lower_email", "users", [sa.text("lower(email)")], unique=True)


def downgrade():
    op.drop_index("ix_users_lower_email", table_name="users")
