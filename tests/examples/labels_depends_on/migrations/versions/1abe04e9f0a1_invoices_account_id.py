"""invoices.account_id referencing core accounts

Needs the accounts table of the core branch: depends_on 1abe01c0a1b2.

Revision ID: 1abe04e9f0a1
Revises: 1abe03a6b7c8
Create Date: 2026-04-07 15:52:08.430195

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '1abe04e9f0a1'
down_revision: Union[str, Sequence[str], None] = '1abe03a6b7c8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = '1abe01c0a1b2'


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_invoices_account_id_accounts",
            "accounts",
            ["account_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint("fk_invoices_account_id_accounts", type_="foreignkey")
        batch_op.drop_column("account_id")
