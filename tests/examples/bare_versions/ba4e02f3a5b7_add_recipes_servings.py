"""add recipes.servings

Revision ID: ba4e02f3a5b7
Revises: ba4e01c7d9e1
Create Date: 2026-07-21 19:02:08.935114

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ba4e02f3a5b7'
down_revision = 'ba4e01c7d9e1'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "recipes",
        sa.Column("servings", sa.Integer(), server_default=sa.text("2"), nullable=False),
    )


def downgrade():
    with op.batch_alter_table("recipes", schema=None) as batch_op:
        batch_op.drop_column("servings")
