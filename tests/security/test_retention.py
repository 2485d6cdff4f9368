"""Threat: faxes and page images — every field in clear, including what no record keeps —
are kept forever after their document was decided (minimum-necessary principle)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from faxflow.flows import open_services, purge_expired
from faxflow.ledger import LedgerStatus
from faxflow.settings import Settings
from ingest.intake import check_invariant
from loaders.review import approve, get_document
from loaders.tables import audit_events, documents, utc_now
from tests.security.test_private_files import _run_intake


def _files(settings: Settings, document_id: str) -> tuple[list[Path], list[Path]]:
    """The archived original, and the page images with the result file."""
    archive = [p for p in (settings.intake_dir / "archive").rglob("*") if p.is_file()]
    images = list((settings.var_dir / "pages" / document_id).glob("*.png"))
    images += list((settings.var_dir / "results").glob(f"{document_id}.json"))
    return archive, images


def _decided_days_ago(settings: Settings, document_id: str, days: int) -> None:
    services = open_services(settings)
    with services.engine.begin() as connection:
        connection.execute(
            sa.update(documents)
            .where(documents.c.document_id == document_id)
            .values(reviewed_at=utc_now() - timedelta(days=days))
        )


def test_decided_documents_lose_their_files_after_the_retention_period(
    settings: Settings, monkeypatch
) -> None:
    outcomes = _run_intake(settings, monkeypatch)
    [document_id] = [o["document_id"] for o in outcomes]
    archive, images = _files(settings, document_id)
    assert archive and images
    approve(open_services(settings).engine, document_id, reviewer="rita")

    _decided_days_ago(settings, document_id, settings.retention_days - 1)
    assert purge_expired(settings) == {
        "documents": 0,
        "originals": 0,
        "page_images": 0,
        "result_files": 0,
    }
    assert _files(settings, document_id) == (archive, images)

    _decided_days_ago(settings, document_id, settings.retention_days + 1)
    assert purge_expired(settings) == {
        "documents": 1,
        "originals": 1,
        "page_images": 1,
        "result_files": 1,
    }
    assert _files(settings, document_id) == ([], [])

    services = open_services(settings)
    kept = get_document(services.engine, document_id)
    assert kept.status == "accepted" and kept.record["applicant_ssn"] == "***-**-4321"
    assert all(page.image_path is None for page in kept.pages)
    with services.engine.connect() as connection:
        audit = connection.execute(
            sa.select(audit_events.c.actor, audit_events.c.detail).where(
                audit_events.c.action == "retention_purge"
            )
        ).all()
    assert [tuple(a) for a in audit] == [
        (
            "(retention)",
            "1 original(s), 1 page image(s) and 1 result file(s) deleted, "
            f"{settings.retention_days} days after the decision",
        )
    ]
    assert [e.status for e in services.ledger.entries()] == [LedgerStatus.PURGED]
    assert check_invariant(settings, services.ledger) == []
    assert purge_expired(settings)["documents"] == 0  # nothing more to remove


def test_documents_in_review_keep_their_files_however_old(settings: Settings, monkeypatch) -> None:
    outcomes = _run_intake(settings, monkeypatch)
    [document_id] = [o["document_id"] for o in outcomes]
    services = open_services(settings)
    with services.engine.begin() as connection:
        connection.execute(sa.update(documents).values(updated_at=utc_now() - timedelta(days=3650)))
    assert purge_expired(settings)["documents"] == 0
    assert all(_files(settings, document_id))
