"""Aggregates against counts worked out by hand on a small fixture (both databases)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from faxflow.ledger import LedgerEntry, LedgerStatus
from faxflow.model import Status
from faxflow.settings import get_settings
from loaders import load as load_module
from loaders.aggregates import AGGREGATES
from loaders.db import engine_for, upgrade
from loaders.ledger import SqlLedger
from loaders.load import load_document
from loaders.review import apply_correction, approve
from tests.loaders.conftest import at, benefit_result, infection_result, source_for

D = date


def _load(engine, monkeypatch, result, *, processed: datetime, centre=None, received=None):
    monkeypatch.setattr(load_module, "utc_now", lambda: processed)
    source = source_for(result, centre=centre, received=received) if centre else None
    load_document(engine, result, source=source)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def fixture_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """Five infection reports (one rejected, one corrected and approved), two benefit
    applications, one file refused at intake; built once per database and only read.
    The expected tables are in the tests below."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('aggregates') / 'agg.db'}"
    else:
        url = request.getfixturevalue("pg_databases").create()
    engine = engine_for(url)
    upgrade(engine)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("FAXFLOW_ENCRYPTION_KEY", Fernet.generate_key().decode())
        get_settings.cache_clear()
        _build_fixture(engine, monkeypatch)
    get_settings.cache_clear()
    yield engine
    engine.dispose()


def _build_fixture(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    mi = {"reporting_jurisdiction": "MI"}
    _load(
        engine,
        monkeypatch,
        infection_result(
            1,
            report_date_case="2020-03-03",
            county_of_residence="Washtenaw",
            case_status="lab_confirmed",
            onset_date="2020-02-28",
            hospitalized="yes",
            icu="yes",
            died="no",
            **mi,
        ),
        processed=at(2, 9, 10),
        centre="A",
        received=at(2, 9),
    )
    _load(
        engine,
        monkeypatch,
        infection_result(
            2,
            status=Status.NEEDS_REVIEW,
            county_of_residence="Washtenaw",
            case_status="pui",
            onset_date="2020-02-28",
            hospitalized="no",
            **mi,
        ),
        processed=at(2, 10, 30),
        centre="A",
        received=at(2, 10),
    )
    _load(
        engine,
        monkeypatch,
        infection_result(
            3,
            report_date_pui="2020-03-03",
            county_of_residence="Kent",
            case_status="pui",
            onset_date="2020-03-01",
            hospitalized="yes",
            died="yes",
            **mi,
        ),
        processed=at(3, 11, 5),
        centre="B",
        received=at(3, 11),
    )
    _load(
        engine,
        monkeypatch,
        infection_result(
            4,
            status=Status.REJECTED,
            report_date_case="2020-03-03",
            county_of_residence="Washtenaw",
            case_status="lab_confirmed",
            onset_date="2020-02-28",
            hospitalized="yes",
            **mi,
        ),
        processed=at(3, 11, 15),
        centre="B",
        received=at(3, 11),
    )
    _load(
        engine,
        monkeypatch,
        infection_result(
            5,
            status=Status.NEEDS_REVIEW,
            report_date_case="2020-03-03",
            county_of_residence="Wastenaw",
            case_status="lab_confirmed",
            onset_date="2020-03-01",
            **mi,
        ),
        processed=at(4, 0, 10),
        centre="A",
        received=at(3, 23, 30),
    )
    apply_correction(
        engine, infection_result(5).document_id, "county_of_residence", "Washtenaw", reviewer="rita"
    )
    approve(engine, infection_result(5).document_id, reviewer="rita")
    _load(
        engine,
        monkeypatch,
        benefit_result(
            6,
            residential_county="Kent",
            applying_food_assistance=True,
            applying_cash_assistance=True,
            applying_child_care=False,
        ),
        processed=at(2, 12, 20),
        centre="A",
        received=at(2, 12),
    )
    _load(
        engine,
        monkeypatch,
        benefit_result(
            7,
            status=Status.NEEDS_REVIEW,
            residential_county="Kent",
            signature_date="2020-03-04",
            applying_food_assistance=True,
        ),
        processed=at(5, 8),
    )
    ledger = SqlLedger(engine)
    ledger.record(
        LedgerEntry(
            "arr-refused",
            "bad.pdf",
            "B",
            LedgerStatus.QUARANTINED,
            at(3, 14),
            at(3, 14),
            reason_code="E_CORRUPT",
        )
    )
    ledger.record(
        LedgerEntry(
            "arr-4",
            "fax-4.tif",
            "B",
            LedgerStatus.QUARANTINED,
            at(3, 11),
            at(3, 11),
            document_id=infection_result(4).document_id,
        )
    )
    return engine


def records(name: str, engine: Engine) -> list[tuple]:
    frame = AGGREGATES[name](engine)
    return [
        tuple(None if isinstance(v, float) and math.isnan(v) else v for v in row)
        for row in frame.itertuples(index=False)
    ]


def test_infections_by_day(fixture_db: Engine) -> None:
    assert AGGREGATES["infections_by_day"](fixture_db).columns.tolist() == [
        "day",
        "reporting_jurisdiction",
        "county_of_residence",
        "case_status",
        "reports",
        "accepted",
        "needs_review",
    ]
    assert records("infections_by_day", fixture_db) == [
        (D(2020, 3, 2), "MI", "Washtenaw", "pui", 1, 0, 1),
        (D(2020, 3, 3), "MI", "Kent", "pui", 1, 1, 0),
        (D(2020, 3, 3), "MI", "Washtenaw", "lab_confirmed", 2, 2, 0),
    ]


def test_epi_curve(fixture_db: Engine) -> None:
    assert records("epi_curve", fixture_db) == [
        (D(2020, 2, 28), "Washtenaw", "lab_confirmed", 1),
        (D(2020, 2, 28), "Washtenaw", "pui", 1),
        (D(2020, 3, 1), "Kent", "pui", 1),
        (D(2020, 3, 1), "Washtenaw", "lab_confirmed", 1),
    ]


def test_severity(fixture_db: Engine) -> None:
    frame = AGGREGATES["severity"](fixture_db)
    assert frame.columns.tolist()[3:] == [
        "reports",
        "hospitalized",
        "icu",
        "mechanical_ventilation",
        "died",
    ]
    assert records("severity", fixture_db) == [
        ("MI", "Kent", "pui", 1, 1, 0, 0, 1),
        ("MI", "Washtenaw", "lab_confirmed", 2, 1, 1, 0, 0),
        ("MI", "Washtenaw", "pui", 1, 0, 0, 0, 0),
    ]


def test_benefits_by_county(fixture_db: Engine) -> None:
    assert records("benefits_by_county", fixture_db) == [
        ("Kent", D(2020, 3, 2), "cash_assistance", 1, 1),
        ("Kent", D(2020, 3, 2), "child_care", 0, 1),
        ("Kent", D(2020, 3, 2), "food_assistance", 1, 1),
        ("Kent", D(2020, 3, 4), "cash_assistance", 0, 1),
        ("Kent", D(2020, 3, 4), "child_care", 0, 1),
        ("Kent", D(2020, 3, 4), "food_assistance", 1, 1),
    ]


def test_processing_by_centre(fixture_db: Engine) -> None:
    assert AGGREGATES["processing_by_centre"](fixture_db).columns.tolist() == [
        "centre_id",
        "day",
        "received",
        "accepted",
        "auto_accepted",
        "needs_review",
        "rejected",
        "median_minutes",
    ]
    assert records("processing_by_centre", fixture_db) == [
        ("A", D(2020, 3, 2), 3, 2, 2, 1, 0, 20.0),
        ("A", D(2020, 3, 3), 1, 1, 0, 0, 0, 40.0),
        ("B", D(2020, 3, 3), 3, 1, 1, 0, 2, 10.0),
        ("unknown", D(2020, 3, 5), 1, 0, 0, 1, 0, None),
    ]


def test_corrections_by_field(fixture_db: Engine) -> None:
    assert records("corrections_by_field", fixture_db) == [
        ("cdc_pui_2020", "county_of_residence", 1, 1)
    ]


def test_every_aggregate_has_its_columns_on_an_empty_database(engine: Engine) -> None:
    for name, compute in AGGREGATES.items():
        frame = compute(engine)
        assert frame.empty, name
        assert len(frame.columns) >= 3, name


def test_views_answer_sql_users_in_any_time_zone(fixture_db: Engine) -> None:
    """Analysts querying the views directly get UTC days even in a far-off session zone
    (fax 2 arrived 2020-03-02 10:00 UTC, already 3 March at UTC+14)."""
    with fixture_db.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TIME ZONE 'Pacific/Kiritimati'")
        try:
            rows = connection.exec_driver_sql(
                "SELECT day, county_of_residence, case_status, reports FROM v_infections_by_day "
                "ORDER BY day, county_of_residence, case_status"
            ).all()
        finally:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("RESET TIME ZONE")
    assert [(str(day), county, status, n) for day, county, status, n in rows] == [
        ("2020-03-02", "Washtenaw", "pui", 1),
        ("2020-03-03", "Kent", "pui", 1),
        ("2020-03-03", "Washtenaw", "lab_confirmed", 2),
    ]
