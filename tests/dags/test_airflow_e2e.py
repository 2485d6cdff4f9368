"""End to end through a real Airflow: API server, scheduler and DAG processor (LocalExecutor)
in a temporary Airflow home pick up files dropped into the inbox, and every file ends in
archive/ or quarantine/ with exactly one ledger row and records in the database.

GIVEN 5 committed sample documents and 2 broken files in inbox/<centre>/
WHEN  the fax_intake DAG runs under a real scheduler
THEN  the 5 documents are archived with records, the 2 broken files are quarantined with a
      reason file, and the ledger holds exactly one row per file.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

WAIT_SECONDS = 900


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def airflow_stack(tmp_path: Path, project_root: Path) -> Iterator[tuple[dict[str, str], Path]]:
    port = _free_port()
    var_dir = tmp_path / "var"
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(project_root / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(tmp_path / "logs"),
        "FAXFLOW_VAR_DIR": str(var_dir),
        "FAXFLOW_STABLE_SECONDS": "0",
        "OMP_THREAD_LIMIT": "1",
    }
    env.pop("FAXFLOW_DATABASE_URL", None)
    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [airflow, "pools", "set", "ocr", "2", "faxflow OCR"],
        env=env,
        check=True,
        capture_output=True,
    )
    processes = []
    for component in (["api-server", "--port", str(port)], ["scheduler"], ["dag-processor"]):
        log = (tmp_path / f"{component[0]}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [airflow, *component],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    try:
        yield env, var_dir
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def _airflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    airflow = str(Path(sys.executable).with_name("airflow"))
    return subprocess.run(
        [airflow, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_real_scheduler_moves_every_file_to_archive_or_quarantine(
    airflow_stack: tuple[dict[str, str], Path], samples_dir: Path
) -> None:
    env, var_dir = airflow_stack
    documents = sorted((samples_dir / "docs").iterdir())[:5]
    assert len(documents) == 5
    inbox = var_dir / "intake" / "inbox" / "clinic-7"
    inbox.mkdir(parents=True)
    for document in documents:
        shutil.copy(document, inbox / document.name)
    (inbox / "truncated.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog")
    (inbox / "notes.txt").write_bytes(b"this is not a fax\n")

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if "fax_intake" in _airflow(env, "dags", "list").stdout:
            break
        time.sleep(2)
    else:
        pytest.fail("the DAG processor never parsed fax_intake")
    assert _airflow(env, "dags", "unpause", "fax_intake").returncode == 0
    assert _airflow(env, "dags", "trigger", "fax_intake").returncode == 0

    archive, quarantine = var_dir / "intake" / "archive", var_dir / "intake" / "quarantine"
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        left = [p for p in inbox.iterdir()] + list((var_dir / "intake" / "work").glob("*"))
        archived = [p for p in archive.rglob("*") if p.is_file()] if archive.exists() else []
        if not left and len(archived) >= 5:
            break
        time.sleep(5)
    else:
        pytest.fail(f"files still waiting after {WAIT_SECONDS} s: {left}")

    quarantined = sorted(
        p.parent.name for p in quarantine.rglob("*") if p.is_file() and ".reason" not in p.name
    )
    assert quarantined == ["E_CORRUPT", "E_TYPE"]
    assert len(list(quarantine.rglob("*.reason.txt"))) == 2

    from faxflow.settings import Settings
    from loaders.db import engine_for
    from loaders.ledger import SqlLedger

    settings = Settings(var_dir=var_dir)
    engine = engine_for(settings.db_url)
    entries = SqlLedger(engine).entries()
    assert len(entries) == 7
    assert sorted(e.status.value for e in entries) == ["archived"] * 5 + ["quarantined"] * 2
    with engine.connect() as connection:
        from sqlalchemy import text

        documents_in_db = connection.execute(text("select count(*) from documents")).scalar()
    assert documents_in_db == 5
