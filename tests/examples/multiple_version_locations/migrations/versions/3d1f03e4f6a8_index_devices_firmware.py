"""index devices.firmware_version

Revision ID: 3d1f03e4f6a8
Revises: 3d1f02a8b0c2
Create Date: 2026-08-04 10:52:21.605377

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '3d1f03e4f6a8'
down_revision: Union[str, Sequence[str], None] = '3d1f02a8b0c2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(
        "ix_devices_firmware_version", "devices", ["firmware_version"], unique=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_devices_firmware_version", table_name="devices")
