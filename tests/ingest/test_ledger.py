from __future__ import annotations

import json
import multiprocessing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from faxflow.ledger import Ledger, LedgerEntry, LedgerStatus
from faxflow.settings import Settings
from ingest.ledger import JsonlLedger, entry_from_dict, entry_to_dict

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def entry(arrival_id: str, minutes: int = 0, **changes) -> LedgerEntry:
    base = LedgerEntry(
        arrival_id=arrival_id,
        original_name="scan 1.pdf",
        centre_id="c1",
        status=LedgerStatus.CLAIMED,
        first_seen_at=T0 + timedelta(minutes=minutes),
        updated_at=T0 + timedelta(minutes=minutes),
        stored_path=f"work/{arrival_id}",
        attempts=1,
    )
    return replace(base, **changes)


def test_record_is_an_upsert(ledger: Ledger) -> None:
    ledger.record(entry("a" * 32))
    ledger.record(entry("a" * 32, status=LedgerStatus.PROCESSING, document_id="d1"))
    assert len(ledger.entries()) == 1
    got = ledger.get("a" * 32)
    assert got is not None
    assert (got.status, got.document_id) == (LedgerStatus.PROCESSING, "d1")
    assert ledger.get("b" * 32) is None


def test_entries_are_oldest_first_and_round_trip(ledger: Ledger) -> None:
    later = entry("b" * 32, minutes=5, original_name="név\\nline.pdf", centre_id=None)
    ledger.record(later)
    ledger.record(entry("a" * 32, minutes=1))
    ledger.record(replace(later, status=LedgerStatus.ARCHIVED, updated_at=T0 + timedelta(hours=1)))
    entries = ledger.entries()
    assert [e.arrival_id for e in entries] == ["a" * 32, "b" * 32]
    assert entries[1] == replace(
        later, status=LedgerStatus.ARCHIVED, updated_at=T0 + timedelta(hours=1)
    )


def test_first_with_document_is_the_earliest_archived(ledger: Ledger) -> None:
    ledger.record(entry("a" * 32, minutes=0, status=LedgerStatus.QUARANTINED, document_id="d"))
    ledger.record(entry("b" * 32, minutes=2, status=LedgerStatus.ARCHIVED, document_id="d"))
    ledger.record(entry("c" * 32, minutes=1, status=LedgerStatus.PROCESSING, document_id="d"))
    ledger.record(entry("e" * 32, minutes=3, status=LedgerStatus.ARCHIVED, document_id="other"))
    first = ledger.first_with_document("d")
    assert first is not None and first.arrival_id == "b" * 32
    assert ledger.first_with_document("unknown") is None


def test_entry_dict_round_trip() -> None:
    original = entry("f" * 32, reason_code="E_CORRUPT", reason="page 2 cannot be decoded")
    data = json.loads(json.dumps(entry_to_dict(original)))
    assert entry_from_dict(data) == original


def test_jsonl_sees_writes_of_another_instance(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    writer, reader = JsonlLedger(path), JsonlLedger(path)
    writer.record(entry("a" * 32))
    assert [e.arrival_id for e in reader.entries()] == ["a" * 32]
    writer.record(entry("a" * 32, status=LedgerStatus.ARCHIVED))
    writer.record(entry("b" * 32, minutes=1))
    got = reader.get("a" * 32)
    assert got is not None and got.status is LedgerStatus.ARCHIVED
    assert len(reader.entries()) == 2


def test_jsonl_survives_a_line_torn_by_a_crash(tmp_path: Path) -> None:
    """GIVEN a writer killed mid-line THEN readers skip the fragment and the next write
    starts on a fresh line."""
    path = tmp_path / "ledger.jsonl"
    ledger = JsonlLedger(path)
    ledger.record(entry("a" * 32))
    with path.open("ab") as handle:
        handle.write(b'{"arrival_id": "bbbb')
    assert [e.arrival_id for e in JsonlLedger(path).entries()] == ["a" * 32]
    ledger.record(entry("c" * 32, minutes=1))
    assert [e.arrival_id for e in JsonlLedger(path).entries()] == ["a" * 32, "c" * 32]


def _write_many(path: str, prefix: str, count: int) -> None:
    ledger = JsonlLedger(Path(path))
    for n in range(count):
        ledger.record(entry(f"{prefix}{n:031x}", minutes=n))


def test_jsonl_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(str(path), prefix, 40)) for prefix in "ab"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    entries = JsonlLedger(path).entries()
    assert len(entries) == 80
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_memory_and_jsonl_agree(tmp_path: Path, settings: Settings) -> None:
    from ingest.ledger import MemoryLedger

    memory, jsonl = MemoryLedger(), JsonlLedger(tmp_path / "l.jsonl")
    for ledger in (memory, jsonl):
        ledger.record(entry("a" * 32))
        ledger.record(entry("b" * 32, minutes=1, status=LedgerStatus.ARCHIVED, document_id="d"))
        ledger.record(entry("a" * 32, status=LedgerStatus.DUPLICATE, duplicate_of="d"))
    assert memory.entries() == jsonl.entries()
