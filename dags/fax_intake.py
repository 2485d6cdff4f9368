"""
### fax_intake — from the watched inbox to records, as files arrive

**When it runs.** On the asset **faxflow inbox**, or every minute, whichever comes first
(`AssetOrTimeSchedule`). The asset's watcher (`ingest.inbox_trigger.InboxArrivalTrigger`,
run by the triggerer) lists `inbox/` every 2 s and updates the asset once for each set of
new files that stopped changing, so a drop starts a run within seconds instead of waiting
for the minute. The minute's run stays as the fallback: with the triggerer down, a file
waits at most a minute, as before. Up to `max_active_runs=2` runs at once, so a run still
reading a long document does not hold back the claims and refusals of new arrivals
(claims are atomic renames; only a run that runs alone recovers abandoned claims, so two
runs never take each other's).

`claim_and_check` claims every file in `inbox/<centre>/` whose size and modification time
have been stable for `FAXFLOW_STABLE_SECONDS` (default 5 s) and runs the intake checks on
each, outside the OCR pool: refused input (corrupt, encrypted, wrong type, too large …) goes
to `quarantine/<CODE>/` at once with a reason file a clerk can read, an exact duplicate to
`archive/duplicates/`. Then it maps **one task per document** (pool `ocr`): cleanup, zonal
OCR, extraction, validation, and — as soon as that document is done — its record in one
transaction (upsert on the document's SHA-256) and its file in `archive/`. A 2-page fax
never waits for a 22-page one. `announce_records` updates the **faxflow records** asset
that `daily_aggregates` is scheduled on.

* Concurrency of OCR is capped by the Airflow pool `ocr` (`make up` and `make demo` create
  it; elsewhere: `airflow pools set ocr 2 "faxflow OCR workers"`, one slot per core).
  Under CeleryExecutor the processing tasks go to the queue `ocr` (the OCR machines'
  workers); the rest stays on `default`.
* Retries with exponential backoff apply to transient faults: a crashed or timed-out OCR
  engine, a database that is down, a lost worker. Each try is noted in the intake ledger;
  a document that fails on every try (`FAXFLOW_MAX_ATTEMPTS`, 3) is quarantined with the
  tries listed in its reason file. Bad input is never retried.
* XCom carries arrival ids, document ids, statuses, codes and file facts (kind, pages,
  size) only — never images, names or values.
* Configuration: `FAXFLOW_*` environment variables, the Airflow Variable `faxflow_settings`
  (JSON overrides) and the connection `faxflow_db`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import (
    Asset,
    AssetOrTimeSchedule,
    AssetWatcher,
    CronTriggerTimetable,
    dag,
    get_current_context,
    task,
)
from airflow.sdk.exceptions import AirflowSkipException

from faxflow.assets import (
    INBOX_ASSET_NAME,
    INBOX_ASSET_URI,
    INBOX_WATCHER_NAME,
    OCR_POOL,
    OCR_QUEUE,
    RECORDS_ASSET_NAME,
    RECORDS_ASSET_URI,
)
from ingest.inbox_trigger import InboxArrivalTrigger

RECORDS = Asset(name=RECORDS_ASSET_NAME, uri=RECORDS_ASSET_URI, group="faxflow")
INBOX = Asset(
    name=INBOX_ASSET_NAME,
    uri=INBOX_ASSET_URI,
    group="faxflow",
    watchers=[AssetWatcher(name=INBOX_WATCHER_NAME, trigger=InboxArrivalTrigger())],
)

DEFAULT_ARGS = {
    "owner": "faxflow",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}


@dag(
    dag_id="fax_intake",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("* * * * *", timezone="UTC"), assets=INBOX
    ),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=2,
    default_args=DEFAULT_ARGS,
    tags=["faxflow", "intake"],
    doc_md=__doc__,
)
def fax_intake() -> None:
    @task
    def claim_and_check() -> list[dict[str, Any]]:
        """Recover abandoned claims, claim every stable inbox file, run the intake checks."""
        from faxflow.flows import alone_in_intake, claim_and_check, settings_from_environment

        ti = get_current_context()["ti"]
        alone = alone_in_intake(lambda: ti.get_dr_count(dag_id=ti.dag_id, states=["running"]))
        return claim_and_check(settings_from_environment(), recover_abandoned=alone)

    @task(pool=OCR_POOL, queue=OCR_QUEUE)
    def process_document(checked: dict[str, Any]) -> dict[str, Any]:
        """Cleanup, OCR, extraction, validation and load of one document."""
        from faxflow.flows import process_and_load, settings_from_environment

        try_number = get_current_context()["ti"].try_number
        return process_and_load(checked, settings_from_environment(), try_number=try_number)

    @task(outlets=[RECORDS], trigger_rule="all_done")
    def announce_records(outcomes: list[dict[str, Any]]) -> dict[str, int]:
        """Update the records asset when this run archived any document."""
        from faxflow.flows import count_outcomes

        counts = count_outcomes(outcomes)
        if not counts.get("archived"):
            raise AirflowSkipException("no document was archived in this run")
        return counts

    # XComArg resolves to the list of mapped results at run time.
    announce_records(process_document.expand(checked=claim_and_check()))  # type: ignore[arg-type]


fax_intake()
