"""The intake ledger contract: one row for every file that entered the inbox.

``ingest`` writes through the :class:`Ledger` protocol; ``loaders.ledger.SqlLedger`` stores
it in the database and ``ingest.ledger.MemoryLedger`` keeps it in memory for tests. The
invariant the ledger makes checkable at any time: every file that entered the inbox is in
``archive/`` or ``quarantine/`` (or still being worked on) and has exactly one ledger row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class LedgerStatus(StrEnum):
    CLAIMED = "claimed"  # renamed into work/, not yet finished
    PROCESSING = "processing"  # pipeline running
    ARCHIVED = "archived"  # processed; file in archive/
    DUPLICATE = "duplicate"  # same bytes as an earlier document; file in archive/duplicates/
    QUARANTINED = "quarantined"  # refused with a reason code; file in quarantine/<CODE>/
    PURGED = "purged"  # its document was decided long ago: file deleted (retention), record kept


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One arrival of one file. ``arrival_id`` is assigned at claim time and never changes."""

    arrival_id: str
    original_name: str  # display only; may hold odd characters
    centre_id: str | None
    status: LedgerStatus
    first_seen_at: datetime
    updated_at: datetime
    document_id: str | None = None  # sha256 of the bytes, once hashed
    stored_path: str | None = None  # where the file is now, relative to the intake root
    reason_code: str | None = None  # ErrorCode value when quarantined
    reason: str | None = None  # clerk-readable reason (no personal data)
    attempts: int = 0
    duplicate_of: str | None = None  # document_id of the first copy


class Ledger(Protocol):
    """Storage for ledger entries. Implementations must make ``record`` an upsert."""

    def record(self, entry: LedgerEntry) -> None:
        """Insert or replace the entry with this ``arrival_id``."""

    def get(self, arrival_id: str) -> LedgerEntry | None:
        """The entry for one arrival, if any."""

    def entries(self) -> list[LedgerEntry]:
        """Every entry, oldest first."""

    def first_with_document(self, document_id: str) -> LedgerEntry | None:
        """The earliest ARCHIVED entry holding these bytes (for duplicate detection)."""
