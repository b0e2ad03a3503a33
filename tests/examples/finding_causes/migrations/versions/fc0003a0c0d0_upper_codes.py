"""upper-case the order codes

Revision ID: fc0003a0c0d0
Revises: fc0002a0c0d0
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'fc0003a0c0d0'
down_revision = 'fc0002a0c0d0'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    for row in bind.execute(sa.text("SELECT id, code FROM orders")).all():
        bind.execute(sa.text("UPDATE orders SET code = :code WHERE id = :id"), {"code": row.code.upper(), "id": row.id})


def downgrade():
    pass  # the old case is not kept
