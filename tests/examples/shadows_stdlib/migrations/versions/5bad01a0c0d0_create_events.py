"""create events

Revision ID: 5bad01a0c0d0
Revises: 
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '5bad01a0c0d0'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("events", sa.Column("id", sa.Integer, primary_key=True), sa.Column("kind", sa.String(20)))


def downgrade():
    op.drop_table("events")
