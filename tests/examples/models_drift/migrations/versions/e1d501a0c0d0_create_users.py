"""create users

Revision ID: e1d501a0c0d0
Revises:
Create Date: 2026-03-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'e1d501a0c0d0'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("email", sa.String(100), nullable=False))


def downgrade():
    op.drop_table("users")
