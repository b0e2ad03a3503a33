"""add devices.firmware_version

Lives in migrations/extra_versions.

Revision ID: 3d1f02a8b0c2
Revises: 3d1f01c2d4e6
Create Date: 2026-04-22 16:07:43.316954

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '3d1f02a8b0c2'
down_revision: Union[str, Sequence[str], None] = '3d1f01c2d4e6'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "devices", sa.Column("firmware_version", sa.String(length=32), nullable=True)
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("firmware_version")
