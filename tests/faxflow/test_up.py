"""``make up``'s supervisor stops everything it started, however it is stopped.

The real supervisor (``faxflow.up.supervise``) runs in a subprocess with three stand-in
services instead of the Airflow stack (too heavy to start three times in a test). Each
stand-in is a shell with a child that ignores SIGTERM — as a busy Airflow worker can — so
the supervisor must signal whole process groups and escalate to SIGKILL.

GIVEN the supervisor running three services (six processes)
WHEN  it gets SIGTERM, or SIGINT (Ctrl-C), or its parent ``make`` is killed outright
THEN  within seconds none of the six processes is left.

The same holds for ``make up EXECUTOR=celery``'s supervisor with its real PostgreSQL and
Redis servers started first (stand-ins for the Airflow services), and a Celery worker
killed outright is started again while everything else keeps running.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import alive, members, pids_in, wait_for

SERVICES = 3
RUNNER = """
import os, sys
from pathlib import Path
from faxflow.up import supervise
folder = Path(sys.argv[1])
service = "echo $$ > {pid}; (trap '' TERM; exec sleep 300) & echo $! > {pid}.child; wait"
commands = {
    f"service-{n}": ["sh", "-c", service.format(pid=folder / f"service-{n}.pid")]
    for n in range(int(sys.argv[2]))
}
raise SystemExit(
    supervise(commands, env=dict(os.environ), logs=folder / "logs", grace_seconds=2,
              poll_seconds=0.2)
)
"""


def _service_pids(folder: Path) -> list[int]:
    pids = []
    for n in range(SERVICES):
        for suffix in ("pid", "pid.child"):
            path = folder / f"service-{n}.{suffix}"
            text = path.read_text().strip() if path.exists() else ""
            if text:
                pids.append(int(text))
    return pids


@pytest.fixture
def runner(tmp_path: Path, project_root: Path) -> Iterator[Path]:
    script = tmp_path / "supervise.py"
    script.write_text(RUNNER, encoding="utf-8")
    yield script
    for pid in _service_pids(tmp_path):  # never leave a stray process behind
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def _launch(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # keep the signals away from pytest
        # As from a terminal: a suite run as a background job (nohup, `&` in a script)
        # passes SIGINT on ignored, and a process that finds it ignored rightly keeps it so.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _start(command: list[str], folder: Path) -> tuple[subprocess.Popen[bytes], list[int]]:
    process = _launch(command)
    assert wait_for(lambda: len(_service_pids(folder)) == 2 * SERVICES, 60), "never started"
    pids = _service_pids(folder)
    assert all(alive(pid) for pid in pids)
    return process, pids


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_the_supervisor_stops_every_process_it_started(
    runner: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    supervisor, pids = _start([sys.executable, str(runner), str(tmp_path), str(SERVICES)], tmp_path)

    supervisor.send_signal(stop)

    assert supervisor.wait(timeout=30) == 0
    assert wait_for(lambda: not any(alive(pid) for pid in pids), 10), [
        pid for pid in pids if alive(pid)
    ]


def test_the_death_of_make_stops_every_process_the_supervisor_started(
    runner: Path, tmp_path: Path
) -> None:
    makefile = tmp_path / "Makefile"
    recipe = f"{sys.executable} {runner} {tmp_path} {SERVICES}"
    makefile.write_text(f"SHELL := /bin/bash\nup:\n\t{recipe}\n", encoding="utf-8")
    make, pids = _start(["make", "-s", "-f", str(makefile), "up"], tmp_path)

    make.kill()  # SIGKILL: make gets no chance to pass anything on
    make.wait(timeout=10)

    assert wait_for(lambda: not any(alive(pid) for pid in pids), 30), [
        pid for pid in pids if alive(pid)
    ]


# --------------------------------------------------------------------------------------
# make up EXECUTOR=celery: the same guarantees with its PostgreSQL and Redis servers, and
# a Celery worker that dies is started again
# --------------------------------------------------------------------------------------

CELERY_RUNNER = """
import os, sys
from pathlib import Path
from faxflow.celery_stack import backing_servers, supervised_backing
from faxflow.up import supervise
folder = Path(sys.argv[1])
postgres, redis = backing_servers(folder / "celery")
service = "(trap '' TERM; exec sleep 300) & wait"
commands = {name: ["sh", "-c", service] for name in ("worker", "scheduler")}
raise SystemExit(
    supervise(commands, env=dict(os.environ), logs=folder / "logs", grace_seconds=2,
              poll_seconds=0.2, backing=supervised_backing(postgres, redis),
              restart=frozenset({"worker"}), pid_dir=folder / "run")
)
"""
CELERY_SERVICES = ("postgres", "redis", "worker", "scheduler")


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A scratch folder the ``postgres`` system user can reach (pytest's tmp_path sits
    in a 0700 folder of root's): PostgreSQL runs as that user when the tests run as root."""
    folder = Path(tempfile.mkdtemp(prefix="faxflow-up-"))
    folder.chmod(0o755)
    yield folder
    for pid in members(pids_in(folder / "run")):  # never leave a stray process behind
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(folder, ignore_errors=True)


def _start_celery_runner(folder: Path, *, make: bool) -> tuple[subprocess.Popen[bytes], list[int]]:
    script = folder / "supervise.py"
    script.write_text(CELERY_RUNNER, encoding="utf-8")
    command = [sys.executable, str(script), str(folder)]
    if make:
        makefile = folder / "Makefile"
        makefile.write_text(f"up:\n\t{' '.join(command)}\n", encoding="utf-8")
        command = ["make", "-s", "-f", str(makefile), "up"]
    process = _launch(command)
    running = lambda: set(pids_in(folder / "run")) == set(CELERY_SERVICES)  # noqa: E731
    assert wait_for(running, 120), f"never started: {sorted(pids_in(folder / 'run'))}"
    # PostgreSQL runs a postmaster and its helpers, Redis one process, each stand-in two.
    assert wait_for(lambda: len(members(pids_in(folder / "run"))) >= 8, 30)
    return process, members(pids_in(folder / "run"))


@pytest.mark.postgres
@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT", "death of make"])
def test_every_process_of_the_celery_stack_ends_however_it_is_stopped(
    open_folder: Path, stop: str
) -> None:
    process, pids = _start_celery_runner(open_folder, make=stop == "death of make")

    if stop == "death of make":
        process.kill()  # SIGKILL: make gets no chance to pass anything on
    else:
        process.send_signal(getattr(signal, stop))
    process.wait(timeout=60)

    assert wait_for(lambda: not any(alive(pid) for pid in pids), 60), [
        pid for pid in pids if alive(pid)
    ]
    assert not list((open_folder / "run").glob("*.pid")) or stop == "death of make"


@pytest.mark.postgres
def test_a_killed_celery_worker_is_started_again_and_nothing_else_stops(
    open_folder: Path,
) -> None:
    process, _ = _start_celery_runner(open_folder, make=False)
    try:
        before = pids_in(open_folder / "run")
        worker_group = members({"worker": before["worker"]})

        os.killpg(before["worker"], signal.SIGKILL)  # the worker and all it started

        def restarted() -> bool:
            now = pids_in(open_folder / "run").get("worker")
            return now not in (None, before["worker"]) and alive(now)

        assert wait_for(restarted, 30), "the worker was not started again"
        assert not any(alive(pid) for pid in worker_group)
        after = pids_in(open_folder / "run")
        for name in ("postgres", "redis", "scheduler"):
            assert after[name] == before[name] and alive(after[name]), name
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
