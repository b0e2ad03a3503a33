"""merge order_statuses and addresses branches

Revision ID: d1a0071f6e8d
Revises: d1a0055ad3f0, d1a006b94c27
Create Date: 2026-03-09 08:47:36.918255

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'd1a0071f6e8d'
down_revision: Union[str, Sequence[str], None] = ('d1a0055ad3f0', 'd1a006b94c27')
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    pass


def downgrade() -> None:
    """Downgrade schema."""
    pass
