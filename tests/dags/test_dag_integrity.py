"""DAG integrity and policy: the DagBag loads, every DAG is documented, tagged, owned and
retried, and parsing a DAG file imports nothing heavy (no OpenCV, Tesseract, spaCy, pandas
or database models at the top level)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.airflow

PROBE = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
HEAVY = ("cv2", "pytesseract", "spacy", "pandas", "loaders.models")
heavy_before = {m for m in HEAVY if m in sys.modules}
bag = DagBag(dag_folder=sys.argv[1])
heavy = sorted(m for m in HEAVY if m in sys.modules and m not in heavy_before)
dags = {}
for dag_id, dag in bag.dags.items():
    dags[dag_id] = {
        "tags": sorted(dag.tags),
        "doc_md": bool(dag.doc_md),
        "owner": dag.default_args.get("owner"),
        "tasks": {t.task_id: {"retries": t.retries, "pool": t.pool} for t in dag.tasks},
        "schedule": type(dag.timetable).__name__,
        "choices": {name: dag.params.get_param(name).schema.get("enum")
                    for name in dag.params},
        "max_active_runs": dag.max_active_runs,
        "watchers": [  # of a schedule on one asset, as fax_intake's
            w.trigger.serialize()[0]
            for w in getattr(getattr(dag.timetable, "asset_condition", None), "watchers", [])
        ],
    }
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()},
                  "dags": dags, "heavy": heavy}))
"""


@pytest.fixture(scope="module")
def dagbag(project_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("airflow-home")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(project_root / "dags"),
        "FAXFLOW_FORMS_DIR": str(project_root / "forms"),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(project_root / "dags")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    parsed: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return parsed


def test_dagbag_has_no_import_errors(dagbag: dict[str, Any]) -> None:
    assert dagbag["errors"] == {}
    assert set(dagbag["dags"]) == {
        "fax_intake",
        "reprocess_documents",
        "daily_aggregates",
        "purge_expired_files",
        "weekly_thresholds",
    }


def test_every_dag_is_documented_tagged_and_owned(dagbag: dict[str, Any]) -> None:
    for dag_id, dag in dagbag["dags"].items():
        assert dag["doc_md"], dag_id
        assert "faxflow" in dag["tags"], dag_id
        assert dag["owner"] == "faxflow", dag_id


def test_tasks_retry_and_ocr_is_pooled(dagbag: dict[str, Any]) -> None:
    for dag_id, dag in dagbag["dags"].items():
        for task_id, task in dag["tasks"].items():
            assert task["retries"] >= 1, f"{dag_id}.{task_id}"
    intake = dagbag["dags"]["fax_intake"]["tasks"]
    assert intake["process_document"]["pool"] == "ocr"
    # Refused files must not wait behind OCR: the intake checks run outside the pool.
    assert intake["claim_and_check"]["pool"] != "ocr"
    assert set(intake) == {"claim_and_check", "process_document", "announce_records"}
    assert dagbag["dags"]["reprocess_documents"]["tasks"]["reprocess"]["pool"] == "ocr"


def test_reprocess_offers_every_form_the_registry_finds(dagbag: dict[str, Any]) -> None:
    """The trigger form's form types come from the pack registry, not a list in the DAG."""
    choices = dagbag["dags"]["reprocess_documents"]["choices"]["form_type"]
    assert choices == [
        None,
        "cdc_pui_2020",
        "mdhhs_dhs1171",
        "jp_covid19_notification",
        "jp_special_cash_payment",
        "mi_fap_supplement",
        "unknown",
    ]


def test_parsing_dag_files_imports_nothing_heavy(dagbag: dict[str, Any]) -> None:
    assert dagbag["heavy"] == []


def test_aggregates_run_on_the_records_asset(dagbag: dict[str, Any]) -> None:
    assert dagbag["dags"]["daily_aggregates"]["schedule"] == "AssetTriggeredTimetable"


def test_intake_starts_on_inbox_arrivals_or_every_minute(dagbag: dict[str, Any]) -> None:
    intake = dagbag["dags"]["fax_intake"]
    assert intake["schedule"] == "AssetOrTimeSchedule"
    assert intake["watchers"] == ["ingest.inbox_trigger.InboxArrivalTrigger"]
    # A run reading a long document must not hold back the next run's claims.
    assert intake["max_active_runs"] == 2
