"""Fault injection: a stand-in Tesseract that crashes like the real one under memory
pressure, so the real wrapper, pipeline, intake and DAG code must cope.

Point ``FAXFLOW_TESSERACT_CMD`` (or ``Settings.tesseract_cmd``) at the script
:func:`crashing_tesseract` writes. It answers the version and language probes like
Tesseract 5; every other call counts itself in ``calls`` beside the script and, for the
first ``crashes`` calls (every call when ``crashes`` is None), kills itself with SIGKILL —
what the kernel's out-of-memory killer does — before reading anything. Later calls run the
real program.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

REAL_TESSERACT = shutil.which("tesseract") or "/usr/bin/tesseract"


def crashing_tesseract(folder: Path, *, crashes: int | None) -> Path:
    """Write the fake into ``folder`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "tesseract"
    limit = "" if crashes is None else str(crashes)
    script.write_text(
        f"""#!/bin/sh
case "$1" in
  --version) echo "tesseract 5.3.0"; exit 0;;
  --list-langs) printf 'List of available languages (2):\\neng\\nosd\\n'; exit 0;;
esac
counter="{folder}/calls"
(
  flock 9
  n=$(( $(cat "$counter" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$counter"
) 9>"{folder}/calls.lock"
n=$(cat "$counter")
limit="{limit}"
if [ -z "$limit" ] || [ "$n" -le "$limit" ]; then
  kill -KILL $$
fi
exec {REAL_TESSERACT} "$@"
""",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


def calls_made(script: Path) -> int:
    """How many OCR calls (probes not counted) reached the fake so far."""
    counter = script.parent / "calls"
    return int(counter.read_text(encoding="utf-8")) if counter.exists() else 0
