"""Looking at processes from tests: alive or not, a supervisor's pid files, everything a
service started, and waiting on a condition with a deadline (never a bare sleep)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path


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
