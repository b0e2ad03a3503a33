"""add widgets.colour

Revision ID: 2024_01_05_add_colour
Revises: révision_5
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '2024_01_05_add_colour'
down_revision = 'révision_5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.add_column(sa.Column("colour", sa.String(10), nullable=True))


def downgrade():
    with op.batch_alter_table("widgets") as batch_op:
        batch_op.drop_column("colour")
