"""add widgets.size, a message that goes on and on well past forty characters so its slug is cut

Revision ID: v1.4.0.b
Revises: v1.4.0.a
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'v1.4.0.b'
down_revision = 'v1.4.0.a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.add_column(sa.Column("size", sa.Integer, nullable=True))


def downgrade():
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.drop_column("size")
