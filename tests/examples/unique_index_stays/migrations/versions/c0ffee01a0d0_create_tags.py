"""create tags, unique twice over: a constraint and an index

Revision ID: c0ffee01a0d0
Revises:
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'c0ffee01a0d0'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.UniqueConstraint("name", name="uq_tags_name"),
    )
    op.create_index("ix_tags_name", "tags", ["name"], unique=True)


def downgrade():
    op.drop_index("ix_tags_name", table_name="tags")
    op.drop_table("tags")
