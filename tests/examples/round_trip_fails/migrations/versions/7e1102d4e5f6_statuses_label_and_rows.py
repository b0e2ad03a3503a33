"""statuses.label, and the first status rows

ROUND TRIP FAILS ON PURPOSE: the downgrade drops the column (the schema is restored) but not
the rows the upgrade inserted, so upgrading again inserts 'new' a second time and the primary
key refuses it.

Revision ID: 7e1102d4e5f6
Revises: 7e1101a1b2c3
Create Date: 2026-05-02 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "7e1102d4e5f6"
down_revision = "7e1101a1b2c3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("statuses", sa.Column("label", sa.String(80), nullable=True))
    statuses = sa.table("statuses", sa.column("code", sa.String), sa.column("label", sa.String))
    op.bulk_insert(statuses, [{"code": "new", "label": "New"}])


def downgrade() -> None:
    with op.batch_alter_table("statuses") as batch:
        batch.drop_column("label")
