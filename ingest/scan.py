"""Listing the inbox: which entries intake considers, and what changed between two looks.

Kept apart from :mod:`ingest.intake` and free of heavy imports (no Pillow, pydantic or
database code) because the Airflow triggerer imports it to watch the inbox
(:mod:`ingest.inbox_trigger`), and discovery and the watcher must agree on what counts as
an inbox file.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.names import display_name

log = logging.getLogger(__name__)

IGNORED_PREFIXES = (".", "~$")
IGNORED_SUFFIXES = (".part", ".tmp", ".filepart", ".crdownload", ".partial", ".download")
IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini"})
MAX_DEPTH = 8

Key = tuple[str, int]
"""An inbox entry: its path relative to the inbox and its inode."""
Signature = tuple[int, int]
"""What changes while an entry is written: its size and modification time (ns)."""


def is_ignored_name(name: str) -> bool:
    """Temporary and hidden names a scanner or copier is still writing: never claimed."""
    lowered = name.lower()
    return (
        name.startswith(IGNORED_PREFIXES)
        or lowered.endswith(IGNORED_SUFFIXES)
        or lowered in IGNORED_NAMES
    )


def scan_inbox(inbox: Path) -> Iterator[tuple[Path, str, str | None, os.stat_result]]:
    """Every non-ignored entry below the inbox that is not a real folder (links, pipes and
    devices included, so they can be quarantined), without following links: its path,
    its path relative to the inbox, its centre (display form of the first folder) and its
    ``lstat``."""

    def walk(folder: Path, parts: tuple[str, ...]) -> Iterator[Any]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            log.warning("cannot list an inbox folder (%s)", exc.strerror)
            return
        for entry in entries:
            if is_ignored_name(entry.name):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # vanished between listing and looking
            path = Path(entry.path)
            if stat.S_ISDIR(info.st_mode):
                if len(parts) < MAX_DEPTH:
                    yield from walk(path, (*parts, entry.name))
                continue
            relative = "/".join((*parts, entry.name))
            centre = display_name(parts[0]) if parts else None
            yield path, relative, centre, info

    yield from walk(inbox, ())


def snapshot(inbox: Path) -> dict[Key, Signature]:
    """One look at the inbox: every entry :func:`scan_inbox` yields, by key (empty while
    the inbox does not exist yet: the first run creates it)."""
    if not inbox.is_dir():
        return {}
    return {
        (relative, info.st_ino): (info.st_size, info.st_mtime_ns)
        for _, relative, _, info in scan_inbox(inbox)
    }


@dataclass(slots=True)
class ArrivalWatch:
    """Decides, look after look, when the inbox holds something intake has not been told
    about: an entry that is new, or that changed since it was announced, and that looked
    the same in the last two looks (so a file still being written is announced once it
    stops growing, not at every look). Entries that left the inbox (claimed) are
    forgotten. The state is in memory only: a restarted watch announces what is waiting
    once more, which costs one run that finds the files already claimed or claims them."""

    announced: dict[Key, Signature] = field(default_factory=dict)
    previous: dict[Key, Signature] = field(default_factory=dict)

    def look(self, current: dict[Key, Signature]) -> int:
        """Take one look; the number of entries to announce now (0: nothing to say)."""
        ready = {
            key: signature
            for key, signature in current.items()
            if self.previous.get(key) == signature and self.announced.get(key) != signature
        }
        self.announced = {
            key: signature
            for key, signature in {**self.announced, **ready}.items()
            if key in current
        }
        self.previous = current
        return len(ready)
