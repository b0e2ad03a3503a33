"""create widgets

Revision ID: v1.4.0.a
Revises: 
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'v1.4.0.a'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("widgets", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(40)))


def downgrade():
    op.drop_table("widgets")
