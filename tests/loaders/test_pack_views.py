"""Form packs' records in the database: ``form_records`` (JSON checked against the pack's
schema, sensitive values sealed) and the typed view each pack gets from its schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from faxflow.model import DocumentResult, Status
from faxflow.settings import Settings
from loaders.load import load_document
from loaders.pack_views import ensure_pack_views
from tests.builders import doc_id, pack_result, pack_settings

NAME = "household_support"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A throwaway pack drafted from a test-made PDF, its ZIP field turned into an SSN by
    editing the pack's data files only."""
    return pack_settings(tmp_path, NAME, renames={"zip": "applicant_ssn"})


def _result(n: int, record: dict[str, object], status: Status) -> DocumentResult:
    return pack_result(n, NAME, record, status)


def test_records_land_in_form_records_and_the_typed_view(engine: Engine, settings: Settings):
    record = {
        "full_name_applicant": "Ana\x00 Ruiz",  # PostgreSQL refuses NUL in text
        "applicant_ssn": "123456789",
        "owns_car": True,
        "marital": "widowed",  # not on the form: NULL in the record store, kept in fields
        "has_job": "no",
    }
    load_document(engine, _result(1, record, Status.NEEDS_REVIEW), settings=settings)
    assert ensure_pack_views(engine, settings) == [f"form_{NAME}"]
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT record FROM form_records")).scalar_one()
        row = connection.execute(sa.text(f"SELECT * FROM form_{NAME}")).mappings().one()
        field = connection.execute(
            sa.text("SELECT value FROM fields WHERE name = 'marital'")
        ).scalar_one()
    stored = stored if isinstance(stored, dict) else json.loads(stored)
    assert stored["full_name_applicant"] == "Ana Ruiz"
    field = field if field == "widowed" else json.loads(field)  # JSON on SQLite
    assert stored["marital"] is None and field == "widowed"
    assert stored["applicant_ssn"] != "123456789"  # a Fernet token
    assert stored["applicant_ssn_masked"] == "***-**-6789"
    assert dict(row) == {
        "document_id": doc_id(1),
        "status": "needs_review",
        "full_name_applicant": "Ana Ruiz",
        "applicant_ssn_masked": "***-**-6789",  # the token is not in the view
        "owns_car": True,
        "marital": None,
        "has_job": "no",
    }


def test_a_reload_replaces_the_record(engine: Engine, settings: Settings):
    first = {
        "full_name_applicant": "Ana Ruiz",
        "applicant_ssn": None,
        "owns_car": False,
        "marital": "single",
        "has_job": None,
    }
    load_document(engine, _result(2, first, Status.NEEDS_REVIEW), settings=settings)
    load_document(
        engine, _result(2, {**first, "marital": "married"}, Status.ACCEPTED), settings=settings
    )
    ensure_pack_views(engine, settings)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(f"SELECT status, marital FROM form_{NAME}")).all()
    assert [tuple(r) for r in rows] == [("accepted", "married")]


def test_missing_only_creates_a_new_packs_views_and_leaves_the_others(
    engine: Engine, settings: Settings
) -> None:
    with engine.begin() as connection:  # the PostgreSQL database is shared by the tests
        connection.exec_driver_sql(f'DROP VIEW IF EXISTS "form_{NAME}"')
    assert ensure_pack_views(engine, settings, missing_only=True) == [f"form_{NAME}"]
    # a view that exists is left alone (readers may be using it), not dropped and re-made
    assert ensure_pack_views(engine, settings, missing_only=True) == []
    with engine.begin() as connection:
        connection.exec_driver_sql(f'DROP VIEW "form_{NAME}"')
    assert ensure_pack_views(engine, settings, missing_only=True) == [f"form_{NAME}"]
    assert ensure_pack_views(engine, settings) == [f"form_{NAME}"]  # a refresh re-makes all
