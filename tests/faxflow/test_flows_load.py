"""``process_and_load`` finishes what ``claim_and_check`` measured, without reading the file
again, and retries a crashed OCR engine until the document's last try.

Intake, claiming, the checks, the ledger, loading and archiving are real; only the page
pipeline (cleanup, OCR, extraction) is replaced by a stand-in that returns a hand-made
result for the checked source — or fails as a crashed OCR engine would — so these tests
need no Tesseract. The real engine, crashing, is in tests/dags/test_fault_injection.py.

GIVEN a claimed and checked image in work/
WHEN  process_and_load stores it (as Airflow's task would, try after try)
THEN  the record carries the file facts the checks measured, the file is archived once,
      and a document whose OCR crashes on every try ends quarantined with each try listed.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import text

from faxflow.errors import FaxflowError, OcrError
from faxflow.flows import claim_and_check, count_outcomes, open_services, process_and_load
from faxflow.ledger import LedgerStatus
from faxflow.model import DocumentResult, FormType, RecordType, SourceDocument, Status
from faxflow.pipeline import ProcessOutcome
from faxflow.schemas import empty_record
from faxflow.settings import Settings
from ingest.intake import Claim, hold_claim, reason_path, release

CENTRE = "clinic-7"
FILE_NAME = "Jane Doe referral.png"
KILLED = "tesseract image_to_data failed: tesseract was killed by signal 9 (SIGKILL)"


@pytest.fixture
def intake_settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", stable_seconds=0)


@pytest.fixture
def ocr_crashes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """process_source without OCR: a needs-review CDC result for the checked source. Set
    ``ocr_crashes[0]`` to make that many calls fail first as a killed engine does."""
    crashes = [0]

    def process_source(source: SourceDocument, settings: Settings, **_: Any) -> ProcessOutcome:
        if crashes[0]:
            crashes[0] -= 1
            raise OcrError(KILLED)
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
    return crashes


def _drop_png(settings: Settings, name: str, shade: int) -> Path:
    inbox = settings.intake_dir / "inbox" / CENTRE
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    Image.new("L", (425, 550), shade).save(path, dpi=(50, 50))
    return path


def _forbid_reading_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("process_and_load inspected or hashed the work file again")

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
    intake_settings: Settings, monkeypatch: pytest.MonkeyPatch, ocr_crashes: list[int]
) -> None:
    size = _drop_png(intake_settings, FILE_NAME, 255).stat().st_size
    (checked,) = claim_and_check(intake_settings)
    # The item is XCom: it names the file's kind and size, never the file.
    assert "Jane" not in json.dumps(checked)
    assert (checked["file_kind"], checked["size_bytes"]) == ("png", size)

    _forbid_reading_the_file(monkeypatch)
    outcome = process_and_load(checked, intake_settings)
    assert (outcome["outcome"], outcome["status"]) == ("archived", "needs_review")

    document_id = checked["document_id"]
    assert _document_rows(intake_settings) == [(document_id, CENTRE, "png", size, 1, 1)]
    (entry,) = open_services(intake_settings).ledger.entries()
    assert entry.status is LedgerStatus.ARCHIVED
    assert entry.stored_path == f"archive/{CENTRE}/{document_id}.png"
    assert (intake_settings.intake_dir / entry.stored_path).stat().st_size == size
    assert not (intake_settings.intake_dir / "work" / entry.arrival_id).exists()


def test_a_task_run_again_after_its_document_was_archived_loads_nothing_twice(
    intake_settings: Settings, ocr_crashes: list[int]
) -> None:
    _drop_png(intake_settings, "first.png", 255)
    _drop_png(intake_settings, "second.png", 200)
    checked = claim_and_check(intake_settings)
    first = [process_and_load(item, intake_settings) for item in checked]
    assert count_outcomes(first) == {"archived": 2}

    again = [process_and_load(item, intake_settings, try_number=2) for item in checked]

    assert count_outcomes(again) == {"already_archived": 2}
    assert [row[-1] for row in _document_rows(intake_settings)] == [1, 1]  # load_count
    entries = open_services(intake_settings).ledger.entries()
    assert [(e.status, e.attempts) for e in entries] == [(LedgerStatus.ARCHIVED, 1)] * 2


def test_a_crashed_ocr_engine_is_tried_again_and_the_document_archived(
    intake_settings: Settings, ocr_crashes: list[int]
) -> None:
    _drop_png(intake_settings, FILE_NAME, 255)
    (checked,) = claim_and_check(intake_settings)
    ocr_crashes[0] = 1

    with pytest.raises(FaxflowError) as caught:  # Airflow tries the task again, with backoff
        process_and_load(checked, intake_settings, try_number=1)
    assert caught.value.code.value == "E_OCR_FAILED"
    assert "Jane" not in str(caught.value)
    outcome = process_and_load(checked, intake_settings, try_number=2)

    assert outcome["outcome"] == "archived"
    (entry,) = open_services(intake_settings).ledger.entries()
    assert (entry.status, entry.attempts, entry.reason_code) == (LedgerStatus.ARCHIVED, 2, None)
    assert entry.reason == f"try 1: E_OCR_FAILED {KILLED}"
    assert [row[-1] for row in _document_rows(intake_settings)] == [1]


def test_a_document_whose_ocr_crashes_on_every_try_is_quarantined_with_the_tries_listed(
    intake_settings: Settings, ocr_crashes: list[int]
) -> None:
    _drop_png(intake_settings, FILE_NAME, 255)
    (checked,) = claim_and_check(intake_settings)
    ocr_crashes[0] = 99

    for try_number in (1, 2):
        with pytest.raises(FaxflowError):
            process_and_load(checked, intake_settings, try_number=try_number)
    outcome = process_and_load(checked, intake_settings, try_number=3)

    assert (outcome["outcome"], outcome["code"]) == ("quarantined", "E_OCR_FAILED")
    (entry,) = open_services(intake_settings).ledger.entries()
    assert (entry.status, entry.attempts) == (LedgerStatus.QUARANTINED, 3)
    reason = reason_path(intake_settings.intake_dir / str(entry.stored_path)).read_text()
    assert "failed on every one of 3 tries" in reason
    for n in (1, 2, 3):
        assert f"  try {n}: E_OCR_FAILED {KILLED}" in reason
    assert _document_rows(intake_settings) == []


def test_a_worker_lost_on_every_try_ends_quarantined_without_running_again(
    intake_settings: Settings, ocr_crashes: list[int]
) -> None:
    _drop_png(intake_settings, FILE_NAME, 255)
    (checked,) = claim_and_check(intake_settings)
    # Tries 1 to 3 were each lost with their worker (killed before noting anything);
    # Airflow's fourth try must not run the document a fourth time.
    ocr_crashes[0] = 99
    services = open_services(intake_settings)
    entry = services.ledger.get(checked["arrival_id"])
    assert entry is not None
    services.ledger.record(replace(entry, attempts=3))
    outcome = process_and_load(checked, intake_settings, try_number=4)
    assert (outcome["outcome"], outcome["code"]) == ("quarantined", "E_INTERNAL")
    assert ocr_crashes == [99]  # the pipeline was not called
    reason = (services.ledger.get(checked["arrival_id"]) or entry).reason or ""
    assert reason.count("stopped without finishing (the worker was killed or crashed)") == 3


def test_a_task_delivered_twice_processes_the_claim_only_where_it_is_held(
    intake_settings: Settings, ocr_crashes: list[int]
) -> None:
    _drop_png(intake_settings, FILE_NAME, 255)
    (checked,) = claim_and_check(intake_settings)
    entry = open_services(intake_settings).ledger.get(checked["arrival_id"])
    assert entry is not None and entry.stored_path is not None
    claim = Claim(
        entry.arrival_id,
        intake_settings.intake_dir / entry.stored_path,
        entry.original_name,
        entry.centre_id,
        entry.updated_at,
    )
    assert hold_claim(claim, intake_settings)  # another delivery of the task holds it
    try:
        outcome = process_and_load(checked, intake_settings)
    finally:
        release(claim)
    assert outcome["outcome"] == "held_by_another_worker"
    assert _document_rows(intake_settings) == []
    assert process_and_load(checked, intake_settings)["outcome"] == "archived"


def test_refused_files_are_quarantined_by_the_checks_without_the_pipeline(
    intake_settings: Settings, ocr_crashes: list[int]
) -> None:
    inbox = intake_settings.intake_dir / "inbox" / CENTRE
    inbox.mkdir(parents=True)
    (inbox / "empty.pdf").write_bytes(b"")
    (inbox / "notes.txt").write_bytes(b"not a fax\n")
    ocr_crashes[0] = 99  # the pipeline would fail if it ran

    assert claim_and_check(intake_settings) == []

    entries = open_services(intake_settings).ledger.entries()
    assert sorted((e.status.value, e.reason_code) for e in entries) == [
        ("quarantined", "E_EMPTY"),
        ("quarantined", "E_TYPE"),
    ]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda item: item.pop("size_bytes"), id="item-without-file-facts"),
        pytest.param(lambda item: item.update(file_kind="docx"), id="unknown-file-kind"),
        pytest.param(lambda item: item.update(document_id="0" * 64), id="other-document-id"),
    ],
)
def test_an_unusable_item_fails_its_task_and_leaves_the_file_in_work(
    intake_settings: Settings, damage: Any, ocr_crashes: list[int]
) -> None:
    _drop_png(intake_settings, "a.png", 255)
    (checked,) = claim_and_check(intake_settings)
    damage(checked)

    with pytest.raises(FaxflowError):
        process_and_load(checked, intake_settings)

    left = open_services(intake_settings).ledger.get(checked["arrival_id"])
    assert left is not None and left.status is LedgerStatus.PROCESSING
    assert (intake_settings.intake_dir / "work" / left.arrival_id).is_file()
    assert _document_rows(intake_settings) == []


def test_a_backlog_is_claimed_a_run_at_a_time_up_to_the_limit(
    intake_settings: Settings, ocr_crashes: list[int]
) -> None:
    limited = intake_settings.model_copy(update={"max_claims_per_run": 2})
    for shade in (255, 200, 150):
        _drop_png(limited, f"page-{shade}.png", shade)

    first = claim_and_check(limited)
    assert len(first) == 2 and len(list((limited.intake_dir / "inbox").rglob("*.png"))) == 1
    assert count_outcomes([process_and_load(c, limited) for c in first]) == {"archived": 2}
    second = claim_and_check(limited)

    assert len(second) == 1
    assert {c["arrival_id"] for c in first}.isdisjoint(c["arrival_id"] for c in second)
    assert not any((limited.intake_dir / "inbox").rglob("*.png"))
