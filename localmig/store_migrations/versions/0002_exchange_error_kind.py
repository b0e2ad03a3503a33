"""exchanges.error_kind: why an exchange brought no answer (failed exchanges are logged too)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exchanges") as batch:
        batch.add_column(sa.Column("error_kind", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("exchanges") as batch:
        batch.drop_column("error_kind")
