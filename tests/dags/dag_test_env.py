"""A throwaway Airflow home for ``dag.test()`` runs: environment and the migrated metadata
database, shared by the DAG tests that run the real DAGs in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def dag_test_environment(home: Path, dags: Path, var_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for Airflow in ``home`` reading ``dags``, faxflow's var in ``var_dir``
    (its SQLite database included), files claimed as soon as seen; metadata migrated."""
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "FAXFLOW_VAR_DIR": str(var_dir),
        "FAXFLOW_STABLE_SECONDS": "0",
        "OMP_THREAD_LIMIT": "1",
        **extra,
    }
    env.pop("FAXFLOW_DATABASE_URL", None)
    if not (home / "airflow.db").exists():
        airflow = str(Path(sys.executable).with_name("airflow"))
        subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    return env
