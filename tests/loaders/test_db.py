"""Connecting, sessions and migrations on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from faxflow.errors import ConfigError, DatabaseError
from faxflow.settings import get_settings
from loaders.db import (
    current_revision,
    downgrade,
    engine_for,
    head_revision,
    session_scope,
    upgrade,
)
from loaders.tables import Base, documents

FAXFLOW_TABLES = {
    "documents",
    "pages",
    "fields",
    "validation_issues",
    "review_events",
    "infection_reports",
    "benefit_applications",
    "household_members",
    "intake_ledger",
    "users",
    "audit_events",
}


def test_upgrade_then_downgrade_base(db_url: str) -> None:
    """GIVEN an empty database WHEN migrated up and down THEN every table comes and goes."""
    engine = engine_for(db_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert set(sa.inspect(engine).get_table_names()) >= FAXFLOW_TABLES
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert not FAXFLOW_TABLES & set(sa.inspect(engine).get_table_names())
    upgrade(engine)  # and up again on the same database
    assert set(sa.inspect(engine).get_table_names()) >= FAXFLOW_TABLES
    engine.dispose()


def test_migrations_match_the_models(db_url: str) -> None:
    """The migration chain builds exactly the tables loaders/tables.py declares."""
    engine = engine_for(db_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_twice_is_a_no_op(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()


def test_sqlite_default_lives_under_var(isolated_settings: Path) -> None:
    """No URL configured: a SQLite file var/faxflow.db, its folder created, foreign keys on."""
    engine = engine_for()
    assert engine.url.database == str((isolated_settings / "faxflow.db").resolve())
    assert (isolated_settings).is_dir()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_database_url_setting_selects_the_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "chosen" / "other.db"
    monkeypatch.setenv("FAXFLOW_DATABASE_URL", f"sqlite:///{target}")
    get_settings.cache_clear()
    upgrade()
    assert target.exists()
    assert current_revision() == head_revision()


def test_unreachable_server_is_a_transient_error_without_password() -> None:
    """A server that does not answer: DatabaseError naming the host, never the password."""
    with pytest.raises(DatabaseError) as caught:
        engine_for("postgresql+psycopg://clerk:s3cret-pw@127.0.0.1:9/faxflow?connect_timeout=2")
    error = caught.value
    assert error.transient is True
    assert "127.0.0.1:9" in error.message
    assert "s3cret-pw" not in str(error)
    assert error.__cause__ is None or "s3cret-pw" not in str(error.__cause__)


def test_malformed_url_is_a_config_error_that_does_not_echo_it() -> None:
    with pytest.raises(ConfigError) as caught:
        engine_for("not a url with password hunter2")
    assert "hunter2" not in str(caught.value)


def test_unknown_driver_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no database driver"):
        engine_for("oracle+nosuchdriver://u:p@host/db")


def test_session_scope_rolls_back_on_error(db_url: str) -> None:
    engine = engine_for(db_url)
    upgrade(engine)
    row = {
        "document_id": "a" * 64,
        "source_name": "x.tif",
        "form_type": "unknown",
        "page_count": 1,
        "status": "rejected",
        "machine_status": "rejected",
        "processed_at": sa.func.now(),
        "updated_at": sa.func.now(),
        "load_count": 1,
        "pipeline_version": "0",
    }
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.execute(sa.insert(documents).values(**row))
        raise RuntimeError("boom")
    with session_scope(engine) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(documents)).scalar() == 0
    # an integrity failure is a coded, permanent DatabaseError without the row's values
    with session_scope(engine) as session:
        session.execute(sa.insert(documents).values(**row))
    with pytest.raises(DatabaseError) as caught, session_scope(engine) as session:
        session.execute(sa.insert(documents).values(**row))
    assert caught.value.transient is False
    assert "x.tif" not in str(caught.value)
    engine.dispose()
