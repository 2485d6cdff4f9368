"""
### purge_expired_files — keep personal data no longer than needed

Daily: deletes the original file and the page images of every document that was decided
(accepted or rejected) more than `FAXFLOW_RETENTION_DAYS` (default 90) days ago. The
record, its review history and the audit trail stay; each deletion is written to the audit
table (`retention_purge`). The task body is `faxflow.flows.purge_expired`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task


@dag(
    dag_id="purge_expired_files",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "faxflow", "retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["faxflow", "retention"],
    doc_md=__doc__,
)
def purge_expired_files() -> None:
    @task
    def purge() -> dict[str, int]:
        """Delete expired originals and page images; returns counts (no names, no ids)."""
        from faxflow.flows import purge_expired, settings_from_environment

        return purge_expired(settings_from_environment())

    purge()


purge_expired_files()
