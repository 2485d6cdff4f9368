"""``load_processed`` finishes what ``process_claimed`` measured, without reading the file.

Intake, claiming, inspection, the ledger, loading and archiving are real; only the page
pipeline (cleanup, OCR, extraction) is replaced by a stand-in that returns a hand-made
result for the inspected source, so these tests need no Tesseract.

GIVEN a claimed and processed image in work/
WHEN  load_processed stores it
THEN  the record carries the file facts inspect measured, the file is archived, and the
      work file was neither inspected nor hashed a second time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import text

from faxflow.flows import claim_ready_files, load_processed, open_services, process_claimed
from faxflow.ledger import LedgerStatus
from faxflow.model import DocumentResult, FormType, RecordType, SourceDocument, Status
from faxflow.pipeline import ProcessOutcome
from faxflow.schemas import empty_record
from faxflow.settings import Settings

CENTRE = "clinic-7"
FILE_NAME = "Jane Doe referral.png"


@pytest.fixture
def intake_settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", stable_seconds=0)


@pytest.fixture(autouse=True)
def stand_in_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    """process_source without OCR: a needs-review CDC result for the inspected source."""

    def process_source(source: SourceDocument, settings: Settings, **_: Any) -> ProcessOutcome:
        result = DocumentResult(
            document_id=source.document_id,
            source_name=source.source_name,
            form_type=FormType.CDC_PUI_2020,
            record_type=RecordType.INFECTION_REPORT,
            page_count=source.page_count,
            status=Status.NEEDS_REVIEW,
            record=empty_record(RecordType.INFECTION_REPORT),
        )
        return ProcessOutcome(result=result, source=source)

    monkeypatch.setattr("faxflow.pipeline.process_source", process_source)


def _drop_png(settings: Settings, name: str, shade: int) -> Path:
    inbox = settings.intake_dir / "inbox" / CENTRE
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    Image.new("L", (425, 550), shade).save(path, dpi=(50, 50))
    return path


def _processed(settings: Settings) -> list[dict[str, Any]]:
    return [process_claimed(a, settings) for a in claim_ready_files(settings)]


def _forbid_reading_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("load_processed inspected or hashed the work file again")

    for target in (
        "ingest.intake.inspect",
        "ingest.intake.open_source",
        "ingest.intake.sha256_of",
        "ingest.source.open_source",
        "ingest.source.sha256_of",
    ):
        monkeypatch.setattr(target, forbidden)


def _document_rows(settings: Settings) -> list[tuple[Any, ...]]:
    services = open_services(settings)
    with services.engine.connect() as connection:
        rows = connection.execute(
            text(
                "select document_id, centre_id, file_kind, size_bytes, page_count, load_count "
                "from documents"
            )
        ).all()
    return [tuple(row) for row in rows]


def test_loading_archives_the_file_without_inspecting_or_hashing_it_again(
    intake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = _drop_png(intake_settings, FILE_NAME, 255).stat().st_size
    outcomes = _processed(intake_settings)
    assert [o["outcome"] for o in outcomes] == ["processed"]
    # The outcome is XCom: it names the file's kind and size, never the file.
    assert "Jane" not in json.dumps(outcomes)
    assert (outcomes[0]["file_kind"], outcomes[0]["size_bytes"]) == ("png", size)

    _forbid_reading_the_file(monkeypatch)
    assert load_processed(outcomes, intake_settings) == {"needs_review": 1}

    document_id = outcomes[0]["document_id"]
    assert _document_rows(intake_settings) == [(document_id, CENTRE, "png", size, 1, 1)]
    (entry,) = open_services(intake_settings).ledger.entries()
    assert entry.status is LedgerStatus.ARCHIVED
    assert entry.stored_path == f"archive/{CENTRE}/{document_id}.png"
    assert (intake_settings.intake_dir / entry.stored_path).stat().st_size == size
    assert not (intake_settings.intake_dir / "work" / entry.arrival_id).exists()


def test_a_retried_load_counts_archived_documents_without_loading_them_again(
    intake_settings: Settings,
) -> None:
    _drop_png(intake_settings, "first.png", 255)
    _drop_png(intake_settings, "second.png", 200)
    outcomes = _processed(intake_settings)
    assert load_processed(outcomes, intake_settings) == {"needs_review": 2}

    assert load_processed(outcomes, intake_settings) == {"needs_review": 2}

    assert [row[-1] for row in _document_rows(intake_settings)] == [1, 1]  # load_count
    statuses = [e.status for e in open_services(intake_settings).ledger.entries()]
    assert statuses == [LedgerStatus.ARCHIVED, LedgerStatus.ARCHIVED]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda item: item.pop("size_bytes"), id="outcome-without-file-facts"),
        pytest.param(lambda item: item.update(file_kind="docx"), id="unknown-file-kind"),
        pytest.param(lambda item: item.update(document_id="0" * 64), id="other-document-id"),
    ],
)
def test_an_unusable_outcome_leaves_its_file_for_the_next_run_and_loads_the_others(
    intake_settings: Settings, damage: Any
) -> None:
    _drop_png(intake_settings, "a.png", 255)
    _drop_png(intake_settings, "b.png", 200)
    outcomes = _processed(intake_settings)
    damage(outcomes[0])

    assert load_processed(outcomes, intake_settings) == {"failed": 1, "needs_review": 1}

    services = open_services(intake_settings)
    left = services.ledger.get(outcomes[0]["arrival_id"])
    assert left is not None and left.status is LedgerStatus.PROCESSING
    assert (intake_settings.intake_dir / "work" / left.arrival_id).is_file()
    assert len(_document_rows(intake_settings)) == 1


def test_a_missing_result_file_fails_that_document_only(intake_settings: Settings) -> None:
    _drop_png(intake_settings, "a.png", 255)
    _drop_png(intake_settings, "b.png", 200)
    outcomes = _processed(intake_settings)
    (intake_settings.var_dir / "results" / f"{outcomes[1]['document_id']}.json").unlink()

    assert load_processed(outcomes, intake_settings) == {"failed": 1, "needs_review": 1}
    assert [row[0] for row in _document_rows(intake_settings)] == [outcomes[0]["document_id"]]
