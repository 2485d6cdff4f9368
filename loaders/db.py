"""Connecting to faxflow's database and migrating it.

``FAXFLOW_DATABASE_URL`` selects the database (any SQLAlchemy URL; PostgreSQL in
production as ``postgresql+psycopg://user:pass@host/db``); the default is the SQLite file
``var/faxflow.db``. Migrations are Alembic scripts inside this package
(``loaders/migrations``), run programmatically by :func:`upgrade` so they work from an
installed package too; ``alembic -c loaders/alembic.ini ...`` works from a checkout.

SQLite gets foreign keys, WAL and a busy timeout on every connection, and real
transactions (pysqlite's own transaction handling is switched off and SQLAlchemy emits
``BEGIN``), so DDL is transactional and a write transaction can take the write lock at
``BEGIN IMMEDIATE`` instead of failing half-way when another process writes.

Statements are logged and raised without their parameters (``hide_parameters``): the
values are personal data.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session

from faxflow.errors import ConfigError, DatabaseError
from faxflow.settings import get_settings

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
IMMEDIATE = "faxflow_sqlite_immediate"
"""Execution option: on SQLite, start the transaction with ``BEGIN IMMEDIATE``."""

_MIGRATION_LOCK_KEY = zlib.crc32(b"faxflow-migrations")


def describe(url: URL) -> str:
    """Where a URL points, for messages: backend, host and database; never the password."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database or ':memory:'}"
    where = url.host or "localhost"
    if url.port:
        where += f":{url.port}"
    return f"{url.get_backend_name()} database {url.database!r} on host {where}"


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        # Never echo the URL: it may hold a password.
        raise ConfigError(
            "the database URL is not a valid SQLAlchemy URL; set FAXFLOW_DATABASE_URL to e.g. "
            "postgresql+psycopg://user:password@host/faxflow or sqlite:////path/faxflow.db"
        ) from None


def _scrub(text: str, url: URL) -> str:
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    if url.password:
        first_line = first_line.replace(str(url.password), "***")
    return first_line[:300]


def database_error(exc: SQLAlchemyError, url: URL, *, doing: str) -> DatabaseError:
    """A coded error for a failed database call; transient when the server is unreachable
    or busy, permanent for integrity or programming errors."""
    orig = getattr(exc, "orig", None)
    reason = _scrub(str(orig) if orig is not None else type(exc).__name__, url)
    error = DatabaseError(f"{doing} failed on the {describe(url)}: {reason}")
    if isinstance(exc, DBAPIError) and not isinstance(exc, sa.exc.OperationalError):
        error.transient = False
    return error


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def engine_for(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: the settings' database URL), checked to connect.

    Raises :class:`ConfigError` for a malformed URL or missing driver and a transient
    :class:`DatabaseError` (naming the host, never the password) when it cannot connect.
    """
    parsed = _parse(url or get_settings().db_url)
    kwargs: dict[str, Any] = {"hide_parameters": True, "future": True}
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            try:
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"cannot create the folder of the {describe(parsed)}: {exc.strerror}"
                ) from None
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    elif backend == "postgresql":
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 10, "options": "-c timezone=UTC"}
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigError(
            f"no database driver for {parsed.drivername!r} ({type(exc).__name__}); "
            "use sqlite:/// or postgresql+psycopg://"
        ) from None
    except ArgumentError:
        raise ConfigError(f"invalid options for the {describe(parsed)}") from None
    if backend == "sqlite":
        _sqlite_events(engine)
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as exc:
        engine.dispose()
        raise database_error(exc, parsed, doing="connecting") from None
    return engine


def _as_engine(url_or_engine: str | Engine | None) -> tuple[Engine, bool]:
    if isinstance(url_or_engine, Engine):
        return url_or_engine, False
    return engine_for(url_or_engine), True


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error. ``write=True`` takes
    SQLite's write lock at BEGIN (use it when the transaction reads, then writes).
    Database failures surface as :class:`DatabaseError`."""
    bind = engine.execution_options(**{IMMEDIATE: True}) if write else engine
    session = Session(bind=bind, expire_on_commit=False)
    try:
        with session.begin():
            yield session
    except SQLAlchemyError as exc:
        raise database_error(exc, engine.url, doing="a database transaction") from exc
    finally:
        session.close()


# --------------------------------------------------------------------------------------
# Migrations
# --------------------------------------------------------------------------------------


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at this package's migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(url_or_engine: str | Engine | None = None) -> str | None:
    """The migration the database is at; None for an empty database."""
    engine, owned = _as_engine(url_or_engine)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise database_error(exc, engine.url, doing="reading the schema version") from None
    finally:
        if owned:
            engine.dispose()


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the migration lock, so two processes
    starting at once do not both create the tables."""
    with (
        engine.execution_options(**{IMMEDIATE: True}).connect() as connection,
        connection.begin(),
    ):
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
            )
        yield connection


def upgrade(url_or_engine: str | Engine | None = None, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (default: the newest). Cheap when the
    database is already there, and safe to call from many processes at once."""
    engine, owned = _as_engine(url_or_engine)
    try:
        if revision == "head" and current_revision(engine) == head_revision():
            return
        with _migration_connection(engine) as connection:
            command.upgrade(alembic_config(connection), revision)
        log.info("database at migration %s", current_revision(engine))
    except SQLAlchemyError as exc:
        raise database_error(exc, engine.url, doing="migrating the schema") from None
    finally:
        if owned:
            engine.dispose()


def downgrade(url_or_engine: str | Engine | None, revision: str) -> None:
    """Migrate the database down to ``revision`` ("base" removes every faxflow table)."""
    engine, owned = _as_engine(url_or_engine)
    try:
        with _migration_connection(engine) as connection:
            command.downgrade(alembic_config(connection), revision)
    except SQLAlchemyError as exc:
        raise database_error(exc, engine.url, doing="migrating the schema") from None
    finally:
        if owned:
            engine.dispose()
