"""create statuses

Revision ID: 7e1101a1b2c3
Revises:
Create Date: 2026-05-01 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "7e1101a1b2c3"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("statuses", sa.Column("code", sa.String(20), primary_key=True))


def downgrade() -> None:
    op.drop_table("statuses")
