
"""The application's models as of the first release: create_all() makes them, then `alembic stamp`."""
import sqlalchemy as sa

metadata = sa.MetaData()
users = sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("email", sa.String(100), nullable=False, unique=True))
posts = sa.Table("posts", metadata, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
                 sa.Column("title", sa.String(200), nullable=False))


class Base:
    """Stands for a declarative base: ``app_models:Base.metadata``."""

    metadata = metadata


def create(connection):
    """The callable form: ``app_models:create``."""
    metadata.create_all(connection)
