"""Fixtures for the database tests: a migrated engine on SQLite and on PostgreSQL, an
encryption key, and small hand-made document results (no OCR needed; built with
:mod:`tests.builders`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from faxflow.model import DocumentResult, FormType, Issue, Status
from faxflow.settings import get_settings
from loaders.db import engine_for, upgrade
from loaders.tables import Base
from tests.builders import CDC_TEMPLATE_PAGES, DHS1171_TEMPLATE_PAGES, field_result, form_result
from tests.builders import doc_id as doc_id  # re-exported: the loader tests import it from here
from tests.builders import source_for as source_for  # re-exported likewise


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Each test: its own var/ folder and a fresh encryption key from the environment."""
    var_dir = tmp_path / "var"
    monkeypatch.setenv("FAXFLOW_VAR_DIR", str(var_dir))
    monkeypatch.setenv("FAXFLOW_ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.delenv("FAXFLOW_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield var_dir
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def pg_shared_url(pg_databases: Any) -> str:
    """One migrated PostgreSQL database for the session; emptied before each test."""
    url = str(pg_databases.create())
    upgrade(url)
    return url


def _empty_every_table(engine: Engine) -> None:
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database (SQLite and PostgreSQL)."""
    if request.param == "sqlite":
        engine = engine_for(f"sqlite:///{tmp_path / 'faxflow-test.db'}")
        upgrade(engine)
    else:
        engine = engine_for(request.getfixturevalue("pg_shared_url"))
        _empty_every_table(engine)
    yield engine
    engine.dispose()


def url_of(engine: Engine) -> str:
    """The engine's URL with its password, to open more connections in a test."""
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database, for tests of behaviour that does not depend on the
    backend."""
    engine = engine_for(f"sqlite:///{tmp_path / 'single.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def infection_result(
    n: int,
    *,
    status: Status = Status.ACCEPTED,
    fields: dict[str, Any] | None = None,
    issues: list[Issue] | None = None,
    **values: Any,
) -> DocumentResult:
    """A CDC PUI result for document ``n``: every schema property present, ``values`` set,
    and a FieldResult for each given value (confidence 0.9, a box on page 1)."""
    field_results = {
        name: field_result(value, 0.9, (10, 20, 110, 40), raw=str(value))
        for name, value in values.items()
    }
    field_results.update(fields or {})
    return form_result(
        n,
        FormType.CDC_PUI_2020,
        status=status,
        values=values,
        fields=field_results,
        issues=issues or (),
        template_pages=CDC_TEMPLATE_PAGES,
        template_version="2026.11.1",
    )


def benefit_result(
    n: int,
    *,
    status: Status = Status.ACCEPTED,
    members: list[dict[str, Any]] | None = None,
    **values: Any,
) -> DocumentResult:
    """A DHS-1171 result for document ``n`` (all 21 pages) with household members."""
    field_results = {
        name: field_result(value, 0.95, (5, 5, 50, 20), page=4, raw=str(value))
        for name, value in values.items()
    }
    for index, member in enumerate(members or []):
        for key, value in member.items():
            field_results[f"household_members[{index}].{key}"] = field_result(
                value, 0.9, (1, 2, 3, 4), page=5 + index, raw=str(value)
            )
    return form_result(
        n,
        FormType.MDHHS_DHS1171,
        status=status,
        values={**values, "household_members": members or []},
        fields=field_results,
        template_pages=DHS1171_TEMPLATE_PAGES,
    )


def at(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2020, month, day, hour, minute, tzinfo=UTC)
