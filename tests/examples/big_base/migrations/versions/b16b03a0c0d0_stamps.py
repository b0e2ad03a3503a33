"""create stamps and fill it

Revision ID: b16b03a0c0d0
Revises: b16b02a0c0d0
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'b16b03a0c0d0'
down_revision = 'b16b02a0c0d0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("stamps", sa.Column("made_at", sa.DateTime, server_default=sa.func.current_timestamp()),
                    sa.Column("token", sa.String(36)))
    op.execute("INSERT INTO stamps (token) VALUES (lower(hex(randomblob(16))))")
    op.execute("INSERT INTO stamps (token) VALUES (lower(hex(randomblob(16))))")
    op.execute("UPDATE t00 SET note = 'stamped' WHERE note IS NULL")


def downgrade():
    op.drop_table("stamps")
