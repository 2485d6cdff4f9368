"""
### reprocess_documents — re-run extraction after a template or code change

Trigger with params: either `document_ids` (a list of SHA-256 ids) or filters
(`form_type`: the built-in forms, every form pack under `FAXFLOW_FORMS_DIR` and `unknown`;
`status`, `since` / `until` as YYYY-MM-DD on the processing date). Each
selected document's archived original is run through the current pipeline again (one
mapped task per document) and reloaded. Reviewers' corrections are kept: the loader
re-applies every review event over the new machine extraction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Asset, Param, dag, task

from faxflow.assets import OCR_POOL, RECORDS_ASSET_NAME, RECORDS_ASSET_URI
from faxflow.flows import form_type_choices

RECORDS = Asset(name=RECORDS_ASSET_NAME, uri=RECORDS_ASSET_URI, group="faxflow")

DEFAULT_ARGS = {
    "owner": "faxflow",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
}


@dag(
    dag_id="reprocess_documents",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=["faxflow", "reprocess"],
    doc_md=__doc__,
    params={
        "document_ids": Param([], type="array", description="Document ids (SHA-256)."),
        "form_type": Param(
            None,
            type=["null", "string"],
            enum=form_type_choices(),
            description="Only documents of this form type (every form pack found).",
        ),
        "status": Param(
            None,
            type=["null", "string"],
            enum=[None, "accepted", "needs_review", "rejected"],
            description="Only documents with this status.",
        ),
        "since": Param(None, type=["null", "string"], format="date"),
        "until": Param(None, type=["null", "string"], format="date"),
    },
)
def reprocess_documents() -> None:
    @task
    def select(**context: Any) -> list[str]:
        """Document ids to reprocess, from the run's params."""
        from faxflow.flows import select_documents, settings_from_environment

        params = context["params"]
        return select_documents(
            settings_from_environment(),
            document_ids=params.get("document_ids") or [],
            form_type=params.get("form_type"),
            status=params.get("status"),
            since=params.get("since"),
            until=params.get("until"),
        )

    @task(pool=OCR_POOL)
    def reprocess(document_id: str) -> dict[str, Any]:
        """Current pipeline on the archived original, then reload."""
        from faxflow.flows import reprocess_document, settings_from_environment

        return reprocess_document(document_id, settings_from_environment())

    @task(outlets=[RECORDS])
    def summarise(outcomes: list[dict[str, Any]]) -> dict[str, int]:
        """Count outcomes (and mark the records asset updated)."""
        from collections import Counter

        return dict(Counter(str(o.get("status") or o.get("outcome")) for o in outcomes))

    # XComArg resolves to the list of mapped results at run time.
    summarise(reprocess.expand(document_id=select()))  # type: ignore[arg-type]


reprocess_documents()
