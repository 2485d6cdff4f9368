"""Files that hold personal data: originals, page images, result files, exports.

They are written readable by their owner only (0600) in folders only their owner can
enter (0700), whatever the process umask says: a shared server's other accounts, and
services that run under their own users, must not read a clinic's faxes or an export of
case counts. Writes go through a temporary name and an atomic rename, so a reader never
sees half a file.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents, each 0700) and make ``path`` itself 0700."""
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    for folder in [*missing, path]:
        os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode is cut by the umask
    return path


def make_private(path: Path) -> None:
    """Make an existing file 0600 (a file renamed into a private folder keeps its mode)."""
    os.chmod(path, PRIVATE_FILE_MODE)


def write_private(path: Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` (0600, its folder 0700) through a temporary file."""
    private_dir(path.parent)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
