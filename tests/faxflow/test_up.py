"""``make up``'s supervisor stops everything it started, however it is stopped.

The real supervisor (``faxflow.up.supervise``) runs in a subprocess with three stand-in
services instead of the Airflow stack (too heavy to start three times in a test). Each
stand-in is a shell with a child that ignores SIGTERM — as a busy Airflow worker can — so
the supervisor must signal whole process groups and escalate to SIGKILL.

GIVEN the supervisor running three services (six processes)
WHEN  it gets SIGTERM, or SIGINT (Ctrl-C), or its parent ``make`` is killed outright
THEN  within seconds none of the six processes is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def _alive(pid: int) -> bool:
    """Running, not merely a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _wait_for(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


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
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _start(command: list[str], folder: Path) -> tuple[subprocess.Popen[bytes], list[int]]:
    process = subprocess.Popen(
        command,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # keep the signals away from pytest
    )
    assert _wait_for(lambda: len(_service_pids(folder)) == 2 * SERVICES, 60), "never started"
    pids = _service_pids(folder)
    assert all(_alive(pid) for pid in pids)
    return process, pids


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_the_supervisor_stops_every_process_it_started(
    runner: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    supervisor, pids = _start([sys.executable, str(runner), str(tmp_path), str(SERVICES)], tmp_path)

    supervisor.send_signal(stop)

    assert supervisor.wait(timeout=30) == 0
    assert _wait_for(lambda: not any(_alive(pid) for pid in pids), 10), [
        pid for pid in pids if _alive(pid)
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

    assert _wait_for(lambda: not any(_alive(pid) for pid in pids), 30), [
        pid for pid in pids if _alive(pid)
    ]
