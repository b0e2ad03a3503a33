"""create kinds and fill it

Revision ID: a15701a0c0d0
Revises: 
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'a15701a0c0d0'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    kinds = op.create_table("kinds", sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("label", sa.String(20), nullable=False),
                            sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
                            sa.Column("token", sa.String(32), nullable=False))
    op.execute("INSERT INTO kinds (id, label, token) VALUES (1, 'small', lower(hex(randomblob(16))))")
    op.execute("INSERT INTO kinds (id, label, token) VALUES (2, 'large', lower(hex(randomblob(16))))")


def downgrade():
    op.drop_table("kinds")
