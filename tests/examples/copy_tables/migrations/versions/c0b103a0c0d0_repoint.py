"""point comments at notes_v2

Revision ID: c0b103a0c0d0
Revises: c0b102a0c0d0
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'c0b103a0c0d0'
down_revision = 'c0b102a0c0d0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("comments") as batch_op:
        batch_op.drop_constraint("fk_comments_note_v1", type_="foreignkey")
        batch_op.create_foreign_key("fk_comments_note_v2", "notes_v2", ["note_id"], ["id"])


def downgrade():
    with op.batch_alter_table("comments") as batch_op:
        batch_op.drop_constraint("fk_comments_note_v2", type_="foreignkey")
        batch_op.create_foreign_key("fk_comments_note_v1", "notes_v1", ["note_id"], ["id"])
