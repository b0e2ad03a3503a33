"""index authors.email

Revision ID: 11ea03c6d2b9
Revises: 11ea02e8f1a4
Create Date: 2026-03-30 09:41:07.904417

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '11ea03c6d2b9'
down_revision: Union[str, Sequence[str], None] = '11ea02e8f1a4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_authors_email", "authors", ["email"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_authors_email", table_name="authors")
