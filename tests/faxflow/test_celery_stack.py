"""``make up EXECUTOR=celery`` end to end, with Celery workers killed mid-document.

GIVEN the stack ``python -m faxflow.up --executor celery`` starts (Redis, PostgreSQL,
      Airflow's scheduler, API server, DAG processor and triggerer, two Celery workers)
WHEN  12 two-page faxes are dropped into its inbox, and three times a Celery worker is
      killed outright (SIGKILL to the worker and everything it started, as a lost machine)
      while it reads a document, the supervisor starting it again each time
THEN  every file is archived or quarantined exactly once, with one ledger row and (when
      archived) one record each; no record was loaded twice; the killed documents were
      tried again (their ledger rows count the extra try); ``faxflow intake status``
      reports the invariant held; and SIGTERM to the stack leaves no process behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from faxflow.celery_stack import pid_dir, running_database_url, stack_root, worker_count
from faxflow.localservers import free_port
from ingest.intake import CLAIM_SUFFIX
from tests.processes import alive, command_name, members, open_files, pids_in, wait_for

pytestmark = [
    pytest.mark.celery,
    pytest.mark.airflow,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.timeout(1200),
]

DOCUMENTS = 12
KILLS = 3
START_S = 300  # the stack up and fax_intake's first run over (2 busy cores)
HOLD_S = 300  # until some worker reads a document not killed before
DONE_S = 600  # until every file is archived or quarantined
HEARTBEAT_TIMEOUT_S = 30  # a killed worker's try is failed after this (the stack's is 60)


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    var_dir: Path
    root: Path
    env: dict[str, str]

    @property
    def intake(self) -> Path:
        return self.root / "intake"

    def services(self) -> dict[str, int]:
        return pids_in(pid_dir(self.root))


@pytest.fixture
def celery_stack(project_root: Path) -> Iterator[Stack]:
    # PostgreSQL runs as the postgres user when the tests run as root: a folder it can
    # reach (pytest's tmp_path sits in a 0700 folder).
    var_dir = Path(tempfile.mkdtemp(prefix="faxflow-celery-"))
    var_dir.chmod(0o755)
    env = {
        **os.environ,
        "FAXFLOW_VAR_DIR": str(var_dir),
        "FAXFLOW_AIRFLOW_PORT": str(free_port()),
        "FAXFLOW_DASHBOARD_PORT": str(free_port()),
        "FAXFLOW_STABLE_SECONDS": "0",  # each file appears whole, by a rename
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT_S),
        "OMP_THREAD_LIMIT": "1",
        "PYTHONPATH": str(project_root),
    }
    env.pop("FAXFLOW_DATABASE_URL", None)
    root = stack_root(var_dir)
    log = (var_dir / "up.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "faxflow.up", "--executor", "celery"],
        cwd=project_root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stack = Stack(process, var_dir, root, env)
    seen: set[int] = set()
    try:
        yield stack
    finally:
        seen.update(members(stack.services()))
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=120)
        for pid in seen | set(members(stack.services())):  # nothing stray, even on failure
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(var_dir, ignore_errors=True)


def _faxes(samples_dir: Path, target: Path) -> list[Path]:
    """12 distinct two-page faxes: the committed two-page G4 faxes re-saved with a
    different description tag each (same pages, another file and document id)."""
    from PIL import Image

    from faxflow.bench import long_fax

    sources = sorted((samples_dir / "docs").glob("cdc_pui_2020-fax_*.tif"))
    assert sources, "no committed two-page faxes"
    target.mkdir(parents=True)
    faxes = []
    for n in range(DOCUMENTS):
        source = sources[n % len(sources)]
        with Image.open(source) as image:
            pages = image.n_frames
        description = f"faxflow celery test copy {n}"
        faxes.append(long_fax(source, target / f"fax-{n:02d}.tif", pages, description=description))
    assert len({hashlib.sha256(p.read_bytes()).hexdigest() for p in faxes}) == DOCUMENTS
    return faxes


def _claims_held(pids: list[int]) -> set[str]:
    """Arrival ids whose claim some of ``pids`` holds (its lock file open)."""
    held = set()
    for pid in pids:
        for path in open_files(pid):
            if path.endswith(CLAIM_SUFFIX) and "/intake/work/" in path:
                held.add(Path(path).name.removesuffix(CLAIM_SUFFIX))
    return held


def _worker_reading(stack: Stack, spared: set[str]) -> tuple[str, str, list[int]] | None:
    """A worker that holds exactly one claim (a processing task, not the claiming one)
    of an arrival not in ``spared``, with Tesseract running: its name, the arrival and
    every process of it."""
    for name, pid in stack.services().items():
        if not name.startswith("celery-worker"):
            continue
        processes = members({name: pid})
        held = _claims_held(processes)
        reading = any(command_name(p) == "tesseract" for p in processes)
        if len(held) == 1 and reading and not held & spared:
            return name, held.pop(), processes
    return None


def _kill_a_reading_worker(stack: Stack, *, spared: set[str]) -> str:
    """SIGKILL a worker and everything it started while it reads a document not in
    ``spared``, wait until the supervisor has started it again; the arrival id it held."""
    found: list[tuple[str, str, list[int]]] = []

    def reading() -> bool:
        hit = _worker_reading(stack, spared)
        if hit:
            found.append(hit)
        return hit is not None

    assert wait_for(reading, HOLD_S, poll=0.5), f"no worker read a document; spared {spared}"
    name, arrival, processes = found[-1]
    before = stack.services()[name]
    for pid in processes:  # at once, as a lost machine
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    def restarted() -> bool:
        now = stack.services().get(name)
        return now is not None and now != before and alive(now)

    assert wait_for(restarted, 60), f"{name} was not started again"
    assert not any(alive(pid) for pid in processes)
    return arrival


def _stored(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".reason.txt")]


def _settled(stack: Stack) -> bool:
    inbox = [p for p in (stack.intake / "inbox").rglob("*") if p.is_file()]
    work = (
        [p for p in (stack.intake / "work").glob("*")] if (stack.intake / "work").is_dir() else []
    )
    done = _stored(stack.intake / "archive") + _stored(stack.intake / "quarantine")
    return not inbox and not work and len(done) >= DOCUMENTS


def test_killed_celery_workers_lose_and_duplicate_nothing(
    celery_stack: Stack, samples_dir: Path, tmp_path: Path
) -> None:
    stack = celery_stack
    faxes = _faxes(samples_dir, tmp_path / "faxes")
    workers = {f"celery-worker-{n}" for n in range(1, worker_count() + 1)}
    observed = stack.intake / ".state" / "observations.json"  # the first run looked
    assert wait_for(
        lambda: (
            stack.process.poll() is None and observed.exists() and workers <= set(stack.services())
        ),
        START_S,
        poll=1,
    ), f"the stack never ran fax_intake (exit {stack.process.poll()}); see {stack.root}/logs"

    inbox = stack.intake / "inbox" / "clinic-7"
    inbox.mkdir(parents=True)
    for fax in faxes:
        shutil.copy(fax, inbox / f"{fax.name}.part")
        os.rename(inbox / f"{fax.name}.part", inbox / fax.name)

    killed: list[str] = []
    for _ in range(KILLS):
        killed.append(_kill_a_reading_worker(stack, spared=set(killed)))

    assert wait_for(lambda: _settled(stack), DONE_S, poll=2), "files still waiting"

    # Every file is in archive/ or quarantine/ exactly once.
    dropped = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in faxes)
    done = _stored(stack.intake / "archive") + _stored(stack.intake / "quarantine")
    assert sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in done) == dropped

    from sqlalchemy import text

    from loaders.db import engine_for
    from loaders.ledger import SqlLedger

    url = running_database_url(stack.var_dir)
    assert url is not None
    engine = engine_for(url)
    entries = SqlLedger(engine).entries()
    assert len(entries) == DOCUMENTS == len({e.arrival_id for e in entries})
    archived = {e.document_id for e in entries if e.status.value == "archived"}
    assert len(archived) + sum(e.status.value == "quarantined" for e in entries) == DOCUMENTS
    with engine.connect() as connection:
        query = text("select document_id, load_count from documents")
        loads = {row[0]: row[1] for row in connection.execute(query)}
    assert set(loads) == archived  # one record per archived document, none for the rest
    assert set(loads.values()) == {1}, "a document was loaded twice"
    tries = {e.arrival_id: e.attempts for e in entries}
    assert all(tries[arrival] >= 2 for arrival in killed), tries  # tried again
    # A worker killed once per document never quarantines a good one.
    assert len(archived) == DOCUMENTS

    status = subprocess.run(
        [str(Path(sys.executable).with_name("faxflow")), "intake", "status", "--json"],
        env={**stack.env, "FAXFLOW_VAR_DIR": str(stack.root), "FAXFLOW_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(status.stdout)
    assert status.returncode == 0 and report["invariant_ok"], report["problems"]
    assert report["by_status"] == {"archived": DOCUMENTS}
    engine.dispose()

    # SIGTERM stops every process of the stack.
    everything = members(stack.services())
    stack.process.send_signal(signal.SIGTERM)
    assert stack.process.wait(timeout=120) == 0
    assert wait_for(lambda: not any(alive(p) for p in everything), 60), [
        (p, command_name(p)) for p in everything if alive(p)
    ]
