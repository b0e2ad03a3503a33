"""create rules and fill it from a module-level template

Revision ID: f6a501a0c0d0
Revises:
Create Date: 2026-03-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'f6a501a0c0d0'
down_revision = None
branch_labels = None
depends_on = None

# module-level data the upgrade consumes (as neutron's default security group rules do)
default_rules = [{"name": "ssh", "description": "allow ssh"}, {"name": "web", "description": "allow http"}]


def upgrade():
    rules = op.create_table("rules", sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("name", sa.String(20), nullable=False),
                            sa.Column("description", sa.String(80), nullable=False))
    op.bulk_insert(rules, [{"name": rule["name"], "description": rule.pop("description")} for rule in default_rules])


def downgrade():
    op.drop_table("rules")
