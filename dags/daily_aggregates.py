"""
### daily_aggregates — refresh what analysts read

Runs whenever the **faxflow records** asset is updated (after `fax_intake` or
`reprocess_documents` load documents): recomputes every aggregate (infection reports per day
by jurisdiction/county/status, the epidemic curve, severity, benefit applications by
county/programme, processing figures per centre, and each form pack's counts by the fields
its `aggregates.yaml` names, `form_<pack>_counts`) and exports each as CSV under
`var/exports/`. Records are never exported here.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, task

from faxflow.assets import RECORDS_ASSET_NAME, RECORDS_ASSET_URI

RECORDS = Asset(name=RECORDS_ASSET_NAME, uri=RECORDS_ASSET_URI, group="faxflow")


@dag(
    dag_id="daily_aggregates",
    schedule=[RECORDS],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "faxflow", "retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["faxflow", "aggregates"],
    doc_md=__doc__,
)
def daily_aggregates() -> None:
    @task
    def refresh() -> dict[str, int]:
        """Recompute and export every aggregate; returns row counts per aggregate."""
        from faxflow.flows import refresh_aggregates, settings_from_environment

        return refresh_aggregates(settings_from_environment())

    refresh()


daily_aggregates()
