"""add a flag to thirty tables

Revision ID: b16b02a0c0d0
Revises: b16b01a0c0d0
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'b16b02a0c0d0'
down_revision = 'b16b01a0c0d0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("t00") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t01") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t02") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t03") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t04") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t05") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t06") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t07") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t08") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t09") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t10") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t11") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t12") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t13") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t14") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t15") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t16") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t17") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t18") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t19") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t20") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t21") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t22") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t23") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t24") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t25") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t26") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t27") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t28") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))
    with op.batch_alter_table("t29") as batch_op:
        batch_op.add_column(sa.Column("flag", sa.Boolean, nullable=True))


def downgrade():
    with op.batch_alter_table("t00") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t01") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t02") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t03") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t04") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t05") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t06") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t07") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t08") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t09") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t10") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t11") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t12") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t13") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t14") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t15") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t16") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t17") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t18") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t19") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t20") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t21") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t22") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t23") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t24") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t25") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t26") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t27") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t28") as batch_op:
        batch_op.drop_column("flag")
    with op.batch_alter_table("t29") as batch_op:
        batch_op.drop_column("flag")
