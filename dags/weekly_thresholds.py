"""
### weekly_thresholds — learn auto-accept thresholds from reviewers' answers

Every confirmation or correction a reviewer makes is a label. Once a week this recomputes
the per-field confidence thresholds so that auto-accepted fields meet the target accuracy
(`FAXFLOW_TARGET_ACCURACY`) by a one-sided 95 % Wilson lower bound; fields with too few
labels keep the generated-sample thresholds (`faxflow calibrate --from-reviews --write`).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task


@dag(
    dag_id="weekly_thresholds",
    schedule="@weekly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "faxflow", "retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["faxflow", "calibration"],
    doc_md=__doc__,
)
def weekly_thresholds() -> None:
    @task
    def recalibrate() -> dict[str, int]:
        """Learn thresholds from the reviews; returns label and bucket counts."""
        from faxflow.flows import recalibrate_from_reviews, settings_from_environment

        return recalibrate_from_reviews(settings_from_environment())

    recalibrate()


weekly_thresholds()
