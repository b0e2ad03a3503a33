"""exchanges (the prompt log) and answers (the cache)

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchanges",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("revision", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("options", sa.Text, nullable=False),
        sa.Column("prompts_version", sa.String(64), nullable=False),
        sa.Column("cache_key", sa.String(64), nullable=False),
        sa.Column("messages", sa.Text, nullable=False),
        sa.Column("answer", sa.Text),
        sa.Column("cache_hit", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("errors", sa.Text),
        sa.Column("outcome", sa.String(32)),
        sa.Column("prompt_tokens", sa.Integer),
        sa.Column("answer_tokens", sa.Integer),
        sa.Column("seconds", sa.Float),
    )
    op.create_index("ix_exchanges_revision", "exchanges", ["revision"])
    op.create_table(
        "answers",
        sa.Column("cache_key", sa.String(64), primary_key=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("answers")
    op.drop_index("ix_exchanges_revision", table_name="exchanges")
    op.drop_table("exchanges")
