"""merge branches, add team_members

Merge revision that also does work: team_members needs both users and teams.

Revision ID: b3a904c2e4a6
Revises: b3a902a1c3e5, b3a903f7b9d2
Create Date: 2026-02-20 16:31:02.835519

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b3a904c2e4a6'
down_revision: Union[str, Sequence[str], None] = ('b3a902a1c3e5', 'b3a903f7b9d2')
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "role", sa.String(length=20), server_default="member", nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"],
            name="fk_team_members_team_id_teams", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name="fk_team_members_user_id_users", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "user_id", name="pk_team_members"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("team_members")
