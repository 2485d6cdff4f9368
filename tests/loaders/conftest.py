"""Fixtures for the database tests: a migrated engine on SQLite and on PostgreSQL, an
encryption key, and small hand-made document results (no OCR needed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from faxflow.model import (
    DocumentResult,
    FieldResult,
    FileKind,
    FormType,
    Issue,
    PageReport,
    PageRole,
    RecordType,
    SourceDocument,
    Status,
)
from faxflow.schemas import empty_record
from faxflow.settings import get_settings
from loaders.db import engine_for, upgrade
from loaders.tables import Base


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


def doc_id(n: int) -> str:
    return f"{n:064x}"


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
    record = empty_record(RecordType.INFECTION_REPORT)
    record.update(values)
    field_results = {
        name: FieldResult(
            value=value, confidence=0.9, page=1, bbox=(10, 20, 110, 40), raw_text=str(value)
        )
        for name, value in values.items()
    }
    field_results.update(fields or {})
    return DocumentResult(
        document_id=doc_id(n),
        source_name=f"fax-{n}.tif",
        form_type=FormType.CDC_PUI_2020,
        record_type=RecordType.INFECTION_REPORT,
        page_count=2,
        status=status,
        record=record,
        fields=field_results,
        issues=issues or [],
        pages=[
            PageReport(
                number=1, role=PageRole.FORM, form_type=FormType.CDC_PUI_2020, template_page=1
            ),
            PageReport(
                number=2, role=PageRole.FORM, form_type=FormType.CDC_PUI_2020, template_page=2
            ),
        ],
        template_version="2026.11.1",
    )


def benefit_result(
    n: int,
    *,
    status: Status = Status.ACCEPTED,
    members: list[dict[str, Any]] | None = None,
    **values: Any,
) -> DocumentResult:
    """A DHS-1171 result for document ``n`` with household members."""
    record = empty_record(RecordType.BENEFIT_APPLICATION)
    record.update(values)
    record["household_members"] = members or []
    field_results = {
        name: FieldResult(
            value=value, confidence=0.95, page=4, bbox=(5, 5, 50, 20), raw_text=str(value)
        )
        for name, value in values.items()
    }
    for index, member in enumerate(members or []):
        for key, value in member.items():
            field_results[f"household_members[{index}].{key}"] = FieldResult(
                value=value, confidence=0.9, page=5 + index, bbox=(1, 2, 3, 4), raw_text=str(value)
            )
    return DocumentResult(
        document_id=doc_id(n),
        source_name=f"application-{n}.pdf",
        form_type=FormType.MDHHS_DHS1171,
        record_type=RecordType.BENEFIT_APPLICATION,
        page_count=21,
        status=status,
        record=record,
        fields=field_results,
        pages=[
            PageReport(
                number=i, role=PageRole.FORM, form_type=FormType.MDHHS_DHS1171, template_page=i
            )
            for i in range(1, 22)
        ],
    )


def source_for(result: DocumentResult, *, centre: str, received: datetime) -> SourceDocument:
    return SourceDocument(
        document_id=result.document_id,
        path=Path("/nonexistent") / result.source_name,
        source_name=result.source_name,
        kind=FileKind.TIFF,
        page_count=result.page_count,
        size_bytes=1234,
        centre_id=centre,
        received_at=received,
    )


def at(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2020, month, day, hour, minute, tzinfo=UTC)
