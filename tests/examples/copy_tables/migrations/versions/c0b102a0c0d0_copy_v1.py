"""copy notes_v1 into notes_v2

Revision ID: c0b102a0c0d0
Revises: c0b101a0c0d0
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'c0b102a0c0d0'
down_revision = 'c0b101a0c0d0'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("INSERT INTO notes_v2 (id, body) SELECT id, body FROM notes_v1")


def downgrade():
    op.execute("DELETE FROM notes_v2 WHERE id IN (SELECT id FROM notes_v1)")
