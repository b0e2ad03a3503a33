"""create notes_v1 and notes_v2

Revision ID: c0b101a0c0d0
Revises: 
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'c0b101a0c0d0'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("notes_v1", sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text, nullable=False))
    op.create_table("notes_v2", sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text, nullable=False),
                    sa.Column("format", sa.String(10), nullable=False, server_default="plain"))
    op.create_table("comments", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("note_id", sa.Integer, nullable=True),
                    sa.ForeignKeyConstraint(["note_id"], ["notes_v1.id"], name="fk_comments_note_v1"))


def downgrade():
    op.drop_table("comments")
    op.drop_table("notes_v2")
    op.drop_table("notes_v1")
