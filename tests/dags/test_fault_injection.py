"""A crashing OCR engine under ``dag.test()`` of fax_intake: the real DAG, tasks, intake,
pipeline and Tesseract wrapper, with ``FAXFLOW_TESSERACT_CMD`` pointing at a fake that
SIGKILLs itself (as the out-of-memory killer does) on its first calls.

GIVEN a good 2-page fax and a refused file in the inbox, and an engine killed on its first
      3 calls (so the document's first try fails even after the call is repeated in place)
WHEN  fax_intake runs once
THEN  the refused file is quarantined by the checks, the fax is tried again by Airflow and
      archived with one record, its first try noted in the ledger;
GIVEN the same fax and an engine killed on every call
WHEN  fax_intake runs once
THEN  the fax is quarantined as E_OCR_FAILED after 3 tries, each listed in its reason file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dags.dag_test_env import dag_test_environment
from tests.fakes import crashing_tesseract

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

# Airflow's backoff (30 s, doubling) is for production; this run waits 1 s, doubling.
RUNNER = r"""
import json, sys
from datetime import timedelta
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
dag = bag.get_dag("fax_intake")
dag.get_task("process_document").retry_delay = timedelta(seconds=1)
print(json.dumps({"state": str(dag.test().state)}))
"""


def _run_intake(tmp_path: Path, project_root: Path, var_dir: Path, fake: Path) -> str:
    env = dag_test_environment(
        tmp_path / "airflow",
        project_root / "dags",
        var_dir,
        FAXFLOW_TESSERACT_CMD=str(fake),
        FAXFLOW_TESSERACT_RETRY_DELAY_S="0.1",
    )
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(project_root / "dags")],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    state: str = json.loads(done.stdout.strip().splitlines()[-1])["state"]
    return state


def test_a_crashing_engine_is_retried_and_only_a_document_failing_every_try_is_quarantined(
    tmp_path: Path, project_root: Path, samples_dir: Path
) -> None:
    from sqlalchemy import text

    from faxflow.settings import Settings
    from ingest.intake import check_invariant, reason_path
    from loaders.db import engine_for
    from loaders.ledger import SqlLedger

    fax = samples_dir / "docs" / "cdc_pui_2020-fax_fine-0000.tif"
    var_dir = tmp_path / "var"
    inbox = var_dir / "intake" / "inbox" / "clinic-4"
    inbox.mkdir(parents=True)
    shutil.copy(fax, inbox / "case report.tif")
    (inbox / "notes.txt").write_bytes(b"this is not a fax\n")

    flaky = crashing_tesseract(tmp_path / "flaky", crashes=3)
    assert _run_intake(tmp_path, project_root, var_dir, flaky) == "success"

    settings = Settings(var_dir=var_dir)
    engine = engine_for(settings.db_url)
    ledger = SqlLedger(engine)
    by_status = {e.status.value: e for e in ledger.entries()}
    assert set(by_status) == {"archived", "quarantined"}
    assert by_status["quarantined"].reason_code == "E_TYPE"
    archived = by_status["archived"]
    assert archived.attempts == 2
    assert (archived.reason or "").startswith("try 1: E_OCR_FAILED ")
    assert "killed by signal 9 (SIGKILL)" in (archived.reason or "")
    with engine.connect() as connection:
        assert connection.execute(text("select count(*) from documents")).scalar() == 1

    # The same fax again, as different bytes, with an engine that never survives a call.
    changed = fax.read_bytes() + b"\0"
    (inbox / "case report again.tif").write_bytes(changed)
    dead = crashing_tesseract(tmp_path / "dead", crashes=None)
    assert _run_intake(tmp_path, project_root, var_dir, dead) == "success"

    (failed,) = [e for e in ledger.entries() if e.reason_code == "E_OCR_FAILED"]
    assert (failed.status.value, failed.attempts) == ("quarantined", 3)
    reason = reason_path(settings.intake_dir / str(failed.stored_path)).read_text()
    assert "failed on every one of 3 tries" in reason
    for n in (1, 2, 3):
        assert f"  try {n}: E_OCR_FAILED tesseract" in reason
    with engine.connect() as connection:
        assert connection.execute(text("select count(*) from documents")).scalar() == 1
    assert check_invariant(settings, ledger) == []
