"""The DAG task bodies, run as plain functions (no Airflow scheduler involved).

GIVEN a blank CDC form and a broken file in inbox/<centre>/
WHEN  the intake tasks run in order (claim and check → process and load each)
THEN  the broken file is quarantined with a reason by the checks, before any OCR; the form
      is archived with one record; every file has exactly one ledger row, and XCom
      payloads hold no names or values.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text

from faxflow.flows import (
    claim_and_check,
    open_services,
    process_and_load,
    refresh_aggregates,
    reprocess_document,
    select_documents,
)
from faxflow.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture
def intake_settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", stable_seconds=0)


def _drop(settings: Settings, name: str, data: bytes) -> Path:
    inbox = settings.intake_dir / "inbox" / "clinic-3"
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_bytes(data)
    return path


def test_intake_tasks_archive_good_files_and_quarantine_bad_ones(
    intake_settings: Settings, project_root: Path
) -> None:
    blank = project_root / "extract" / "templates" / "cdc_pui_2020" / "blank.pdf"
    _drop(intake_settings, "Jane Doe case report.pdf", blank.read_bytes())
    _drop(intake_settings, "scan.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")

    checked = claim_and_check(intake_settings)
    # The broken file is quarantined by the checks; only the form goes on to OCR.
    assert len(checked) == 1
    intake = intake_settings.intake_dir
    assert len(list((intake / "quarantine" / "E_CORRUPT").glob("*.reason.txt"))) == 1
    outcomes = [process_and_load(item, intake_settings) for item in checked]
    # XCom payloads: ids, codes and statuses only — never the file name.
    assert "Jane" not in json.dumps(checked + outcomes)
    (outcome,) = outcomes
    assert (outcome["outcome"], outcome["status"]) == ("archived", "needs_review")

    services = open_services(intake_settings)
    entries = services.ledger.entries()
    assert sorted(e.status.value for e in entries) == ["archived", "quarantined"]
    assert not any((intake / "inbox").rglob("*.*"))
    assert not any(p for p in (intake / "work").iterdir() if p.suffix != ".json")
    assert len(list((intake / "quarantine" / "E_CORRUPT").glob("*.reason.txt"))) == 1
    with services.engine.connect() as connection:
        rows = connection.execute(text("select form_type, status from documents")).all()
    assert [tuple(r) for r in rows] == [("cdc_pui_2020", "needs_review")]

    # Reprocessing the archived original replaces the machine extraction, adds no rows.
    document_id = outcome["document_id"]
    assert select_documents(intake_settings, form_type="cdc_pui_2020") == [document_id]
    again = reprocess_document(document_id, intake_settings)
    assert again == {"document_id": document_id, "outcome": "reprocessed", "status": "needs_review"}
    with services.engine.connect() as connection:
        assert connection.execute(text("select count(*) from documents")).scalar() == 1

    exported = refresh_aggregates(intake_settings)
    assert exported["processing_by_centre"] >= 1
    assert (intake_settings.var_dir / "exports" / "processing_by_centre.csv").exists()


def test_the_same_bytes_twice_add_no_second_record(
    intake_settings: Settings, project_root: Path, samples_dir: Path
) -> None:
    sample = sorted((samples_dir / "docs").glob("cdc_pui_2020-fax_fine-*.tif"))[0]
    _drop(intake_settings, "first.tif", sample.read_bytes())
    first = [process_and_load(item, intake_settings) for item in claim_and_check(intake_settings)]
    shutil.copy(sample, intake_settings.intake_dir / "inbox" / "clinic-3" / "again.tif")
    # The copy is recognised by the checks and archived as a duplicate; nothing to process.
    assert claim_and_check(intake_settings) == []
    services = open_services(intake_settings)
    with services.engine.connect() as connection:
        assert connection.execute(text("select count(*) from documents")).scalar() == 1
    entries = services.ledger.entries()
    assert sorted(e.status.value for e in entries) == ["archived", "duplicate"]
    assert {e.document_id for e in entries} == {first[0]["document_id"]}


def test_intake_makes_the_views_of_a_pack_added_since_the_last_refresh(
    tmp_path: Path, project_root: Path
) -> None:
    """A copy of the Japanese notification (samples/packs) is claimed: its pack's records
    and counts views exist before the daily refresh has run."""
    settings = Settings(
        var_dir=tmp_path / "var", stable_seconds=0, forms_dir=project_root / "forms"
    )
    copy = project_root / "samples" / "packs" / "docs" / "jp_covid19_notification-fax_fine-0000.tif"
    _drop(settings, "notification.tif", copy.read_bytes())
    assert len(claim_and_check(settings)) == 1
    views = sa_inspect(open_services(settings).engine).get_view_names()
    assert {"form_jp_covid19_notification", "form_jp_covid19_notification_counts"} <= set(views)
