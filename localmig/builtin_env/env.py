"""localmig's own Alembic environment.

Used for a bare folder of revision files, or with ``--builtin-env`` when a project's env.py
does not take the database URL it is given. It runs on the connection handed over in
``config.attributes["connection"]`` (else on ``sqlalchemy.url``) and, when the main option
``localmig.metadata`` names ``module:attribute``, passes that MetaData as target_metadata
(naming conventions for batch operations come from there).
"""

import importlib

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def target_metadata():
    spec = config.get_main_option("localmig.metadata")
    if not spec:
        return None
    module, _, attribute = spec.partition(":")
    value = importlib.import_module(module)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata(),
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata())
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata())
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
