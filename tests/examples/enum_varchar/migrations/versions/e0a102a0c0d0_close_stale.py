"""close stale tickets

Revision ID: e0a102a0c0d0
Revises: e0a101a0c0d0
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'e0a102a0c0d0'
down_revision = 'e0a101a0c0d0'
branch_labels = None
depends_on = None


def upgrade():
    tickets = sa.table("tickets", sa.column("id", sa.Integer),
                       sa.column("state", sa.Enum("open", "closed", "stale", name="ticket_state")))
    bind = op.get_bind()
    for row in bind.execute(sa.select(tickets.c.id, tickets.c.state)).all():
        if row.state == "stale":
            bind.execute(tickets.update().where(tickets.c.id == row.id).values(state="closed"))


def downgrade():
    pass  # closing stale tickets cannot be undone, and need not be
