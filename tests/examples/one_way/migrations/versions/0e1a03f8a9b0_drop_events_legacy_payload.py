"""drop events.legacy_payload

One-way on purpose: the legacy payloads are gone for good, so the module
declares itself irreversible and downgrade() raises.

Revision ID: 0e1a03f8a9b0
Revises: 0e1a02c5d6e7
Create Date: 2026-04-15 08:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0e1a03f8a9b0'
down_revision: Union[str, Sequence[str], None] = '0e1a02c5d6e7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

irreversible = True


def upgrade() -> None:
    """Upgrade schema."""
    op.execute("UPDATE events SET source = 'legacy' WHERE legacy_payload IS NOT NULL AND source IS NULL")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("legacy_payload")


def downgrade() -> None:
    """Downgrade schema."""
    raise NotImplementedError
