"""create recipes table

Revision ID: ba4e01c7d9e1
Revises: 
Create Date: 2026-05-04 10:17:35.420786

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ba4e01c7d9e1'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "recipes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recipes"),
    )


def downgrade():
    op.drop_table("recipes")
