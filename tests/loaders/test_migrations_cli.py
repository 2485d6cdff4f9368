"""`alembic -c loaders/alembic.ini upgrade head` then `downgrade base`, from a checkout,
on SQLite and PostgreSQL (the URL comes from FAXFLOW_DATABASE_URL)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from loaders.db import engine_for


def _alembic(project_root: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FAXFLOW_DATABASE_URL": url}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "alembic",
            "-c",
            str(project_root / "loaders" / "alembic.ini"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=project_root,
        check=False,
    )


def test_alembic_command_line_up_and_down(project_root: Path, db_url: str) -> None:
    up = _alembic(project_root, db_url, "upgrade", "head")
    assert up.returncode == 0, up.stderr
    engine = engine_for(db_url)
    assert "documents" in sa.inspect(engine).get_table_names()
    down = _alembic(project_root, db_url, "downgrade", "base")
    assert down.returncode == 0, down.stderr
    sa.inspect(engine).clear_cache()
    assert sa.inspect(engine).get_table_names() == ["alembic_version"]
    engine.dispose()
