"""drop the unique constraint of tags.name: its unique index is enough

Revision ID: c0ffee02a0d0
Revises: c0ffee01a0d0
Create Date: 2026-03-02 10:00:00

"""
from alembic import op

revision = 'c0ffee02a0d0'
down_revision = 'c0ffee01a0d0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tags") as batch_op:
        batch_op.drop_constraint("uq_tags_name", type_="unique")


def downgrade():
    with op.batch_alter_table("tags") as batch_op:
        batch_op.create_unique_constraint("uq_tags_name", ["name"])
