"""create events with random ids

Revision ID: a15703a0c0d0
Revises: a15702a0c0d0
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa
import uuid

revision = 'a15703a0c0d0'
down_revision = 'a15702a0c0d0'
branch_labels = None
depends_on = None


def upgrade():
    events = op.create_table("events", sa.Column("id", sa.String(32), primary_key=True),
                             sa.Column("label", sa.String(20), nullable=False))
    op.bulk_insert(events, [{"id": uuid.uuid4().hex, "label": label} for label in ("second", "first", "third")])
    op.execute("UPDATE kinds SET label = 'tiny' WHERE label = 'small'")


def downgrade():
    op.execute("UPDATE kinds SET label = 'small' WHERE label = 'tiny'")
    op.drop_table("events")
