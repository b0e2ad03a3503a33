"""create authors, books and shelves

Revision ID: 3a5c01a0c0d0
Revises: 
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '3a5c01a0c0d0'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("authors", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50)))
    op.create_table("books", sa.Column("id", sa.Integer, primary_key=True), sa.Column("title", sa.String(50)))
    op.create_table("shelves", sa.Column("id", sa.Integer, primary_key=True), sa.Column("label", sa.String(20)))


def downgrade():
    op.drop_table("shelves")
    op.drop_table("books")
    op.drop_table("authors")
