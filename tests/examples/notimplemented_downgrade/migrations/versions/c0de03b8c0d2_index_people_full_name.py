"""index people.full_name

Revision ID: c0de03b8c0d2
Revises: c0de02e3f5a7
Create Date: 2026-06-30 08:15:52.441907

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c0de03b8c0d2'
down_revision: Union[str, Sequence[str], None] = 'c0de02e3f5a7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_people_full_name", "people", ["full_name"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_people_full_name", table_name="people")
