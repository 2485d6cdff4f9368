"""Each DAG runs with ``dag.test()`` on committed samples, in a throwaway Airflow home.

GIVEN two committed sample faxes in the inbox
WHEN  fax_intake, then reprocess_documents (by form type), then daily_aggregates run
THEN  each run succeeds, records land once, and the aggregates are exported.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dags.dag_test_env import dag_test_environment

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

RUNNER = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
states = {}
states["fax_intake"] = str(bag.get_dag("fax_intake").test().state)
states["reprocess_documents"] = str(
    bag.get_dag("reprocess_documents").test(run_conf={"form_type": "cdc_pui_2020"}).state
)
states["daily_aggregates"] = str(bag.get_dag("daily_aggregates").test().state)
print(json.dumps(states))
"""


def test_every_dag_runs_with_dag_test(
    tmp_path: Path, project_root: Path, samples_dir: Path
) -> None:
    var_dir = tmp_path / "var"
    inbox = var_dir / "intake" / "inbox" / "clinic-9"
    inbox.mkdir(parents=True)
    samples = sorted((samples_dir / "docs").glob("cdc_pui_2020-fax_*.tif"))[:2]
    for sample in samples:
        shutil.copy(sample, inbox / sample.name)
    env = dag_test_environment(tmp_path / "airflow", project_root / "dags", var_dir)
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(project_root / "dags")],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    states = json.loads(done.stdout.strip().splitlines()[-1])
    assert states == {
        "fax_intake": "success",
        "reprocess_documents": "success",
        "daily_aggregates": "success",
    }

    from sqlalchemy import text

    from faxflow.settings import Settings
    from loaders.db import engine_for

    engine = engine_for(Settings(var_dir=var_dir).db_url)
    with engine.connect() as connection:
        assert connection.execute(text("select count(*) from documents")).scalar() == 2
    archived = [p for p in (var_dir / "intake" / "archive").rglob("*") if p.is_file()]
    assert len(archived) == 2
    assert (var_dir / "exports" / "infections_by_day.csv").exists()
