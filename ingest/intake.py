"""The watched folder: every file that enters the inbox ends in archive/ or quarantine/,
is processed at most once, and has exactly one ledger row.

Layout under ``settings.intake_dir``::

    inbox/<centre>/<file>        where health centres drop files (a sub-folder per centre)
    work/<arrival_id>            a claimed file while it is being processed
    work/<arrival_id>.claim.json who claimed it and when; locked while a worker is alive
    archive/<centre>/<document_id>.<ext>        processed originals
    archive/duplicates/<arrival_id>.<ext>       exact copies of an earlier document
    quarantine/<CODE>/<arrival_id>[.<ext>]      refused files, each with a .reason.txt
    .state/                      stability observations, locks

How the promises are kept:

* **Stable before claimed.** :func:`discover` polls (network shares send no events) and
  remembers each file's (size, mtime, inode) in ``.state/``; a file becomes a candidate only
  when the same signature was seen ``stable_seconds`` earlier. What is new is decided by
  presence in the inbox, never by comparing timestamps with the last run.
* **Claimed once.** :func:`claim` is an atomic ``rename`` into ``work/``: of two racing
  claimers exactly one succeeds. The claim's sidecar is written and ``flock``-ed *before*
  the rename, so a claim is never without its owner's lock or its original name.
* **Nothing lost.** The ledger is written before each move, and each move is a rename, so a
  worker killed at any point leaves a state :func:`recover` can finish or re-run.
* **Never counted twice.** The document id is the SHA-256 of the bytes; a second arrival of
  the same bytes is archived as a duplicate without being processed (a per-document lock
  makes the check and the processing one step).
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import re
import stat
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from faxflow.errors import (
    ConfigError,
    ErrorCode,
    FaxflowError,
    InputRejected,
    MissingDependency,
    TemplateError,
)
from faxflow.ledger import Ledger, LedgerEntry, LedgerStatus
from faxflow.model import SourceDocument
from faxflow.private import make_private, private_dir
from faxflow.settings import Settings
from ingest.filetype import EXTENSION_BY_KIND, HEADER_BYTES, kind_from_header
from ingest.names import display_name, safe_segment
from ingest.reasons import render_reason
from ingest.scan import scan_inbox
from ingest.source import open_source, sha256_of

log = logging.getLogger(__name__)

STATE_DIR = ".state"
CLAIM_SUFFIX = ".claim.json"
REASON_SUFFIX = ".reason.txt"
DUPLICATES_DIR = "duplicates"
NO_CENTRE = "no-centre"

_ARRIVAL_ID = re.compile(r"[0-9a-f]{32}")
_PLAIN_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")
_FINAL = frozenset({LedgerStatus.ARCHIVED, LedgerStatus.DUPLICATE, LedgerStatus.QUARANTINED})
ENVIRONMENT_ERRORS = (MissingDependency, TemplateError, ConfigError)
"""A broken environment, not a bad file: never counted against a file's tries."""

ProcessFn = Callable[[SourceDocument], object]


# --------------------------------------------------------------------------------------
# folders and values
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntakeFolders:
    """The folders under the intake root (created on demand by :meth:`from_settings`)."""

    root: Path
    inbox: Path
    work: Path
    archive: Path
    quarantine: Path
    state: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> IntakeFolders:
        root = Path(os.path.abspath(settings.intake_dir))
        folders = cls(
            root=root,
            inbox=root / "inbox",
            work=root / "work",
            archive=root / "archive",
            quarantine=root / "quarantine",
            state=root / STATE_DIR,
        )
        # The inbox is where centres drop files (their own accounts may write there);
        # everything faxflow keeps is private to faxflow's account (faxflow.private).
        folders.inbox.mkdir(parents=True, exist_ok=True)
        for folder in (folders.work, folders.archive, folders.quarantine):
            private_dir(folder)
        (folders.state / "locks").mkdir(parents=True, exist_ok=True)
        return folders

    def relative(self, path: Path) -> str:
        """A path relative to the intake root, as stored in the ledger."""
        return path.relative_to(self.root).as_posix()

    def work_path(self, arrival_id: str) -> Path:
        return self.work / arrival_id

    def sidecar(self, arrival_id: str) -> Path:
        return self.work / f"{arrival_id}{CLAIM_SUFFIX}"


@dataclass(frozen=True, slots=True)
class Candidate:
    """An inbox entry whose signature has been stable for ``stable_seconds``."""

    path: Path
    centre_id: str | None  # display form of the centre folder's name
    size: int
    mtime_ns: int
    inode: int
    first_seen_at: datetime

    @property
    def signature(self) -> tuple[int, int, int]:
        return (self.size, self.mtime_ns, self.inode)


@dataclass(frozen=True, slots=True)
class Claim:
    """A file renamed into ``work/``. Serialisable for XCom: paths and ids, no contents."""

    arrival_id: str
    work_path: Path
    original_name: str  # display only
    centre_id: str | None
    claimed_at: datetime

    def to_dict(self) -> dict[str, str | None]:
        return {
            "arrival_id": self.arrival_id,
            "work_path": str(self.work_path),
            "original_name": self.original_name,
            "centre_id": self.centre_id,
            "claimed_at": self.claimed_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Claim:
        """The inverse of :meth:`to_dict`; raises ``InputRejected(E_UNSAFE)`` for a dict
        whose id or path could point anywhere but a work file."""
        arrival_id = str(data.get("arrival_id", ""))
        work_path = Path(str(data.get("work_path", "")))
        if not _ARRIVAL_ID.fullmatch(arrival_id) or work_path.name != arrival_id:
            raise InputRejected(ErrorCode.UNSAFE, "claim does not name a work file")
        centre = data.get("centre_id")
        return cls(
            arrival_id=arrival_id,
            work_path=work_path,
            original_name=str(data.get("original_name") or arrival_id),
            centre_id=None if centre is None else str(centre),
            claimed_at=datetime.fromisoformat(str(data["claimed_at"])),
        )


class Outcome:
    """What happened to one claimed file in :func:`process_claim`."""

    ARCHIVED = "archived"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    RETRY = "retry"  # left in work/ for the next run (a transient or unexpected failure)


@dataclass(frozen=True, slots=True)
class ClaimResult:
    arrival_id: str
    outcome: str
    code: str | None = None
    document_id: str | None = None


@dataclass(slots=True)
class IntakeReport:
    """What one :func:`run_once` did. Counts and codes only, safe to log."""

    results: list[ClaimResult] = field(default_factory=list)
    recovered: int = 0
    waiting: int = 0  # inbox files not yet stable
    lost_races: int = 0  # candidates another worker claimed first

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def codes(self) -> Counter[str]:
        return Counter(r.code for r in self.results if r.code is not None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "archived": self.count(Outcome.ARCHIVED),
            "duplicates": self.count(Outcome.DUPLICATE),
            "quarantined": self.count(Outcome.QUARANTINED),
            "retry": self.count(Outcome.RETRY),
            "recovered": self.recovered,
            "waiting": self.waiting,
            "lost_races": self.lost_races,
            "codes": dict(sorted(self.codes.items())),
        }


# --------------------------------------------------------------------------------------
# discovery
# --------------------------------------------------------------------------------------


def discover(settings: Settings, *, now: float | None = None) -> list[Candidate]:
    """Poll the inbox; return the entries whose (size, mtime, inode) were already the same
    at an observation at least ``settings.stable_seconds`` ago (wall-clock seconds ``now``,
    default the current time). Observations persist in ``.state/`` across runs."""
    return _observe(settings, time.time() if now is None else now)[0]


def _observe(settings: Settings, now: float) -> tuple[list[Candidate], int]:
    folders = IntakeFolders.from_settings(settings)
    candidates: list[Candidate] = []
    waiting = 0
    with _file_lock(folders.state / "observations.lock"):
        previous = _load_observations(folders)
        current: dict[str, dict[str, Any]] = {}
        for path, relative, centre, info in scan_inbox(folders.inbox):
            signature = [info.st_size, info.st_mtime_ns, info.st_ino]
            seen = previous.get(relative)
            if seen is None or seen.get("signature") != signature or seen["since"] > now:
                first_seen = seen["first_seen"] if seen is not None else now
                seen = {"signature": signature, "since": now, "first_seen": first_seen}
            current[relative] = seen
            if now - seen["since"] >= settings.stable_seconds:
                candidates.append(
                    Candidate(
                        path=path,
                        centre_id=centre,
                        size=info.st_size,
                        mtime_ns=info.st_mtime_ns,
                        inode=info.st_ino,
                        first_seen_at=datetime.fromtimestamp(seen["first_seen"], UTC),
                    )
                )
            else:
                waiting += 1
        _save_observations(folders, current)
    return candidates, waiting


def inbox_files(settings: Settings) -> list[Path]:
    """The entries discovery would consider (ignored names left out), stable or not."""
    folders = IntakeFolders.from_settings(settings)
    return [path for path, _, _, _ in scan_inbox(folders.inbox)]


def _load_observations(folders: IntakeFolders) -> dict[str, dict[str, Any]]:
    path = folders.state / "observations.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
        return files if isinstance(files, dict) else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # first run, or a damaged file: every file simply starts its window again


def _save_observations(folders: IntakeFolders, files: dict[str, dict[str, Any]]) -> None:
    _write_atomically(
        folders.state / "observations.json", json.dumps({"version": 1, "files": files})
    )


# --------------------------------------------------------------------------------------
# claiming
# --------------------------------------------------------------------------------------


def inbox_path(settings: Settings, relative: str) -> Path:
    """The inbox path for a relative name, refusing names that would escape the inbox
    (absolute paths, ``..``, or a link to a folder outside it) with ``E_UNSAFE``."""
    folders = IntakeFolders.from_settings(settings)
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts or not relative:
        raise InputRejected(ErrorCode.UNSAFE, f"'{display_name(relative)}' is outside the inbox")
    path = folders.inbox / candidate
    _ensure_inside_inbox(path, folders)
    return path


def _ensure_inside_inbox(path: Path, folders: IntakeFolders) -> None:
    inbox = folders.inbox.resolve()
    parent = Path(os.path.abspath(path)).parent.resolve()
    if parent != inbox and inbox not in parent.parents:
        raise InputRejected(
            ErrorCode.UNSAFE, f"'{display_name(path.name)}' is outside the inbox; not claimed"
        )


def claim(candidate: Candidate, settings: Settings, ledger: Ledger) -> Claim | None:
    """Claim a stable candidate by renaming it into ``work/<arrival_id>``; ``None`` when
    another worker got it first or it changed since it was observed (it goes back to the
    inbox and its stability window starts again). The caller holds the claim's lock until
    :func:`finish` or :func:`quarantine` (or :func:`release`)."""
    folders = IntakeFolders.from_settings(settings)
    _ensure_inside_inbox(candidate.path, folders)
    arrival_id = uuid.uuid4().hex
    work_path = folders.work_path(arrival_id)
    claimed_at = _utcnow()
    original_name = display_name(candidate.path.name)
    sidecar = {
        "arrival_id": arrival_id,
        "original_name": original_name,
        "centre_id": candidate.centre_id,
        "claimed_at": claimed_at.isoformat(),
        "first_seen_at": candidate.first_seen_at.isoformat(),
    }
    _create_locked_sidecar(folders, arrival_id, sidecar)
    try:
        os.rename(candidate.path, work_path)
    except FileNotFoundError:
        _drop_sidecar(folders, arrival_id)
        return None
    except OSError as exc:
        _drop_sidecar(folders, arrival_id)
        if exc.errno == errno.EXDEV:
            raise ConfigError("inbox/ and work/ must be on the same file system") from exc
        raise
    info = os.lstat(work_path)
    changed = (info.st_size, info.st_mtime_ns, info.st_ino) != candidate.signature
    if changed and _put_back(work_path, candidate.path):
        _drop_sidecar(folders, arrival_id)
        return None
    if stat.S_ISREG(info.st_mode):  # never chmod through a link (inspect refuses those)
        make_private(work_path)  # the original is personal data: 0600 from here on
    claimed = Claim(arrival_id, work_path, original_name, candidate.centre_id, claimed_at)
    try:
        ledger.record(
            _claimed_entry(
                folders,
                arrival_id,
                original_name,
                candidate.centre_id,
                first_seen_at=candidate.first_seen_at,
                now=claimed_at,
                attempts=1,
            )
        )
    except BaseException:
        release(claimed)  # the sidecar stays: recover() rebuilds the row from it
        raise
    log.info("claimed arrival %s", arrival_id)
    return claimed


def _put_back(work_path: Path, inbox_path: Path) -> bool:
    """Return a file that changed after it was observed, never overwriting a newer file
    that took its name meanwhile (then the claim stands: False)."""
    try:
        os.link(work_path, inbox_path, follow_symlinks=False)
    except FileExistsError:
        log.warning("an inbox name was reused while claiming; the claim stands")
        return False
    except OSError:  # no hard links on this file system
        if os.path.lexists(inbox_path):
            return False
        os.rename(work_path, inbox_path)
        return True
    os.unlink(work_path)
    return True


# --------------------------------------------------------------------------------------
# inspecting, finishing, quarantining
# --------------------------------------------------------------------------------------


def inspect(claim: Claim, settings: Settings, ledger: Ledger) -> SourceDocument:
    """Run every pre-check on a claimed file (see :func:`ingest.source.open_source`) and
    mark it as being processed. Raises :class:`InputRejected` for refused files."""
    folders = IntakeFolders.from_settings(settings)
    _check_claim(claim, folders)
    entry = _entry_for(claim, ledger, folders)
    source = open_source(
        claim.work_path,
        settings,
        source_name=entry.original_name,
        centre_id=entry.centre_id,
        received_at=entry.first_seen_at,
    )
    ledger.record(
        replace(
            entry,
            status=LedgerStatus.PROCESSING,
            document_id=source.document_id,
            updated_at=_utcnow(),
        )
    )
    return source


def find_duplicate(source: SourceDocument, ledger: Ledger) -> str | None:
    """The document id of an earlier archived arrival with the same bytes, if any."""
    first = ledger.first_with_document(source.document_id)
    return None if first is None else first.document_id


def finish(claim: Claim, source: SourceDocument, settings: Settings, ledger: Ledger) -> Path:
    """Move a processed file to ``archive/<centre>/<document_id>.<ext>`` (or, when another
    arrival already holds these bytes, to ``archive/duplicates/<arrival_id>.<ext>``) and
    record it. Safe to call again after a crash: a finished claim is not moved twice."""
    folders = IntakeFolders.from_settings(settings)
    _check_claim(claim, folders)
    with document_lock(settings, source.document_id):
        entry = _entry_for(claim, ledger, folders)
        if entry.status in _FINAL and entry.stored_path and not os.path.lexists(claim.work_path):
            return folders.root / entry.stored_path
        extension = EXTENSION_BY_KIND[source.kind]
        first = ledger.first_with_document(source.document_id)
        if first is not None and first.arrival_id != claim.arrival_id:
            destination = folders.archive / DUPLICATES_DIR / f"{claim.arrival_id}{extension}"
            finished = replace(
                entry,
                status=LedgerStatus.DUPLICATE,
                duplicate_of=source.document_id,
                reason_code=ErrorCode.DUPLICATE.value,
                reason=f"exact copy of arrival {first.arrival_id}",
            )
        else:
            folder = folders.archive / safe_segment(entry.centre_id or NO_CENTRE)
            destination = folder / f"{source.document_id}{extension}"
            if os.path.lexists(destination):  # only if the ledger lost an earlier arrival
                destination = folder / f"{source.document_id}-{claim.arrival_id}{extension}"
            # A failed earlier try stays in the reason as history; the code is for refusals.
            finished = replace(entry, status=LedgerStatus.ARCHIVED, reason_code=None)
        finished = replace(
            finished,
            document_id=source.document_id,
            stored_path=folders.relative(destination),
            updated_at=_utcnow(),
        )
        ledger.record(finished)
        _complete_move(claim.work_path, destination)
    _drop_sidecar(folders, claim.arrival_id)
    log.info("arrival %s %s", claim.arrival_id, finished.status.value)
    return destination


def quarantine(claim: Claim, error: InputRejected, settings: Settings, ledger: Ledger) -> Path:
    """Move a refused file to ``quarantine/<CODE>/<arrival_id>[.<ext>]`` with a reason file
    beside it that a clerk can read, and record the refusal."""
    folders = IntakeFolders.from_settings(settings)
    _check_claim(claim, folders)
    entry = _entry_for(claim, ledger, folders)
    document_id = entry.document_id or _hash_if_reasonable(claim.work_path, settings)
    destination = (
        folders.quarantine
        / error.code.value
        / f"{claim.arrival_id}{_extension(claim.work_path, entry.original_name)}"
    )
    refused = replace(
        entry,
        status=LedgerStatus.QUARANTINED,
        stored_path=folders.relative(destination),
        reason_code=error.code.value,
        reason=error.message,
        document_id=document_id,
        updated_at=_utcnow(),
    )
    ledger.record(refused)
    _write_reason(destination, refused)
    _complete_move(claim.work_path, destination)
    _drop_sidecar(folders, claim.arrival_id)
    log.info("arrival %s quarantined: %s", claim.arrival_id, error.code.value)
    return destination


def reason_path(stored: Path) -> Path:
    """The reason file beside a quarantined file."""
    return stored.with_name(stored.name + REASON_SUFFIX)


def _write_reason(destination: Path, entry: LedgerEntry) -> None:
    private_dir(destination.parent)
    _write_atomically(reason_path(destination), render_reason(entry))


def _extension(path: Path, original_name: str) -> str:
    """The extension of a refused file's real kind; for other regular files the original
    extension when it is plain (so a clerk can open a misdirected ``.docx``); else none."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return ""
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            kind = kind_from_header(handle.read(HEADER_BYTES))
    except OSError:
        return ""
    if kind is not None:
        return EXTENSION_BY_KIND[kind]
    suffix = Path(original_name).suffix
    return suffix.lower() if _PLAIN_SUFFIX.fullmatch(suffix) else ""


def _hash_if_reasonable(path: Path, settings: Settings) -> str | None:
    try:
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode) and 0 < info.st_size <= settings.max_file_bytes:
            return sha256_of(path)
    except OSError:
        pass  # a refused file that cannot be read has no document id
    return None


def _complete_move(source: Path, destination: Path) -> None:
    """Rename ``source`` to ``destination`` unless a previous attempt already did."""
    private_dir(destination.parent)
    try:
        os.rename(source, destination)
    except FileNotFoundError:
        if not os.path.lexists(destination):
            raise


def _check_claim(claim: Claim, folders: IntakeFolders) -> None:
    if not _ARRIVAL_ID.fullmatch(claim.arrival_id) or Path(
        os.path.abspath(claim.work_path)
    ) != folders.work_path(claim.arrival_id):
        raise InputRejected(ErrorCode.UNSAFE, "claim does not name a file in work/")


def _entry_for(claim: Claim, ledger: Ledger, folders: IntakeFolders) -> LedgerEntry:
    entry = ledger.get(claim.arrival_id)
    if entry is not None:
        return entry
    return _claimed_entry(
        folders,
        claim.arrival_id,
        claim.original_name,
        claim.centre_id,
        first_seen_at=claim.claimed_at,
        now=claim.claimed_at,
        attempts=1,
    )


def _claimed_entry(
    folders: IntakeFolders,
    arrival_id: str,
    original_name: str,
    centre_id: str | None,
    *,
    first_seen_at: datetime,
    now: datetime,
    attempts: int,
) -> LedgerEntry:
    """The ledger row of a file sitting in work/<arrival_id>."""
    return LedgerEntry(
        arrival_id=arrival_id,
        original_name=original_name,
        centre_id=centre_id,
        status=LedgerStatus.CLAIMED,
        first_seen_at=first_seen_at,
        updated_at=now,
        stored_path=folders.relative(folders.work_path(arrival_id)),
        attempts=attempts,
    )


# --------------------------------------------------------------------------------------
# recovery
# --------------------------------------------------------------------------------------


def recover(settings: Settings, ledger: Ledger, *, limit: int | None = None) -> list[Claim]:
    """Claims left in ``work/`` by workers that died, ready to run again.

    A claim whose owner is alive is skipped (its sidecar is locked). A claim whose ledger
    row is already final (the worker died between recording and moving) is completed here
    and not returned. Each returned claim counts one more attempt in the ledger, and is
    locked by this process until finished, quarantined or released.
    """
    folders = IntakeFolders.from_settings(settings)
    arrival_ids = sorted(
        {
            name.removesuffix(CLAIM_SUFFIX)
            for name in os.listdir(folders.work)
            if _ARRIVAL_ID.fullmatch(name.removesuffix(CLAIM_SUFFIX))
        }
    )
    claims: list[Claim] = []
    for arrival_id in arrival_ids:
        if limit is not None and len(claims) >= limit:
            break
        if not _take_claim(folders, arrival_id):
            continue  # a live worker holds it
        recovered = _recover_one(folders, arrival_id, ledger)
        if recovered is None:
            _drop_sidecar(folders, arrival_id)
        else:
            claims.append(recovered)
    return claims


def _recover_one(folders: IntakeFolders, arrival_id: str, ledger: Ledger) -> Claim | None:
    work_path = folders.work_path(arrival_id)
    entry = ledger.get(arrival_id)
    has_file = os.path.lexists(work_path)
    if entry is not None and entry.status in _FINAL and entry.stored_path:
        if has_file:
            destination = folders.root / entry.stored_path
            if entry.status is LedgerStatus.QUARANTINED:
                _write_reason(destination, entry)
            _complete_move(work_path, destination)
            log.info("completed the move of arrival %s after a crash", arrival_id)
        return None
    if not has_file:
        if entry is not None:
            log.warning("arrival %s has a ledger row but its work file is gone", arrival_id)
        return None  # killed before the rename: nothing was claimed
    if entry is None:
        entry = _entry_from_sidecar(folders, arrival_id)
    now = _utcnow()
    entry = replace(
        entry,
        status=LedgerStatus.CLAIMED,
        stored_path=folders.relative(work_path),
        attempts=entry.attempts + 1,
        updated_at=now,
    )
    ledger.record(entry)
    log.info("recovered arrival %s (attempt %d)", arrival_id, entry.attempts)
    return Claim(arrival_id, work_path, entry.original_name, entry.centre_id, now)


def _entry_from_sidecar(folders: IntakeFolders, arrival_id: str) -> LedgerEntry:
    """The ledger row of a claim whose worker died before recording it."""
    now = _utcnow()
    try:
        data = json.loads(folders.sidecar(arrival_id).read_text(encoding="utf-8"))
        original_name = str(data["original_name"])
        centre = data.get("centre_id")
        first_seen = datetime.fromisoformat(str(data.get("first_seen_at") or data["claimed_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        original_name, centre, first_seen = "(name lost)", None, now
    return _claimed_entry(
        folders,
        arrival_id,
        original_name,
        None if centre is None else str(centre),
        first_seen_at=first_seen,
        now=now,
        attempts=0,  # recover() counts this attempt
    )


# --------------------------------------------------------------------------------------
# claim locks (held from before the rename until the file leaves work/)
# --------------------------------------------------------------------------------------

_held_claims: dict[str, int] = {}
_held_claims_guard = threading.Lock()


def _create_locked_sidecar(
    folders: IntakeFolders, arrival_id: str, content: dict[str, Any]
) -> None:
    """Create ``<arrival_id>.claim.json`` already locked by this process: written and
    locked under a hidden temporary name, then linked into place, so no other worker ever
    sees it unlocked. Raises ``FileExistsError`` if the sidecar exists."""
    final = folders.sidecar(arrival_id)
    temporary = folders.work / f".{arrival_id}.{uuid.uuid4().hex[:8]}.tmp"
    fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, json.dumps(content, ensure_ascii=True).encode("ascii"))
        os.fsync(fd)
        try:
            os.link(temporary, final)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: rename, checked first
            if os.path.lexists(final):
                raise FileExistsError(final) from None
            os.rename(temporary, final)
    except BaseException:
        os.close(fd)
        raise
    finally:
        temporary.unlink(missing_ok=True)
    with _held_claims_guard:
        _held_claims[arrival_id] = fd


def _lock_existing_sidecar(folders: IntakeFolders, arrival_id: str) -> bool:
    """Take the lock of a claim's sidecar; False if a live worker holds it (or it
    vanished, or this process is already working on the claim)."""
    with _held_claims_guard:
        if arrival_id in _held_claims:
            return False
    try:
        fd = os.open(folders.sidecar(arrival_id), os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    with _held_claims_guard:
        _held_claims[arrival_id] = fd
    return True


def _take_claim(folders: IntakeFolders, arrival_id: str) -> bool:
    """Lock an unowned claim in work/ for recovery, giving a sidecar to a work file that
    lost it. False when another live worker owns it."""
    if os.path.lexists(folders.sidecar(arrival_id)):
        return _lock_existing_sidecar(folders, arrival_id)
    try:
        _create_locked_sidecar(folders, arrival_id, {"arrival_id": arrival_id})
    except FileExistsError:
        return False  # another recoverer was quicker
    return True


def hold_claim(claim: Claim, settings: Settings) -> bool:
    """Lock, for this process, a claim another process made and released (the processing
    task of a claim its claiming task made); False when a live worker holds it already,
    so two deliveries of one task never process one file at once."""
    folders = IntakeFolders.from_settings(settings)
    _check_claim(claim, folders)
    return _take_claim(folders, claim.arrival_id)


def release(claim: Claim) -> None:
    """Give up this process's lock on a claim that stays in work/ (to be retried)."""
    with _held_claims_guard:
        fd = _held_claims.pop(claim.arrival_id, None)
    if fd is not None:
        os.close(fd)


def _drop_sidecar(folders: IntakeFolders, arrival_id: str) -> None:
    folders.sidecar(arrival_id).unlink(missing_ok=True)
    with _held_claims_guard:
        fd = _held_claims.pop(arrival_id, None)
    if fd is not None:
        os.close(fd)


# --------------------------------------------------------------------------------------
# per-document lock: "is it a duplicate?", processing and archiving are one step
# --------------------------------------------------------------------------------------

_LOCK_STRIPES = 256
_stripe_locks: dict[int, threading.RLock] = {}
_stripe_depth: dict[int, tuple[int, int]] = {}  # stripe -> (fd, depth) held by this process
_stripe_guard = threading.Lock()


@contextmanager
def document_lock(settings: Settings, document_id: str) -> Iterator[None]:
    """Hold the lock for one document id across processes (``flock`` on one of 256 stripe
    files) and threads. Re-entrant within a thread."""
    folders = IntakeFolders.from_settings(settings)
    stripe = zlib.crc32(document_id.encode("utf-8", "surrogatepass")) % _LOCK_STRIPES
    with _stripe_guard:
        thread_lock = _stripe_locks.setdefault(stripe, threading.RLock())
    with thread_lock:
        fd, depth = _stripe_depth.get(stripe, (-1, 0))
        if depth == 0:
            fd = os.open(
                folders.state / "locks" / f"{stripe:02x}.lock",
                os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                0o600,
            )
            fcntl.flock(fd, fcntl.LOCK_EX)
        _stripe_depth[stripe] = (fd, depth + 1)
        try:
            yield
        finally:
            fd, depth = _stripe_depth.pop(stripe)
            if depth > 1:
                _stripe_depth[stripe] = (fd, depth - 1)
            else:
                os.close(fd)


# --------------------------------------------------------------------------------------
# the loop
# --------------------------------------------------------------------------------------


def process_claim(
    claim: Claim,
    settings: Settings,
    ledger: Ledger,
    process: ProcessFn,
    *,
    max_attempts: int | None = None,
    source: SourceDocument | None = None,
) -> ClaimResult:
    """inspect → duplicate check → ``process`` → finish, or quarantine with a code.

    Bad input is quarantined at once. A transient fault (a crashed OCR engine, a database
    that is down) or an unexpected exception ends this try: it is noted in the ledger row
    and the file stays in work/ for another try, up to ``max_attempts`` tries (default
    ``settings.max_attempts``; a worker killed mid-try counts too); then it is quarantined
    with the last failure's code and every try listed. A broken environment (poppler or
    tesseract missing, bad templates or settings) leaves the file and re-raises: no file
    is blamed for it. ``source`` skips the inspection when the caller already made it
    (:func:`check_claim`).
    """
    limit = settings.max_attempts if max_attempts is None else max_attempts
    try:
        return _process_claim(claim, settings, ledger, process, limit, source)
    finally:
        release(claim)  # a no-op once finish/quarantine dropped the claim


def check_claim(
    claim: Claim, settings: Settings, ledger: Ledger, *, max_attempts: int | None = None
) -> ClaimResult | SourceDocument:
    """The intake checks of one claimed file, without processing it: a file out of tries
    or refused is quarantined, an exact copy of an archived document is archived as a
    duplicate (each a :class:`ClaimResult`); an accepted file comes back as its
    :class:`SourceDocument`, still in work/ and marked as processing. Only a broken
    environment raises."""
    limit = settings.max_attempts if max_attempts is None else max_attempts
    try:
        if (refusal := out_of_tries(ledger.get(claim.arrival_id), limit)) is not None:
            return _quarantined(claim, refusal, settings, ledger)
        source = inspect(claim, settings, ledger)
        with document_lock(settings, source.document_id):
            if find_duplicate(source, ledger) is None:
                return source
            finish(claim, source, settings, ledger)
        return ClaimResult(
            claim.arrival_id, Outcome.DUPLICATE, ErrorCode.DUPLICATE.value, source.document_id
        )
    except InputRejected as error:
        return _quarantined(claim, error, settings, ledger)
    except ENVIRONMENT_ERRORS:
        raise
    except FaxflowError as error:
        return failed_try(claim, error, settings, ledger, max_attempts=limit)
    except Exception as exc:  # a bug must not stop the other files
        return failed_try(claim, _unexpected(claim, exc), settings, ledger, max_attempts=limit)


def _process_claim(
    claim: Claim,
    settings: Settings,
    ledger: Ledger,
    process: ProcessFn,
    max_attempts: int,
    source: SourceDocument | None,
) -> ClaimResult:
    if source is None:
        checked = check_claim(claim, settings, ledger, max_attempts=max_attempts)
        if isinstance(checked, ClaimResult):
            return checked
        source = checked
    elif (refusal := out_of_tries(ledger.get(claim.arrival_id), max_attempts)) is not None:
        return _quarantined(claim, refusal, settings, ledger)
    try:
        with document_lock(settings, source.document_id):
            if find_duplicate(source, ledger) is None:
                process(source)
            finish(claim, source, settings, ledger)
        final = ledger.get(claim.arrival_id)
        duplicate = final is not None and final.status is LedgerStatus.DUPLICATE
        return ClaimResult(
            claim.arrival_id,
            Outcome.DUPLICATE if duplicate else Outcome.ARCHIVED,
            ErrorCode.DUPLICATE.value if duplicate else None,
            source.document_id,
        )
    except InputRejected as error:
        return _quarantined(claim, error, settings, ledger)
    except ENVIRONMENT_ERRORS:
        raise
    except FaxflowError as error:
        if error.transient:
            return failed_try(claim, error, settings, ledger, max_attempts=max_attempts)
        return _quarantined(claim, InputRejected(error.code, error.message), settings, ledger)
    except Exception as exc:  # a bug must not stop the other files
        return failed_try(
            claim, _unexpected(claim, exc), settings, ledger, max_attempts=max_attempts
        )


def _unexpected(claim: Claim, exc: Exception) -> FaxflowError:
    """An exception faxflow did not expect, as a coded failure. Only its type is kept: its
    message may quote a field value."""
    log.error("arrival %s failed unexpectedly: %s", claim.arrival_id, type(exc).__name__)
    return FaxflowError(f"processing failed with {type(exc).__name__}", code=ErrorCode.INTERNAL)


# --------------------------------------------------------------------------------------
# tries: a transient fault or a lost worker ends a try; the last try quarantines
# --------------------------------------------------------------------------------------

_TRY_LINE = re.compile(r"try (\d+): ")
STOPPED_WITHOUT_FINISHING = "stopped without finishing (the worker was killed or crashed)"


def failed_try(
    claim: Claim,
    error: FaxflowError,
    settings: Settings,
    ledger: Ledger,
    *,
    max_attempts: int,
) -> ClaimResult:
    """Note how this try failed in the claim's ledger row (its code and message: no
    personal data). After the last allowed try the file is quarantined under that code
    with every try listed; before it, the file stays in work/ (outcome ``RETRY``)."""
    try:
        entry = note_failed_try(claim, error, settings, ledger)
    except FaxflowError as unrecorded:  # the ledger itself is down: nothing to count with
        log.warning("arrival %s: try not recorded (%s)", claim.arrival_id, unrecorded.code.value)
        return ClaimResult(claim.arrival_id, Outcome.RETRY, error.code.value)
    if entry.attempts >= max_attempts:
        return _quarantined(claim, tries_refusal(entry), settings, ledger)
    log.warning(
        "arrival %s: try %d of %d failed (%s); the file stays in work/ for another try",
        claim.arrival_id,
        entry.attempts,
        max_attempts,
        error.code.value,
    )
    return ClaimResult(claim.arrival_id, Outcome.RETRY, error.code.value)


def note_failed_try(
    claim: Claim, error: FaxflowError, settings: Settings, ledger: Ledger
) -> LedgerEntry:
    """Append ``try N: CODE message`` to the ledger row's reason; the row keeps its status."""
    entry = _entry_for(claim, ledger, IntakeFolders.from_settings(settings))
    line = f"try {entry.attempts}: {error.code.value} {error.message}"
    noted = replace(
        entry,
        reason_code=error.code.value,
        reason=line if not entry.reason else f"{entry.reason}\n{line}",
        updated_at=_utcnow(),
    )
    ledger.record(noted)
    return noted


def begin_another_try(claim: Claim, settings: Settings, ledger: Ledger) -> LedgerEntry:
    """Count one more try of a claim whose earlier try ended without a result (a task its
    scheduler runs again after a failure or a lost worker)."""
    entry = _entry_for(claim, ledger, IntakeFolders.from_settings(settings))
    again = replace(entry, attempts=entry.attempts + 1, updated_at=_utcnow())
    ledger.record(again)
    return again


def out_of_tries(entry: LedgerEntry | None, max_attempts: int) -> InputRejected | None:
    """The refusal for a claim that already had every try it is allowed (the last ones
    were lost with their worker, or nobody could quarantine it), else None."""
    if entry is None or entry.attempts <= max_attempts:
        return None
    return tries_refusal(replace(entry, attempts=entry.attempts - 1))


def tries_refusal(entry: LedgerEntry) -> InputRejected:
    """Quarantine reason listing each of ``entry.attempts`` tries: the failure noted for it,
    or that it stopped without finishing. The code is the last noted failure's."""
    noted = {}
    for line in (entry.reason or "").splitlines():
        match = _TRY_LINE.match(line)
        if match:
            noted[int(match.group(1))] = line
    tries = [
        noted.get(n, f"try {n}: {STOPPED_WITHOUT_FINISHING}") for n in range(1, entry.attempts + 1)
    ]
    try:
        code = ErrorCode(entry.reason_code) if entry.reason_code else ErrorCode.INTERNAL
    except ValueError:
        code = ErrorCode.INTERNAL
    return InputRejected(
        code, f"failed on every one of {entry.attempts} tries:\n" + "\n".join(tries)
    )


def _quarantined(
    claim: Claim, error: InputRejected, settings: Settings, ledger: Ledger
) -> ClaimResult:
    quarantine(claim, error, settings, ledger)
    entry = ledger.get(claim.arrival_id)
    return ClaimResult(
        claim.arrival_id,
        Outcome.QUARANTINED,
        error.code.value,
        None if entry is None else entry.document_id,
    )


def claim_ready(
    settings: Settings,
    ledger: Ledger,
    *,
    now: float | None = None,
    limit: int | None = None,
    recover_abandoned: bool = True,
) -> tuple[list[Claim], IntakeReport]:
    """Recover dead workers' claims (unless ``recover_abandoned`` is False), discover
    stable files and claim them — at most ``limit`` claims in all (the rest stay where
    they are for the next call). Returns the claims to process and a report holding the
    counts so far."""
    report = IntakeReport()
    claims = recover(settings, ledger, limit=limit) if recover_abandoned else []
    report.recovered = len(claims)
    candidates, report.waiting = _observe(settings, time.time() if now is None else now)
    for candidate in candidates:
        if limit is not None and len(claims) >= limit:
            break
        try:
            claimed = claim(candidate, settings, ledger)
        except InputRejected as error:
            log.warning("inbox entry not claimed: %s", error.code.value)
            continue
        if claimed is None:
            report.lost_races += 1
        else:
            claims.append(claimed)
    return claims, report


def run_once(
    settings: Settings,
    ledger: Ledger,
    process: ProcessFn,
    *,
    now: float | None = None,
    max_attempts: int | None = None,
) -> IntakeReport:
    """One pass: recover dead workers' claims, discover stable files, claim them, and
    inspect → process → finish (or quarantine) each. One bad file never stops the others."""
    claims, report = claim_ready(settings, ledger, now=now)
    for claimed in claims:
        report.results.append(
            process_claim(claimed, settings, ledger, process, max_attempts=max_attempts)
        )
    return report


# --------------------------------------------------------------------------------------
# the invariant
# --------------------------------------------------------------------------------------


def check_invariant(settings: Settings, ledger: Ledger) -> list[str]:
    """Violations of "every file that entered the inbox is in archive/ or quarantine/ (or
    work/ while claimed) and has exactly one ledger row"; empty when all is well. Messages
    hold arrival ids, document ids and internal paths only."""
    folders = IntakeFolders.from_settings(settings)
    entries = ledger.entries()
    problems: list[str] = []
    rows = Counter(e.arrival_id for e in entries)
    problems += [f"arrival {a} has {n} ledger rows" for a, n in rows.items() if n > 1]
    by_path: dict[str, str] = {}
    for entry in entries:
        problems += _entry_problems(entry, folders)
        if entry.stored_path:
            other = by_path.setdefault(entry.stored_path, entry.arrival_id)
            if other != entry.arrival_id:
                problems.append(f"arrivals {other} and {entry.arrival_id} claim one file")
    archived = Counter(
        e.document_id
        for e in entries
        if e.status in (LedgerStatus.ARCHIVED, LedgerStatus.PURGED) and e.document_id
    )
    problems += [f"document {d} archived {n} times" for d, n in archived.items() if n > 1]
    problems += [
        f"arrival {e.arrival_id} is a duplicate of a document that was never archived"
        for e in entries
        if e.status is LedgerStatus.DUPLICATE and archived[e.duplicate_of or ""] == 0
    ]
    for top in (folders.work, folders.archive, folders.quarantine):
        for path in _stored_items(top):
            relative = folders.relative(path)
            if relative not in by_path:
                problems.append(f"{relative} has no ledger row")
    return problems


def _entry_problems(entry: LedgerEntry, folders: IntakeFolders) -> list[str]:
    label = f"arrival {entry.arrival_id} ({entry.status.value})"
    if entry.status is LedgerStatus.PURGED:  # the retention rule deleted the file on purpose
        return [f"{label}: {entry.stored_path} still exists"] if entry.stored_path else []
    if not entry.stored_path:
        return [f"{label} has no stored path"]
    path = folders.root / entry.stored_path
    if not os.path.lexists(path):
        return [f"{label}: {entry.stored_path} is missing"]
    expected = {
        LedgerStatus.CLAIMED: f"work/{entry.arrival_id}",
        LedgerStatus.PROCESSING: f"work/{entry.arrival_id}",
        LedgerStatus.DUPLICATE: f"archive/{DUPLICATES_DIR}/",
        LedgerStatus.ARCHIVED: "archive/",
        LedgerStatus.QUARANTINED: f"quarantine/{entry.reason_code}/",
    }[entry.status]
    if not entry.stored_path.startswith(expected):
        return [f"{label}: {entry.stored_path} is not under {expected}"]
    if entry.status is LedgerStatus.QUARANTINED and not reason_path(path).exists():
        return [f"{label}: {entry.stored_path} has no reason file"]
    return []


def _stored_items(top: Path) -> Iterator[Path]:
    """Files (and links, pipes …) below a folder, without claim sidecars or reason files."""
    try:
        entries = list(os.scandir(top))
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            yield from _stored_items(path)
        elif not entry.name.endswith((CLAIM_SUFFIX, REASON_SUFFIX)) and not entry.name.startswith(
            "."
        ):
            yield path


# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
