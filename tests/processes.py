"""Looking at processes from tests: alive or not, a supervisor's pid files, everything a
service started, and waiting on a condition with a deadline (never a bare sleep)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def run_faxflow(
    *args: str, forms_dir: Path | None = None, scratch: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``faxflow ARGS`` in a process of its own: settings are read once per process, so the
    environment is how a test gives them. ``forms_dir``: FAXFLOW_FORMS_DIR (unset without
    it); ``scratch``: a folder for the run's database and var/."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "OMP_THREAD_LIMIT": "1"}
    env["COLUMNS"] = "200"  # one table row per line
    env.pop("FAXFLOW_FORMS_DIR", None)
    if forms_dir is not None:
        env["FAXFLOW_FORMS_DIR"] = str(forms_dir)
    if scratch is not None:
        env["FAXFLOW_DATABASE_URL"] = f"sqlite:///{scratch / 'faxflow.db'}"
        env["FAXFLOW_VAR_DIR"] = str(scratch / "var")
    return subprocess.run(
        [sys.executable, "-m", "faxflow.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def alive(pid: int | None) -> bool:
    """Running, not merely a zombie waiting to be reaped."""
    if pid is None:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def wait_for(check: Callable[[], object], seconds: float, poll: float = 0.1) -> bool:
    """Poll ``check`` until it is truthy or ``seconds`` have passed; its last verdict."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(poll)
    return bool(check())


def pids_in(run: Path) -> dict[str, int]:
    """Each service's pid, from a supervisor's ``<name>.pid`` files."""
    pids = {}
    for path in run.glob("*.pid") if run.is_dir() else []:
        text = path.read_text().strip()
        if text:
            pids[path.stem] = int(text)
    return pids


def members(groups: dict[str, int]) -> list[int]:
    """Every live process in the given process groups, and their descendants (a service
    and all it started: PostgreSQL's helpers each lead a session of their own)."""
    parents: dict[int, int] = {}
    group_of: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if fields[0] not in ("Z", "X"):
            pid = int(stat.parent.name)
            parents[pid], group_of[pid] = int(fields[1]), int(fields[2])
    found = {pid for pid, group in group_of.items() if group in set(groups.values())}
    while True:
        more = {pid for pid, parent in parents.items() if parent in found} - found
        if not more:
            return sorted(found)
        found |= more


def command_name(pid: int) -> str:
    """The executable's name of ``pid`` ('' once it has gone)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def open_files(pid: int) -> list[str]:
    """Paths of the files ``pid`` holds open (what can be read of them)."""
    paths = []
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []
    for descriptor in descriptors:
        try:
            paths.append(str(descriptor.readlink()))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return paths
