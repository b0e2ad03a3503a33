"""The application's models: users.nickname was added here, but no revision adds it (the drift)."""
import sqlalchemy as sa

metadata = sa.MetaData()
users = sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("email", sa.String(100), nullable=False),
                 sa.Column("nickname", sa.String(30), nullable=True))
sa.Index("ix_users_lower_email", sa.func.lower(users.c.email), unique=True)
