"""SqlLedger implements the intake ledger protocol on both databases."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.engine import Engine

from faxflow.ledger import Ledger, LedgerEntry, LedgerStatus
from loaders.ledger import SqlLedger
from tests.loaders.conftest import at, doc_id


def entry(arrival: str, minute: int, **changes: object) -> LedgerEntry:
    base = LedgerEntry(
        arrival_id=arrival,
        original_name="Fax – Smith's form (1).tif",
        centre_id="clinic-a",
        status=LedgerStatus.CLAIMED,
        first_seen_at=at(2, 9, minute),
        updated_at=at(2, 9, minute),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_record_is_an_upsert_and_round_trips(engine: Engine) -> None:
    ledger: Ledger = SqlLedger(engine)
    first = entry("a1", 0)
    ledger.record(first)
    assert ledger.get("a1") == first
    done = replace(
        first,
        status=LedgerStatus.ARCHIVED,
        updated_at=at(2, 10),
        document_id=doc_id(1),
        stored_path="archive/clinic-a/x.tif",
        attempts=1,
    )
    ledger.record(done)
    assert ledger.get("a1") == done
    assert ledger.entries() == [done]
    assert ledger.get("missing") is None


def test_entries_oldest_first_and_first_archived_copy(engine: Engine) -> None:
    ledger = SqlLedger(engine)
    ledger.record(entry("late", 30, status=LedgerStatus.ARCHIVED, document_id=doc_id(1)))
    ledger.record(entry("early", 10, status=LedgerStatus.ARCHIVED, document_id=doc_id(1)))
    ledger.record(
        entry(
            "refused",
            5,
            status=LedgerStatus.QUARANTINED,
            document_id=doc_id(1),
            reason_code="E_CORRUPT",
        )
    )
    ledger.record(
        entry(
            "dup", 40, status=LedgerStatus.DUPLICATE, document_id=doc_id(1), duplicate_of=doc_id(1)
        )
    )
    assert [e.arrival_id for e in ledger.entries()] == ["refused", "early", "late", "dup"]
    first = ledger.first_with_document(doc_id(1))
    assert first is not None and first.arrival_id == "early"
    assert ledger.first_with_document(doc_id(2)) is None
