"""rename the large kind

Revision ID: a15702a0c0d0
Revises: a15701a0c0d0
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'a15702a0c0d0'
down_revision = 'a15701a0c0d0'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE kinds SET label = 'big' WHERE label = 'large'")


def downgrade():
    op.execute("UPDATE kinds SET label = 'large' WHERE label = 'big'")
