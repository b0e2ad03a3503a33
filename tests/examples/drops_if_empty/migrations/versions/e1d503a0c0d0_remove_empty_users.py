"""remove users when nobody uses it

Revision ID: e1d503a0c0d0
Revises: e1d501a0c0d0
Create Date: 2026-03-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'e1d503a0c0d0'
down_revision = 'e1d501a0c0d0'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().execute(sa.text("SELECT COUNT(*) FROM users")).scalar() == 0:
        op.drop_table("users")


def downgrade():
    if "users" not in sa.inspect(op.get_bind()).get_table_names():
        op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("email", sa.String(100), nullable=False))
