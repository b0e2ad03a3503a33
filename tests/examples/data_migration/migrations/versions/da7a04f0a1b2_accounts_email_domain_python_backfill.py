"""add accounts.email_domain, backfilled row by row in Python

Revision ID: da7a04f0a1b2
Revises: da7a03c7d8e9
Create Date: 2026-05-06 13:37:21.466310

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'da7a04f0a1b2'
down_revision: Union[str, Sequence[str], None] = 'da7a03c7d8e9'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "accounts", sa.Column("email_domain", sa.String(length=255), nullable=True)
    )
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, email FROM accounts")).fetchall()
    for account_id, email in rows:
        domain = email.rsplit("@", 1)[-1].strip().lower()
        bind.execute(
            sa.text("UPDATE accounts SET email_domain = :domain WHERE id = :id"),
            {"domain": domain, "id": account_id},
        )
    op.create_index(
        "ix_accounts_email_domain", "accounts", ["email_domain"], unique=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_accounts_email_domain", table_name="accounts")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("email_domain")
