"""index projects.owner

Revision ID: 5e1103f1a2b3
Revises: 5e1102c4d6e8
Create Date: 2026-03-19 08:12:44.730581

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5e1103f1a2b3'
down_revision: Union[str, Sequence[str], None] = '5e1102c4d6e8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_projects_owner", "projects", ["owner"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_projects_owner", table_name="projects")
