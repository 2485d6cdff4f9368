"""Ledgers that need no database: in memory (tests) and an append-only JSON-lines file.

Both implement :class:`faxflow.ledger.Ledger`. :class:`JsonlLedger` is durable and safe for
several processes at once: every write appends one line under an exclusive ``fcntl`` lock
and is flushed to disk before ``record`` returns; the last line for an ``arrival_id`` wins.
A line torn by a crash mid-write is skipped when reading and never joined to the next one.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from faxflow.ledger import LedgerEntry, LedgerStatus

_DATETIME_FIELDS = ("first_seen_at", "updated_at")


def entry_to_dict(entry: LedgerEntry) -> dict[str, Any]:
    """A JSON-ready dict of one entry (datetimes as ISO 8601)."""
    data = asdict(entry)
    data["status"] = entry.status.value
    for name in _DATETIME_FIELDS:
        data[name] = getattr(entry, name).isoformat()
    return data


def entry_from_dict(data: dict[str, Any]) -> LedgerEntry:
    """The inverse of :func:`entry_to_dict`; raises ``ValueError``/``KeyError`` if malformed."""
    values = dict(data)
    values["status"] = LedgerStatus(values["status"])
    for name in _DATETIME_FIELDS:
        values[name] = datetime.fromisoformat(values[name])
    return LedgerEntry(**values)


def _oldest_first(entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    return sorted(entries, key=lambda e: e.first_seen_at)


def _earliest_archived(entries: list[LedgerEntry], document_id: str) -> LedgerEntry | None:
    archived = [
        e for e in entries if e.document_id == document_id and e.status is LedgerStatus.ARCHIVED
    ]
    return min(archived, key=lambda e: e.first_seen_at, default=None)


class MemoryLedger:
    """A ledger in a dict, for tests and one-off runs. Thread-safe; not shared between
    processes."""

    def __init__(self) -> None:
        self._entries: dict[str, LedgerEntry] = {}
        self._lock = threading.Lock()

    def record(self, entry: LedgerEntry) -> None:
        with self._lock:
            self._entries[entry.arrival_id] = entry

    def get(self, arrival_id: str) -> LedgerEntry | None:
        with self._lock:
            return self._entries.get(arrival_id)

    def entries(self) -> list[LedgerEntry]:
        with self._lock:
            return _oldest_first(self._entries.values())

    def first_with_document(self, document_id: str) -> LedgerEntry | None:
        return _earliest_archived(self.entries(), document_id)


class JsonlLedger:
    """A durable ledger in one append-only JSON-lines file (default ``<intake root>/.state/
    ledger.jsonl`` in the CLI). Readers pick up other processes' writes incrementally."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._entries: dict[str, LedgerEntry] = {}
        self._offset = 0
        self._identity: tuple[int, int] | None = None
        self._lock = threading.Lock()

    # -- Ledger protocol ---------------------------------------------------------------

    def record(self, entry: LedgerEntry) -> None:
        line = json.dumps(entry_to_dict(entry), ensure_ascii=True, sort_keys=True) + "\n"
        with self._lock, self.path.open("ab") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                end = handle.seek(0, os.SEEK_END)
                if end and not self._ends_with_newline(end):
                    handle.write(b"\n")  # seal a line torn by a writer that died
                handle.write(line.encode("ascii"))
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def get(self, arrival_id: str) -> LedgerEntry | None:
        return self._refresh().get(arrival_id)

    def entries(self) -> list[LedgerEntry]:
        return _oldest_first(self._refresh().values())

    def first_with_document(self, document_id: str) -> LedgerEntry | None:
        return _earliest_archived(self.entries(), document_id)

    # -- reading -----------------------------------------------------------------------

    def _ends_with_newline(self, end: int) -> bool:
        with self.path.open("rb") as reader:
            reader.seek(end - 1)
            return reader.read(1) == b"\n"

    def _refresh(self) -> dict[str, LedgerEntry]:
        """Read whatever was appended since the last call (all of it if the file was
        replaced), under a shared lock so no half-written line is seen as complete."""
        with self._lock:
            try:
                handle = self.path.open("rb")
            except FileNotFoundError:
                self._entries, self._offset, self._identity = {}, 0, None
                return dict(self._entries)
            with handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
                try:
                    info = os.fstat(handle.fileno())
                    identity = (info.st_dev, info.st_ino)
                    if identity != self._identity or info.st_size < self._offset:
                        self._entries, self._offset, self._identity = {}, 0, identity
                    handle.seek(self._offset)
                    chunk = handle.read()
                finally:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            complete = chunk[: chunk.rfind(b"\n") + 1]
            self._offset += len(complete)
            for raw in complete.splitlines():
                self._apply(raw)
            return dict(self._entries)

    def _apply(self, raw: bytes) -> None:
        if not raw.strip():
            return
        try:
            entry = entry_from_dict(json.loads(raw))
        except (ValueError, KeyError, TypeError):
            # A line torn by a crash: the writer's next attempt records the entry again.
            return
        self._entries[entry.arrival_id] = entry  # keeps the first arrival's position
