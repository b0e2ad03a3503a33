"""merge first_name and last_name into full_name

Irreversible: names cannot be split back reliably, so downgrade() raises
NotImplementedError("irreversible").

Revision ID: c0de02e3f5a7
Revises: c0de01a7b9c1
Create Date: 2026-05-19 16:44:09.923374

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c0de02e3f5a7'
down_revision: Union[str, Sequence[str], None] = 'c0de01a7b9c1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("full_name", sa.String(length=170), nullable=True))
    op.execute("UPDATE people SET full_name = first_name || ' ' || last_name")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("first_name")
        batch_op.drop_column("last_name")
        batch_op.alter_column(
            "full_name", existing_type=sa.String(length=170), nullable=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    raise NotImplementedError("irreversible")
