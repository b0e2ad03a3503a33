"""alter authors, books and shelves

Revision ID: 3a5c02a0c0d0
Revises: 3a5c01a0c0d0
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '3a5c02a0c0d0'
down_revision = '3a5c01a0c0d0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_authors_name", "authors", ["name"], unique=True)
    with op.batch_alter_table("books") as batch_op:
        batch_op.add_column(sa.Column("isbn", sa.String(13), nullable=True))
    with op.batch_alter_table("shelves") as batch_op:
        batch_op.add_column(sa.Column("room", sa.String(20), nullable=True))


def downgrade():
    with op.batch_alter_table("shelves") as batch_op:
        batch_op.drop_column("room")
    with op.batch_alter_table("books") as batch_op:
        batch_op.drop_column("isbn")
