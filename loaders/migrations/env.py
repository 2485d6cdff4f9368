"""Alembic environment for faxflow's database.

Run programmatically by ``loaders.db.upgrade`` (which passes an open connection that holds
the migration lock), or from a checkout with ``alembic -c loaders/alembic.ini upgrade head``
(the URL then comes from FAXFLOW_DATABASE_URL / the settings default).
"""

from __future__ import annotations

from alembic import context

from loaders.tables import Base

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite needs table rebuilds for ALTER
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    from faxflow.settings import get_settings

    context.configure(
        url=config.get_main_option("sqlalchemy.url") or get_settings().db_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    from loaders.db import _migration_connection, engine_for

    engine = engine_for(config.get_main_option("sqlalchemy.url") or None)
    try:
        with _migration_connection(engine) as connection:
            _configure_and_run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
