"""create members

Revision ID: 0a0e01a0c0d0
Revises: 
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0a0e01a0c0d0'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("members", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("email", sa.String(100), nullable=True),
                    sa.Column("plan", sa.String(20), nullable=True),
                    sa.Column("score", sa.Integer, nullable=True))


def downgrade():
    op.drop_table("members")
