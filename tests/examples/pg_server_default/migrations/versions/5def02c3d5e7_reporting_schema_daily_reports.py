"""reporting schema with daily_reports

Revision ID: 5def02c3d5e7
Revises: 5def01a7b9c1
Create Date: 2026-07-15 10:33:21.852469

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5def02c3d5e7'
down_revision: Union[str, Sequence[str], None] = '5def01a7b9c1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute("CREATE SCHEMA reporting")
    op.execute("CREATE SEQUENCE reporting.daily_report_id_seq START WITH 1000")
    op.create_table(
        "daily_reports",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('reporting.daily_report_id_seq'::regclass)"),
            nullable=False,
        ),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column(
            "generated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("row_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_daily_reports"),
        sa.UniqueConstraint("report_date", name="uq_daily_reports_report_date"),
        schema="reporting",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("daily_reports", schema="reporting")
    op.execute("DROP SEQUENCE reporting.daily_report_id_seq")
    op.execute("DROP SCHEMA reporting")
