"""
### fax_intake — from the watched inbox to records, every minute

Claims every file in `inbox/<centre>/` whose size and modification time have been stable
for `FAXFLOW_STABLE_SECONDS` (default 5 s), then maps **one task per document**: intake
checks, page cleanup, zonal OCR, extraction and validation. Refused input (corrupt,
encrypted, wrong type, too large …) goes to `quarantine/<CODE>/` at once with a reason file a
clerk can read; one bad file never fails the others. `load_documents` stores each record in
one transaction (upsert on the document's SHA-256), moves its file to `archive/`, and
updates the **faxflow records** asset that `daily_aggregates` is scheduled on.

* Concurrency of OCR is capped by the Airflow pool `ocr` (`make up` and `make demo` create
  it; elsewhere: `airflow pools set ocr 2 "faxflow OCR workers"`, one slot per core).
* Retries with backoff apply only to transient faults (database unavailable); bad input is
  never retried.
* XCom carries arrival ids, document ids, statuses and file facts (kind, pages, size) only —
  never images, names or values; loading reuses those facts instead of re-reading the file.
* Configuration: `FAXFLOW_*` environment variables, the Airflow Variable `faxflow_settings`
  (JSON overrides) and the connection `faxflow_db`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Asset, dag, task

from faxflow.assets import OCR_POOL, RECORDS_ASSET_NAME, RECORDS_ASSET_URI

RECORDS = Asset(name=RECORDS_ASSET_NAME, uri=RECORDS_ASSET_URI, group="faxflow")

DEFAULT_ARGS = {
    "owner": "faxflow",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}


@dag(
    dag_id="fax_intake",
    schedule="* * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["faxflow", "intake"],
    doc_md=__doc__,
)
def fax_intake() -> None:
    @task
    def claim_files() -> list[str]:
        """Recover abandoned claims and claim every stable inbox file."""
        from faxflow.flows import claim_ready_files, settings_from_environment

        return claim_ready_files(settings_from_environment())

    @task(pool=OCR_POOL)
    def process_document(arrival_id: str) -> dict[str, Any]:
        """Cleanup, OCR, extraction and validation of one document."""
        from faxflow.flows import process_claimed, settings_from_environment

        return process_claimed(arrival_id, settings_from_environment())

    @task(outlets=[RECORDS])
    def load_documents(outcomes: list[dict[str, Any]]) -> dict[str, int]:
        """Store every processed document, then archive its file."""
        from faxflow.flows import load_processed, settings_from_environment

        return load_processed(outcomes, settings_from_environment())

    # XComArg resolves to the list of mapped results at run time.
    load_documents(process_document.expand(arrival_id=claim_files()))  # type: ignore[arg-type]


fax_intake()
