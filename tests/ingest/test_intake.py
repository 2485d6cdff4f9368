from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from faxflow.errors import (
    DatabaseError,
    ErrorCode,
    InputRejected,
    MissingDependency,
    OcrError,
    OcrTimeout,
)
from faxflow.ledger import Ledger, LedgerStatus
from faxflow.model import SourceDocument
from faxflow.settings import Settings
from ingest.intake import (
    Candidate,
    Claim,
    IntakeFolders,
    Outcome,
    check_invariant,
    claim,
    discover,
    finish,
    inbox_path,
    inspect,
    process_claim,
    reason_path,
    recover,
    release,
    run_once,
)
from ingest.raster import verify_pages
from tests.ingest.conftest import (
    make_encrypted_pdf,
    make_jpeg,
    make_pdf,
    make_png,
    make_tiff,
    png_header_only,
)

T0 = 1_000_000.0


class Recorder:
    """A process function: decodes every page, then remembers the document id."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.document_ids: list[str] = []

    def __call__(self, source: SourceDocument) -> None:
        verify_pages(source, self.settings)
        self.document_ids.append(source.document_id)


def inbox(settings: Settings, relative: str) -> Path:
    path = IntakeFolders.from_settings(settings).inbox / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def settle(settings: Settings, ledger: Ledger, process, start: float = T0):
    """Two polls a full stability window apart: everything in the inbox is handled."""
    first = run_once(settings, ledger, process, now=start)
    second = run_once(settings, ledger, process, now=start + settings.stable_seconds + 0.1)
    return first, second


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if not p.is_dir() or p.is_symlink())


# --------------------------------------------------------------------------------------
# stability
# --------------------------------------------------------------------------------------


def test_slowly_written_file_is_claimed_only_when_stable_then_once(
    intake_settings: Settings, ledger: Ledger, tmp_path: Path
) -> None:
    """GIVEN a scanner writing a PDF in three bursts THEN nothing is claimed while it
    changes, it is claimed after 5 quiet seconds, and it is processed exactly once."""
    data = make_pdf(tmp_path / "src.pdf", pages=2).read_bytes()
    target = inbox(intake_settings, "c1/scan.pdf")
    process = Recorder(intake_settings)
    steps = [(0.0, data[:1000]), (3.0, data[1000:2000]), (7.5, data[2000:])]
    for offset, chunk in steps:
        with target.open("ab") as handle:
            handle.write(chunk)
        report = run_once(intake_settings, ledger, process, now=T0 + offset)
        assert report.results == [] and report.waiting == 1
    report = run_once(intake_settings, ledger, process, now=T0 + 7.5 + 4.9)
    assert report.results == [] and report.waiting == 1  # 4.9 s quiet is not enough
    report = run_once(intake_settings, ledger, process, now=T0 + 7.5 + 5.0)
    assert [r.outcome for r in report.results] == [Outcome.ARCHIVED]
    run_once(intake_settings, ledger, process, now=T0 + 100)
    assert process.document_ids == [hashlib.sha256(data).hexdigest()]
    assert not target.exists()
    assert check_invariant(intake_settings, ledger) == []


def test_old_modification_time_does_not_make_a_file_look_stable(
    intake_settings: Settings, ledger: Ledger, tmp_path: Path
) -> None:
    """A file copied with its 2001 timestamp is still observed for a full window."""
    target = inbox(intake_settings, "c1/old.tif")
    make_tiff(target, pages=1, size=(400, 300))
    os.utime(target, (1e9, 1e9))
    assert discover(intake_settings, now=T0) == []
    assert [c.path for c in discover(intake_settings, now=T0 + 5)] == [target]


def test_rewrite_with_the_same_size_restarts_the_window(intake_settings: Settings) -> None:
    target = inbox(intake_settings, "c1/a.pdf")
    target.write_bytes(b"%PDF-1.4 aaaa")
    assert discover(intake_settings, now=T0) == []
    target.write_bytes(b"%PDF-1.4 bbbb")
    os.utime(target, ns=(target.stat().st_mtime_ns + 10**9,) * 2)
    assert discover(intake_settings, now=T0 + 5) == []
    assert len(discover(intake_settings, now=T0 + 10)) == 1


def test_temporary_and_hidden_names_are_never_claimed(
    intake_settings: Settings, ledger: Ledger
) -> None:
    names = [
        "c1/scan.pdf.part",
        "c1/x.tmp",
        "c1/y.filepart",
        "c1/~$form.pdf",
        "c1/.hidden.pdf",
        ".sync/a.pdf",
        "c1/Thumbs.db",
    ]
    for name in names:
        inbox(intake_settings, name).write_bytes(b"%PDF-1.4 partial")
    first, second = settle(intake_settings, ledger, Recorder(intake_settings))
    assert first.waiting == 0 and second.results == []
    assert ledger.entries() == []
    assert all(inbox(intake_settings, name).exists() for name in names)


def test_file_that_changes_between_observation_and_claim_goes_back(
    intake_settings: Settings, ledger: Ledger
) -> None:
    target = inbox(intake_settings, "c1/a.tif")
    make_tiff(target, pages=1, size=(400, 300))
    discover(intake_settings, now=T0)
    (candidate,) = discover(intake_settings, now=T0 + 5)
    with target.open("ab") as handle:
        handle.write(b"more")
    assert claim(candidate, intake_settings, ledger) is None
    assert target.exists()
    folders = IntakeFolders.from_settings(intake_settings)
    assert os.listdir(folders.work) == []
    assert ledger.entries() == []


# --------------------------------------------------------------------------------------
# claims, archive, duplicates
# --------------------------------------------------------------------------------------


def test_processed_file_is_archived_by_hash_with_one_ledger_row(
    intake_settings: Settings, ledger: Ledger
) -> None:
    target = inbox(intake_settings, "clinic-7/Patient Form.pdf")
    document_id = hashlib.sha256(make_pdf(target).read_bytes()).hexdigest()
    settle(intake_settings, ledger, Recorder(intake_settings))
    folders = IntakeFolders.from_settings(intake_settings)
    archived = folders.archive / "clinic-7" / f"{document_id}.pdf"
    assert archived.is_file()
    (entry,) = ledger.entries()
    assert entry.status is LedgerStatus.ARCHIVED
    assert (entry.original_name, entry.centre_id) == ("Patient Form.pdf", "clinic-7")
    assert entry.stored_path == f"archive/clinic-7/{document_id}.pdf"
    assert entry.document_id == document_id and entry.attempts == 1
    assert entry.first_seen_at.timestamp() == T0
    assert os.listdir(folders.work) == []


def test_exact_duplicate_is_archived_as_such_and_not_processed_again(
    intake_settings: Settings, ledger: Ledger, tmp_path: Path
) -> None:
    data = make_tiff(tmp_path / "fax.tif", pages=2).read_bytes()
    document_id = hashlib.sha256(data).hexdigest()
    process = Recorder(intake_settings)
    inbox(intake_settings, "c1/fax.tif").write_bytes(data)
    settle(intake_settings, ledger, process, start=T0)
    inbox(intake_settings, "c2/fax again.tif").write_bytes(data)
    inbox(intake_settings, "c2/fax third.tif").write_bytes(data)
    _, report = settle(intake_settings, ledger, process, start=T0 + 60)
    assert [r.outcome for r in report.results] == [Outcome.DUPLICATE] * 2
    assert process.document_ids == [document_id]
    first, *copies = ledger.entries()
    assert first.status is LedgerStatus.ARCHIVED
    assert all(c.status is LedgerStatus.DUPLICATE and c.duplicate_of == document_id for c in copies)
    assert all(c.stored_path.startswith("archive/duplicates/") for c in copies)
    assert all(first.arrival_id in (c.reason or "") for c in copies)
    assert check_invariant(intake_settings, ledger) == []


def test_claim_survives_json_round_trip(intake_settings: Settings, ledger: Ledger) -> None:
    make_png(inbox(intake_settings, "c1/p.png"))
    discover(intake_settings, now=T0)
    (candidate,) = discover(intake_settings, now=T0 + 5)
    claimed = claim(candidate, intake_settings, ledger)
    assert claimed is not None
    again = Claim.from_dict(json.loads(json.dumps(claimed.to_dict())))
    assert again == claimed
    source = inspect(again, intake_settings, ledger)
    assert finish(again, source, intake_settings, ledger).is_file()
    assert finish(again, source, intake_settings, ledger).is_file()  # idempotent
    assert check_invariant(intake_settings, ledger) == []


@pytest.mark.parametrize(
    "tamper",
    [{"arrival_id": "../../etc"}, {"work_path": "/etc/passwd"}, {"arrival_id": "0" * 32}],
)
def test_tampered_claim_is_e_unsafe(tamper: dict[str, str], intake_settings: Settings) -> None:
    data = {
        "arrival_id": "a" * 32,
        "work_path": f"/x/work/{'a' * 32}",
        "original_name": "x.pdf",
        "centre_id": None,
        "claimed_at": "2026-01-01T00:00:00+00:00",
    }
    with pytest.raises(InputRejected) as caught:
        Claim.from_dict({**data, **tamper})
    assert caught.value.code is ErrorCode.UNSAFE


def test_claim_pointing_outside_work_is_e_unsafe(intake_settings: Settings, ledger: Ledger) -> None:
    arrival = "b" * 32
    outside = Claim(arrival, Path("/tmp") / arrival, "x.pdf", None, datetime.now(UTC))
    with pytest.raises(InputRejected) as caught:
        inspect(outside, intake_settings, ledger)
    assert caught.value.code is ErrorCode.UNSAFE


# --------------------------------------------------------------------------------------
# refusals: every code ends in quarantine/<CODE>/ with a reason file
# --------------------------------------------------------------------------------------


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _corrupt(path: Path) -> None:
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\n")


def _corrupt_page(path: Path) -> None:
    """Valid structure, garbage pixels on page 2: refused while decoding (process step)."""
    from PIL import Image

    make_tiff(path, pages=2, size=(400, 300), compression="tiff_adobe_deflate")
    data = bytearray(path.read_bytes())
    with Image.open(path) as image:
        image.seek(1)
        offset = image.tag_v2[273][0]
    data[offset : offset + 30] = b"\x00" * 30
    path.write_bytes(bytes(data))


def _bomb(path: Path) -> None:
    png_header_only(path, 30_000, 30_000)


def _text(path: Path) -> None:
    path.write_text("Dear intake team, the form follows.")


def _symlink(path: Path) -> None:
    outside = path.parent.parent.parent.parent / "outside-secret.pdf"
    make_pdf(outside)
    path.symlink_to(outside)


def _symlinked_folder(path: Path) -> None:
    outside = path.parent.parent.parent.parent / "outside-folder"
    outside.mkdir(exist_ok=True)
    make_pdf(outside / "inside.pdf")
    path.symlink_to(outside, target_is_directory=True)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


REFUSALS = {
    "E_EMPTY": (_empty, {}),
    "E_CORRUPT": (_corrupt, {}),
    "E_CORRUPT-page": (_corrupt_page, {}),
    "E_ENCRYPTED": (make_encrypted_pdf, {}),
    "E_TOO_LARGE": (make_jpeg, {"max_file_bytes": 2000}),
    "E_PAGES": (make_pdf, {"max_pages": 1}),
    "E_BOMB": (_bomb, {}),
    "E_TYPE": (_text, {}),
    "E_UNSAFE-symlink": (_symlink, {}),
    "E_UNSAFE-folder-link": (_symlinked_folder, {}),
    "E_UNSAFE-fifo": (_fifo, {}),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_every_refusal_code_is_quarantined_with_a_reason_file(
    case: str, intake_settings: Settings, ledger: Ledger
) -> None:
    code = case.split("-")[0]
    builder, overrides = REFUSALS[case]
    settings = intake_settings.model_copy(update=overrides)
    builder(inbox(settings, "north-clinic/Smith referral.pdf"))
    process = Recorder(settings)
    settle(settings, ledger, process)

    (entry,) = ledger.entries()
    assert entry.status is LedgerStatus.QUARANTINED
    assert entry.reason_code == code
    assert entry.stored_path.startswith(f"quarantine/{code}/{entry.arrival_id}")
    folders = IntakeFolders.from_settings(settings)
    stored = folders.root / entry.stored_path
    assert os.path.lexists(stored)
    reason = (stored.parent / (stored.name + ".reason.txt")).read_text(encoding="utf-8")
    assert "Original file name: Smith referral.pdf" in reason
    assert "north-clinic" in reason
    assert f"Reason code:        {code}" in reason
    assert "What to do next:" in reason
    assert process.document_ids == []
    assert files_under(folders.inbox) == []
    assert check_invariant(settings, ledger) == []


def test_quarantined_link_leaves_its_target_untouched(
    intake_settings: Settings, ledger: Ledger
) -> None:
    link = inbox(intake_settings, "c1/link.pdf")
    _symlink(link)
    target = Path(os.readlink(link))
    before = target.read_bytes()
    settle(intake_settings, ledger, Recorder(intake_settings))
    assert target.read_bytes() == before
    (entry,) = ledger.entries()
    assert entry.reason_code == "E_UNSAFE"


@pytest.mark.parametrize("relative", ["../outside.pdf", "/etc/passwd", "c1/../../x.pdf", ""])
def test_paths_escaping_the_inbox_are_e_unsafe(relative: str, intake_settings: Settings) -> None:
    with pytest.raises(InputRejected) as caught:
        inbox_path(intake_settings, relative)
    assert caught.value.code is ErrorCode.UNSAFE


def test_candidate_outside_the_inbox_is_refused(
    intake_settings: Settings, ledger: Ledger, tmp_path: Path
) -> None:
    outside = make_pdf(tmp_path / "elsewhere.pdf")
    info = outside.stat()
    candidate = Candidate(
        outside,
        None,
        info.st_size,
        info.st_mtime_ns,
        info.st_ino,
        datetime.now(UTC),
    )
    with pytest.raises(InputRejected) as caught:
        claim(candidate, intake_settings, ledger)
    assert caught.value.code is ErrorCode.UNSAFE
    assert outside.exists()


# --------------------------------------------------------------------------------------
# odd names
# --------------------------------------------------------------------------------------

ODD_NAMES = {
    "nfc": unicodedata.normalize("NFC", "café résumé.pdf"),
    "nfd": unicodedata.normalize("NFD", "café résumé.pdf"),
    "newline": "first\nsecond.pdf",
    "dash": "-rf --help.pdf",
    "long": "x" * 251 + ".pdf",
    "not-utf8": os.fsdecode(b"scan\xff\xfe.pdf"),
}
EXPECTED_DISPLAY = {
    "newline": "first\\nsecond.pdf",
    "not-utf8": "scan\\xff\\xfe.pdf",
}


def test_odd_names_are_processed_safely_and_kept_for_display(
    intake_settings: Settings, ledger: Ledger, tmp_path: Path
) -> None:
    assert len(os.fsencode(ODD_NAMES["long"])) == 255
    for number, name in enumerate(ODD_NAMES.values()):
        made = make_pdf(tmp_path / f"{number}.pdf", pages=1, size=(425 + number, 550))
        made.rename(inbox(intake_settings, f"c1/{name}"))
    _, report = settle(intake_settings, ledger, Recorder(intake_settings))
    assert [r.outcome for r in report.results] == [Outcome.ARCHIVED] * len(ODD_NAMES)
    shown = {e.original_name for e in ledger.entries()}
    expected = {EXPECTED_DISPLAY.get(key, name) for key, name in ODD_NAMES.items()}
    assert shown == expected  # NFC and NFD stay two different names
    folders = IntakeFolders.from_settings(intake_settings)
    for path in files_under(folders.archive / "c1"):
        assert len(path.stem) == 64 and set(path.stem) <= set("0123456789abcdef")
    assert check_invariant(intake_settings, ledger) == []


def test_odd_name_in_quarantine_gets_a_readable_reason(
    intake_settings: Settings, ledger: Ledger
) -> None:
    inbox(intake_settings, "c1/" + ODD_NAMES["newline"]).write_bytes(b"")
    inbox(intake_settings, "c1/" + ODD_NAMES["long"]).write_bytes(b"")
    settle(intake_settings, ledger, Recorder(intake_settings))
    folders = IntakeFolders.from_settings(intake_settings)
    reasons = sorted((folders.quarantine / "E_EMPTY").glob("*.reason.txt"))
    texts = [p.read_text(encoding="utf-8") for p in reasons]
    assert len(texts) == 2
    assert any("Original file name: first\\nsecond.pdf\n" in t for t in texts)
    assert any(ODD_NAMES["long"] in t for t in texts)


def test_odd_centre_folder_names_never_become_paths(
    intake_settings: Settings, ledger: Ledger
) -> None:
    make_png(inbox(intake_settings, "-dash centre\n/scan.png"))
    make_jpeg(inbox(intake_settings, "duplicates/scan.jpg"))
    settle(intake_settings, ledger, Recorder(intake_settings))
    folders = IntakeFolders.from_settings(intake_settings)
    centres = sorted(p.name for p in folders.archive.iterdir())
    assert all(name.startswith("centre-") for name in centres) and len(centres) == 2
    assert {e.centre_id for e in ledger.entries()} == {"-dash centre\\n", "duplicates"}
    assert check_invariant(intake_settings, ledger) == []


# --------------------------------------------------------------------------------------
# failures while processing
# --------------------------------------------------------------------------------------


def test_unexpected_error_is_retried_then_quarantined_as_internal(
    intake_settings: Settings, ledger: Ledger
) -> None:
    make_png(inbox(intake_settings, "c1/p.png"))

    def broken(source: SourceDocument) -> None:
        raise RuntimeError("bug")

    _, second = settle(intake_settings, ledger, broken)
    assert [r.outcome for r in second.results] == [Outcome.RETRY]
    (entry,) = ledger.entries()
    assert entry.stored_path == f"work/{entry.arrival_id}"
    assert check_invariant(intake_settings, ledger) == []
    third = run_once(intake_settings, ledger, broken, now=T0 + 60)
    assert third.recovered == 1 and [r.outcome for r in third.results] == [Outcome.RETRY]
    fourth = run_once(intake_settings, ledger, broken, now=T0 + 120)
    assert [(r.outcome, r.code) for r in fourth.results] == [(Outcome.QUARANTINED, "E_INTERNAL")]
    (entry,) = ledger.entries()
    assert entry.attempts == 3 and entry.reason_code == "E_INTERNAL"
    assert check_invariant(intake_settings, ledger) == []


def test_transient_error_leaves_the_file_for_later(
    intake_settings: Settings, ledger: Ledger
) -> None:
    make_png(inbox(intake_settings, "c1/p.png"))
    calls: list[str] = []

    def database_down(source: SourceDocument) -> None:
        calls.append(source.document_id)
        if len(calls) == 1:
            raise DatabaseError("database unavailable")

    _, report = settle(intake_settings, ledger, database_down)
    assert [(r.outcome, r.code) for r in report.results] == [(Outcome.RETRY, "E_DATABASE")]
    report = run_once(intake_settings, ledger, database_down, now=T0 + 60)
    assert [r.outcome for r in report.results] == [Outcome.ARCHIVED]
    (entry,) = ledger.entries()
    assert (entry.status, entry.attempts) == (LedgerStatus.ARCHIVED, 2)


def test_an_ocr_engine_that_fails_on_every_try_quarantines_with_the_tries_listed(
    intake_settings: Settings, ledger: Ledger
) -> None:
    make_png(inbox(intake_settings, "c1/p.png"))
    failures = [
        OcrError("tesseract image_to_data failed: tesseract was killed by signal 9 (SIGKILL)"),
        OcrTimeout("tesseract image_to_data did not finish within 60 s and was stopped"),
        OcrError("tesseract image_to_data failed: tesseract was killed by signal 9 (SIGKILL)"),
    ]

    def crashing_ocr(source: SourceDocument) -> None:
        raise failures.pop(0)

    _, first = settle(intake_settings, ledger, crashing_ocr)
    assert [(r.outcome, r.code) for r in first.results] == [(Outcome.RETRY, "E_OCR_FAILED")]
    second = run_once(intake_settings, ledger, crashing_ocr, now=T0 + 60)
    assert [(r.outcome, r.code) for r in second.results] == [(Outcome.RETRY, "E_OCR_TIMEOUT")]
    third = run_once(intake_settings, ledger, crashing_ocr, now=T0 + 120)
    assert [(r.outcome, r.code) for r in third.results] == [(Outcome.QUARANTINED, "E_OCR_FAILED")]

    (entry,) = ledger.entries()
    assert (entry.status, entry.attempts) == (LedgerStatus.QUARANTINED, 3)
    reason = reason_path(intake_settings.intake_dir / str(entry.stored_path)).read_text()
    assert "failed on every one of 3 tries" in reason
    assert "  try 1: E_OCR_FAILED tesseract image_to_data failed: tesseract was killed" in reason
    assert "  try 2: E_OCR_TIMEOUT tesseract image_to_data did not finish" in reason
    assert "  try 3: E_OCR_FAILED" in reason
    assert check_invariant(intake_settings, ledger) == []


def test_an_ocr_crash_on_one_try_only_ends_archived_with_the_failure_as_history(
    intake_settings: Settings, ledger: Ledger
) -> None:
    make_png(inbox(intake_settings, "c1/p.png"))
    recorder = Recorder(intake_settings)
    crashes = [OcrError("tesseract image_to_data failed: tesseract was killed by signal 9")]

    def crash_once(source: SourceDocument) -> None:
        if crashes:
            raise crashes.pop()
        recorder(source)

    settle(intake_settings, ledger, crash_once)
    report = run_once(intake_settings, ledger, crash_once, now=T0 + 60)
    assert [r.outcome for r in report.results] == [Outcome.ARCHIVED]
    (entry,) = ledger.entries()
    assert (entry.status, entry.attempts, entry.reason_code) == (LedgerStatus.ARCHIVED, 2, None)
    assert entry.reason is not None and entry.reason.startswith("try 1: E_OCR_FAILED")


def test_missing_dependency_stops_the_run_without_blaming_the_file(
    intake_settings: Settings, ledger: Ledger
) -> None:
    make_png(inbox(intake_settings, "c1/p.png"))

    def no_tesseract(source: SourceDocument) -> None:
        raise MissingDependency("tesseract is not installed")

    run_once(intake_settings, ledger, no_tesseract, now=T0)
    with pytest.raises(MissingDependency):
        run_once(intake_settings, ledger, no_tesseract, now=T0 + 5)
    (entry,) = ledger.entries()
    assert entry.status is LedgerStatus.PROCESSING
    report = run_once(intake_settings, ledger, Recorder(intake_settings), now=T0 + 60)
    assert [r.outcome for r in report.results] == [Outcome.ARCHIVED]
    assert check_invariant(intake_settings, ledger) == []


# --------------------------------------------------------------------------------------
# recovery after a crash at each step (in-process; real kills are in test_concurrency)
# --------------------------------------------------------------------------------------


def _claim_one(settings: Settings, ledger: Ledger, name: str = "c1/p.png") -> Claim:
    make_png(inbox(settings, name))
    discover(settings, now=T0)
    (candidate,) = discover(settings, now=T0 + 5)
    claimed = claim(candidate, settings, ledger)
    assert claimed is not None
    return claimed


def test_live_claims_are_not_recovered(intake_settings: Settings, ledger: Ledger) -> None:
    _claim_one(intake_settings, ledger)
    assert recover(intake_settings, ledger) == []


def test_abandoned_claim_is_recovered_with_one_more_attempt(
    intake_settings: Settings, ledger: Ledger
) -> None:
    claimed = _claim_one(intake_settings, ledger)
    release(claimed)  # what the kernel does when the worker dies
    (again,) = recover(intake_settings, ledger)
    assert again.arrival_id == claimed.arrival_id
    assert again.original_name == "p.png" and again.centre_id == "c1"
    entry = ledger.get(claimed.arrival_id)
    assert entry is not None and entry.attempts == 2
    assert recover(intake_settings, ledger) == []  # now held by this process


def test_claim_killed_before_the_ledger_write_is_recovered_from_its_sidecar(
    intake_settings: Settings, ledger: Ledger, ledger_factory
) -> None:
    from ingest.ledger import MemoryLedger

    lost = MemoryLedger()  # the ledger write that never happened
    claimed = _claim_one(intake_settings, lost)
    release(claimed)
    (again,) = recover(intake_settings, ledger)
    entry = ledger.get(again.arrival_id)
    assert entry is not None
    assert (entry.original_name, entry.centre_id, entry.attempts) == ("p.png", "c1", 1)
    assert entry.first_seen_at.timestamp() == T0


def test_crash_after_recording_but_before_moving_is_completed(
    intake_settings: Settings, ledger: Ledger
) -> None:
    claimed = _claim_one(intake_settings, ledger)
    source = inspect(claimed, intake_settings, ledger)
    folders = IntakeFolders.from_settings(intake_settings)
    entry = ledger.get(claimed.arrival_id)
    assert entry is not None
    destination = f"archive/c1/{source.document_id}.png"
    ledger.record(replace(entry, status=LedgerStatus.ARCHIVED, stored_path=destination))
    release(claimed)  # ... and the worker died before the rename
    assert recover(intake_settings, ledger) == []
    assert (folders.root / destination).is_file()
    assert os.listdir(folders.work) == []
    assert check_invariant(intake_settings, ledger) == []


def test_sidecar_without_a_file_is_cleaned_up(intake_settings: Settings, ledger: Ledger) -> None:
    folders = IntakeFolders.from_settings(intake_settings)
    orphan = folders.work / f"{'c' * 32}.claim.json"
    orphan.write_text("{}")
    assert recover(intake_settings, ledger) == []
    assert not orphan.exists()


# --------------------------------------------------------------------------------------
# the invariant check finds what is wrong
# --------------------------------------------------------------------------------------


def test_invariant_reports_strays_missing_files_and_double_counts(
    intake_settings: Settings, ledger: Ledger, tmp_path: Path
) -> None:
    data = make_pdf(tmp_path / "a.pdf").read_bytes()
    inbox(intake_settings, "c1/a.pdf").write_bytes(data)
    inbox(intake_settings, "c1/empty.pdf").write_bytes(b"")
    settle(intake_settings, ledger, Recorder(intake_settings))
    assert check_invariant(intake_settings, ledger) == []
    folders = IntakeFolders.from_settings(intake_settings)
    archived, quarantined = sorted(ledger.entries(), key=lambda e: e.status.value)
    (folders.archive / "c1" / "stray.pdf").write_bytes(b"x")
    reason = folders.root / (quarantined.stored_path + ".reason.txt")
    reason.unlink()
    ledger.record(replace(archived, arrival_id="d" * 32, stored_path="archive/c1/gone.pdf"))
    problems = check_invariant(intake_settings, ledger)
    assert any("archive/c1/stray.pdf has no ledger row" in p for p in problems)
    assert any("no reason file" in p for p in problems)
    assert any("archive/c1/gone.pdf is missing" in p for p in problems)
    assert any(f"document {archived.document_id} archived 2 times" in p for p in problems)


def test_invariant_reports_a_duplicate_of_nothing(
    intake_settings: Settings, ledger: Ledger, tmp_path: Path
) -> None:
    data = make_png(tmp_path / "a.png").read_bytes()
    inbox(intake_settings, "c1/a.png").write_bytes(data)
    inbox(intake_settings, "c1/b.png").write_bytes(data)
    settle(intake_settings, ledger, Recorder(intake_settings))
    first = next(e for e in ledger.entries() if e.status is LedgerStatus.ARCHIVED)
    ledger.record(replace(first, status=LedgerStatus.QUARANTINED, reason_code="E_TYPE"))
    problems = check_invariant(intake_settings, ledger)
    assert any("duplicate of a document that was never archived" in p for p in problems)


def test_file_that_kills_its_worker_every_time_is_quarantined_as_internal(
    intake_settings: Settings, ledger: Ledger
) -> None:
    claimed = _claim_one(intake_settings, ledger)
    release(claimed)
    for _ in range(2):  # two more workers die on it
        (again,) = recover(intake_settings, ledger)
        release(again)
    calls: list[str] = []
    report = run_once(intake_settings, ledger, lambda s: calls.append(s.document_id), now=T0 + 9)
    assert [(r.outcome, r.code) for r in report.results] == [(Outcome.QUARANTINED, "E_INTERNAL")]
    assert calls == []
    (entry,) = ledger.entries()
    assert entry.attempts == 4 and "failed on every one of 3 tries" in (entry.reason or "")
    assert (entry.reason or "").count("stopped without finishing (the worker was killed") == 3
    assert check_invariant(intake_settings, ledger) == []


class FailingLedger:
    """A ledger whose database went away."""

    def __init__(self, inner: Ledger) -> None:
        self.inner = inner

    def record(self, entry) -> None:
        raise DatabaseError("database unavailable")

    def get(self, arrival_id: str):
        return self.inner.get(arrival_id)

    def entries(self):
        return self.inner.entries()

    def first_with_document(self, document_id: str):
        return self.inner.first_with_document(document_id)


def test_claim_whose_ledger_write_fails_is_recovered_later(
    intake_settings: Settings, ledger: Ledger
) -> None:
    make_png(inbox(intake_settings, "c1/p.png"))
    discover(intake_settings, now=T0)
    (candidate,) = discover(intake_settings, now=T0 + 5)
    with pytest.raises(DatabaseError):
        claim(candidate, intake_settings, FailingLedger(ledger))
    assert ledger.entries() == []
    (again,) = recover(intake_settings, ledger)  # same process: the lock was let go
    entry = ledger.get(again.arrival_id)
    assert entry is not None and entry.original_name == "p.png"


def test_work_file_without_sidecar_or_row_is_recovered_once(
    intake_settings: Settings, ledger: Ledger
) -> None:
    folders = IntakeFolders.from_settings(intake_settings)
    make_png(folders.work / ("e" * 32))
    (claimed,) = recover(intake_settings, ledger)
    assert recover(intake_settings, ledger) == []  # now owned by this process
    result = process_claim(claimed, intake_settings, ledger, Recorder(intake_settings))
    assert result.outcome == Outcome.ARCHIVED
    assert ledger.get(claimed.arrival_id).original_name == "(name lost)"
    assert run_once(intake_settings, ledger, Recorder(intake_settings), now=T0).results == []
    assert check_invariant(intake_settings, ledger) == []
