"""create tickets

Revision ID: e0a101a0c0d0
Revises: 
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'e0a101a0c0d0'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("tickets", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("state", sa.Enum("open", "closed", "stale", name="ticket_state"), nullable=False),
                    sa.Column("title", sa.String(80), nullable=False))


def downgrade():
    op.drop_table("tickets")
