"""Real processes racing and dying: the promises that only hold across processes."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from faxflow.ledger import Ledger, LedgerStatus
from faxflow.model import SourceDocument
from faxflow.settings import Settings
from ingest.intake import IntakeFolders, check_invariant, claim, discover, run_once
from tests.ingest.conftest import SHARED_LEDGER_FACTORIES, make_png, make_tiff

T0 = 1_000_000.0
FILES = 10


def _settings(var_dir: str, stable_seconds: float = 5.0) -> Settings:
    return Settings(
        var_dir=Path(var_dir),
        database_url=f"sqlite:///{Path(var_dir) / 'ff.db'}",
        stable_seconds=stable_seconds,
    )


def _ledger(name: str, settings: Settings) -> Ledger:
    return SHARED_LEDGER_FACTORIES[name](settings)


def _fill_inbox(settings: Settings, tmp_path: Path) -> list[str]:
    folders = IntakeFolders.from_settings(settings)
    (folders.inbox / "c1").mkdir(exist_ok=True)
    ids = []
    for n in range(FILES):
        path = make_png(folders.inbox / "c1" / f"scan-{n}.png", size=(300 + n, 400))
        ids.append(hashlib.sha256(path.read_bytes()).hexdigest())
    return ids


class AppendLog:
    """A process function that appends one line per call: counts real processing, so a
    file processed twice shows up even though loading would upsert."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self, source: SourceDocument) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{source.document_id}\n".encode())
        finally:
            os.close(fd)


def _claim_all(var_dir: str, ledger_name: str, barrier, results) -> None:
    settings = _settings(var_dir)
    ledger = _ledger(ledger_name, settings)
    candidates = discover(settings, now=T0 + 5)
    barrier.wait(30)
    won = [c.arrival_id for c in (claim(x, settings, ledger) for x in candidates) if c]
    results.put(won)


def _run_all(var_dir: str, ledger_name: str, log_path: str, barrier, results) -> None:
    settings = _settings(var_dir)
    ledger = _ledger(ledger_name, settings)
    barrier.wait(30)
    report = run_once(settings, ledger, AppendLog(log_path), now=T0 + 5)
    results.put(report.to_dict())


def _race(target, args: tuple) -> list:
    # fork: the workers start in milliseconds, so they really do run at the same time
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=target, args=(*args, barrier, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    return outcomes


def test_two_claimers_racing_on_the_same_files_claim_each_once(
    tmp_path: Path, shared_ledger_name: str
) -> None:
    settings = _settings(str(tmp_path / "var"))
    _ledger(shared_ledger_name, settings)  # create the database before the race
    _fill_inbox(settings, tmp_path)
    discover(settings, now=T0)
    won_a, won_b = _race(_claim_all, (str(settings.var_dir), shared_ledger_name))
    assert len(won_a) + len(won_b) == FILES
    assert not set(won_a) & set(won_b)
    folders = IntakeFolders.from_settings(settings)
    assert len([n for n in os.listdir(folders.work) if not n.endswith(".json")]) == FILES
    entries = _ledger(shared_ledger_name, settings).entries()
    assert len(entries) == FILES
    assert all(e.status is LedgerStatus.CLAIMED for e in entries)


def test_two_workers_racing_yield_one_record_per_file(
    tmp_path: Path, shared_ledger_name: str
) -> None:
    settings = _settings(str(tmp_path / "var"))
    _ledger(shared_ledger_name, settings)  # create the database before the race
    document_ids = _fill_inbox(settings, tmp_path)
    discover(settings, now=T0)
    log_path = tmp_path / "processed.log"
    reports = _race(_run_all, (str(settings.var_dir), shared_ledger_name, str(log_path)))
    processed = Counter(log_path.read_text().split())
    assert processed == Counter(document_ids)  # every file once, none twice
    assert sum(r["archived"] for r in reports) == FILES
    ledger = _ledger(shared_ledger_name, settings)
    assert check_invariant(settings, ledger) == []
    assert len(ledger.entries()) == FILES


KILLED_WORKER = """
import os, sys, time
from pathlib import Path
from faxflow.settings import Settings
from ingest.intake import run_once
from tests.ingest.conftest import SHARED_LEDGER_FACTORIES

var_dir, ledger_name, marker = sys.argv[1:4]
settings = Settings(var_dir=Path(var_dir), database_url=f"sqlite:///{Path(var_dir) / 'ff.db'}",
                    stable_seconds=0)
ledger = SHARED_LEDGER_FACTORIES[ledger_name](settings)

def hang(source):
    Path(marker).write_text(source.document_id)
    time.sleep(120)  # killed here: claimed and inspected, never loaded

run_once(settings, ledger, hang)
"""


def test_worker_killed_between_claim_and_load_is_recovered_into_one_record(
    tmp_path: Path, shared_ledger_name: str, project_root: Path
) -> None:
    """GIVEN a worker SIGKILLed while processing a claimed fax WHEN intake runs again THEN
    the claim is recovered, the document is recorded once and the file is in exactly one
    place (archive/), with one ledger row."""
    settings = _settings(str(tmp_path / "var"), stable_seconds=0)
    folders = IntakeFolders.from_settings(settings)
    (folders.inbox / "c1").mkdir()
    fax = make_tiff(folders.inbox / "c1" / "fax.tif", pages=2)
    document_id = hashlib.sha256(fax.read_bytes()).hexdigest()
    marker = tmp_path / "started"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_WORKER,
            str(settings.var_dir),
            shared_ledger_name,
            str(marker),
        ],
        cwd=project_root,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert worker.poll() is None, "worker ended before it was killed"
            assert time.monotonic() < deadline, "worker never started processing"
            time.sleep(0.05)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    assert worker.returncode == -signal.SIGKILL

    ledger = _ledger(shared_ledger_name, settings)
    (entry,) = ledger.entries()
    assert entry.status is LedgerStatus.PROCESSING
    assert (folders.work / entry.arrival_id).exists()
    assert check_invariant(settings, ledger) == []  # claimed files in work/ are fine

    records: dict[str, int] = {}

    def load(source: SourceDocument) -> None:  # an upsert keyed by document id
        records[source.document_id] = records.get(source.document_id, 0) + 1

    report = run_once(settings, ledger, load)
    assert report.recovered == 1
    assert records == {document_id: 1}
    (entry,) = ledger.entries()
    assert (entry.status, entry.attempts) == (LedgerStatus.ARCHIVED, 2)
    places = [p for p in folders.root.rglob("*") if p.is_file() and p.suffix == ".tif"]
    assert places == [folders.archive / "c1" / f"{document_id}.tif"]
    assert os.listdir(folders.work) == []
    assert check_invariant(settings, ledger) == []
    assert run_once(settings, ledger, load).results == []
    assert records == {document_id: 1}


@pytest.mark.parametrize("stage", ["claimed", "recorded"])
def test_every_crash_point_leaves_a_recoverable_state(tmp_path: Path, stage: str) -> None:
    """A worker killed right after the rename (before its ledger write) or right after it
    recorded the claim: the next run finishes the file, once."""
    from ingest.intake import Claim, release
    from ingest.ledger import JsonlLedger, MemoryLedger

    settings = _settings(str(tmp_path / "var"), stable_seconds=0)
    folders = IntakeFolders.from_settings(settings)
    make_png(folders.inbox / "scan.png")
    ledger = JsonlLedger(tmp_path / "ledger.jsonl")
    (candidate,) = discover(settings, now=T0)
    claimed: Claim | None = claim(
        candidate, settings, MemoryLedger() if stage == "claimed" else ledger
    )
    assert claimed is not None
    release(claimed)  # the kernel drops a dead worker's locks
    calls: list[str] = []
    report = run_once(settings, ledger, lambda source: calls.append(source.document_id))
    assert report.recovered == 1 and len(calls) == 1
    (entry,) = ledger.entries()
    assert entry.status is LedgerStatus.ARCHIVED and entry.original_name == "scan.png"
    assert check_invariant(settings, ledger) == []
