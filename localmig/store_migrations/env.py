"""Alembic environment of localmig's own store (.localmig/localmig.db): schema changes append only."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
