"""index recipes.title

Revision ID: ba4e03b9c1d3
Revises: ba4e02f3a5b7
Create Date: 2026-10-13 09:44:51.278640

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ba4e03b9c1d3'
down_revision = 'ba4e02f3a5b7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_recipes_title", "recipes", ["title"], unique=False)


def downgrade():
    op.drop_index("ix_recipes_title", table_name="recipes")
