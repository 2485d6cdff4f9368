"""The figures analysts used to add up by hand, as pandas DataFrames.

Each aggregate is a function ``(engine) -> DataFrame`` registered by name in
:data:`AGGREGATES` (``faxflow export --what NAME``, the dashboard's charts and CSV
downloads, the ``daily_aggregates`` DAG). Counting is done by the database (GROUP BY);
pandas only reshapes and computes medians. Columns are fixed, also when there are no rows.

Conventions, the same in every aggregate:

- Records of documents a reviewer or the pipeline *rejected* are not counted; records
  that still need review are (their count is shown beside the accepted ones).
- Days are UTC calendar days. The day of an infection report is its report date to CDC
  (case, else PUI), else the day the fax arrived, else the day it was loaded; the day of
  a benefit application is the day it arrived (else its signature date, else the load day).
- Reviewer corrections count: the typed tables hold the reviewed values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.sql import ColumnElement

from faxflow.model import Status
from loaders.db import session_scope
from loaders.tables import (
    benefit_applications,
    documents,
    infection_reports,
    intake_ledger,
    review_events,
)

Aggregate = Callable[[Engine], pd.DataFrame]

NOT_REJECTED = documents.c.status != Status.REJECTED.value
PROGRAMMES = {
    "food_assistance": benefit_applications.c.applying_food_assistance,
    "child_care": benefit_applications.c.applying_child_care,
    "cash_assistance": benefit_applications.c.applying_cash_assistance,
}
NO_CENTRE = "unknown"


def _frame(engine: Engine, query: sa.Select[Any], columns: list[str]) -> pd.DataFrame:
    with session_scope(engine) as session:
        rows = session.execute(query).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def _day_of(engine: Engine, timestamp: ColumnElement[Any]) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, in SQL."""
    if engine.dialect.name == "sqlite":
        return sa.func.date(timestamp)  # stored as naive UTC text
    return sa.cast(timestamp, sa.Date)  # the session time zone is UTC (loaders.db)


def _as_days(series: pd.Series) -> pd.Series:
    """Python dates (SQLite returns ISO text, PostgreSQL dates)."""
    if series.empty:
        return series.astype(object)
    return pd.to_datetime(series).dt.date.astype(object)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _ints(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    for column in columns:
        frame[column] = frame[column].fillna(0).astype("int64")
    return frame


def infections_by_day(engine: Engine) -> pd.DataFrame:
    """Infection reports per day by reporting jurisdiction, county and case status."""
    day = sa.func.coalesce(
        infection_reports.c.report_date_case,
        infection_reports.c.report_date_pui,
        _day_of(engine, documents.c.received_at),
        _day_of(engine, documents.c.processed_at),
    ).label("day")
    keys = [
        day,
        infection_reports.c.reporting_jurisdiction,
        infection_reports.c.county_of_residence,
        infection_reports.c.case_status,
    ]
    query = (
        sa.select(
            *keys,
            sa.func.count().label("reports"),
            _count_if(documents.c.status == Status.ACCEPTED.value).label("accepted"),
            _count_if(documents.c.status == Status.NEEDS_REVIEW.value).label("needs_review"),
        )
        .join(documents, documents.c.document_id == infection_reports.c.document_id)
        .where(NOT_REJECTED)
        .group_by(*keys)
        .order_by(*keys)
    )
    columns = [
        "day",
        "reporting_jurisdiction",
        "county_of_residence",
        "case_status",
        "reports",
        "accepted",
        "needs_review",
    ]
    frame = _frame(engine, query, columns)
    frame["day"] = _as_days(frame["day"])
    return _ints(frame, ["reports", "accepted", "needs_review"])


def epi_curve(engine: Engine) -> pd.DataFrame:
    """The epidemic curve: cases by symptom onset date, county and case status (reports
    without an onset date are left out; ``infections_by_day`` counts them)."""
    keys = [
        infection_reports.c.onset_date,
        infection_reports.c.county_of_residence,
        infection_reports.c.case_status,
    ]
    query = (
        sa.select(*keys, sa.func.count().label("cases"))
        .join(documents, documents.c.document_id == infection_reports.c.document_id)
        .where(NOT_REJECTED, infection_reports.c.onset_date.is_not(None))
        .group_by(*keys)
        .order_by(*keys)
    )
    frame = _frame(engine, query, ["onset_date", "county_of_residence", "case_status", "cases"])
    frame["onset_date"] = _as_days(frame["onset_date"])
    return _ints(frame, ["cases"])


def severity(engine: Engine) -> pd.DataFrame:
    """Hospitalisations, ICU admissions, mechanical ventilation and deaths ("yes"
    answers) beside the number of reports, by jurisdiction, county and case status."""
    keys = [
        infection_reports.c.reporting_jurisdiction,
        infection_reports.c.county_of_residence,
        infection_reports.c.case_status,
    ]
    outcomes = {
        "hospitalized": infection_reports.c.hospitalized,
        "icu": infection_reports.c.icu,
        "mechanical_ventilation": infection_reports.c.mechanical_ventilation,
        "died": infection_reports.c.died,
    }
    query = (
        sa.select(
            *keys,
            sa.func.count().label("reports"),
            *(_count_if(column == "yes").label(name) for name, column in outcomes.items()),
        )
        .join(documents, documents.c.document_id == infection_reports.c.document_id)
        .where(NOT_REJECTED)
        .group_by(*keys)
        .order_by(*keys)
    )
    counts = ["reports", *outcomes]
    frame = _frame(
        engine,
        query,
        ["reporting_jurisdiction", "county_of_residence", "case_status", *counts],
    )
    return _ints(frame, counts)


def benefits_by_county(engine: Engine) -> pd.DataFrame:
    """Benefit applications per county, day and programme (an application for two
    programmes counts once in each), and ``applications`` (each counted once)."""
    day = sa.func.coalesce(
        _day_of(engine, documents.c.received_at),
        benefit_applications.c.signature_date,
        _day_of(engine, documents.c.processed_at),
    ).label("day")
    keys = [benefit_applications.c.residential_county, day]
    query = (
        sa.select(
            *keys,
            sa.func.count().label("applications"),
            *(_count_if(column.is_(True)).label(name) for name, column in PROGRAMMES.items()),
        )
        .join(documents, documents.c.document_id == benefit_applications.c.document_id)
        .where(NOT_REJECTED)
        .group_by(*keys)
    )
    wide = _frame(engine, query, ["county", "day", "applications", *PROGRAMMES])
    wide["day"] = _as_days(wide["day"])
    long = wide.melt(
        id_vars=["county", "day", "applications"],
        value_vars=list(PROGRAMMES),
        var_name="programme",
        value_name="applicants",
    )
    long = long[["county", "day", "programme", "applicants", "applications"]]
    long = _ints(long, ["applicants", "applications"])
    return long.sort_values(["county", "day", "programme"], na_position="last").reset_index(
        drop=True
    )


def processing_by_centre(engine: Engine) -> pd.DataFrame:
    """Per submitting centre and arrival day: files received, records accepted (and how
    many of those the machine accepted without a person), needing review, rejected
    (including files refused at intake), and the median minutes from arrival to record
    (the first load; documents with no known arrival time are left out of the median).
    Exact byte duplicates add no record and are not counted again."""
    doc_query = sa.select(
        documents.c.centre_id,
        documents.c.received_at,
        documents.c.processed_at,
        documents.c.status,
        documents.c.machine_status,
    )
    refused_query = sa.select(intake_ledger.c.centre_id, intake_ledger.c.first_seen_at).where(
        intake_ledger.c.status == "quarantined",
        sa.or_(
            intake_ledger.c.document_id.is_(None),
            ~sa.exists().where(documents.c.document_id == intake_ledger.c.document_id),
        ),
    )
    docs = _frame(
        engine, doc_query, ["centre_id", "received_at", "processed_at", "status", "machine"]
    )
    refused = _frame(engine, refused_query, ["centre_id", "received_at"])
    for frame, column in ((docs, "received_at"), (docs, "processed_at"), (refused, "received_at")):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    docs["arrived"] = docs["received_at"].fillna(docs["processed_at"])
    docs["minutes"] = (docs["processed_at"] - docs["received_at"]).dt.total_seconds() / 60
    refused["arrived"] = refused["received_at"]
    refused["status"] = "refused"
    refused["machine"] = None
    refused["minutes"] = float("nan")
    keep = ["centre_id", "arrived", "status", "machine", "minutes"]
    parts = [frame[keep] for frame in (docs, refused) if not frame.empty]
    columns = [
        "centre_id",
        "day",
        "received",
        "accepted",
        "auto_accepted",
        "needs_review",
        "rejected",
        "median_minutes",
    ]
    if not parts:
        return pd.DataFrame(columns=columns)
    every = pd.concat(parts, ignore_index=True)
    every["centre_id"] = every["centre_id"].fillna(NO_CENTRE)
    every["day"] = pd.to_datetime(every["arrived"], utc=True).dt.date
    every["accepted"] = every["status"] == Status.ACCEPTED.value
    every["auto_accepted"] = every["accepted"] & (every["machine"] == Status.ACCEPTED.value)
    every["needs_review"] = every["status"] == Status.NEEDS_REVIEW.value
    every["rejected"] = every["status"].isin([Status.REJECTED.value, "refused"])
    every["minutes"] = pd.to_numeric(every["minutes"], errors="coerce")
    grouped = every.groupby(["centre_id", "day"], sort=True)
    out = grouped.agg(
        received=("status", "size"),
        accepted=("accepted", "sum"),
        auto_accepted=("auto_accepted", "sum"),
        needs_review=("needs_review", "sum"),
        rejected=("rejected", "sum"),
        median_minutes=("minutes", "median"),
    ).reset_index()
    out = _ints(out, ["received", "accepted", "auto_accepted", "needs_review", "rejected"])
    out["median_minutes"] = out["median_minutes"].astype("float64").round(1)
    return out[columns]


def corrections_by_field(engine: Engine) -> pd.DataFrame:
    """Which fields reviewers correct most: corrections and documents per form and field
    (the fields the machine reads wrong most often come first)."""
    query = (
        sa.select(
            documents.c.form_type,
            review_events.c.field,
            sa.func.count().label("corrections"),
            sa.func.count(sa.distinct(review_events.c.document_id)).label("documents"),
        )
        .join(documents, documents.c.document_id == review_events.c.document_id)
        .where(review_events.c.action == "correct")
        .group_by(documents.c.form_type, review_events.c.field)
    )
    frame = _frame(engine, query, ["form_type", "field", "corrections", "documents"])
    frame = _ints(frame, ["corrections", "documents"])
    return frame.sort_values(
        ["corrections", "form_type", "field"], ascending=[False, True, True]
    ).reset_index(drop=True)


AGGREGATES: dict[str, Aggregate] = {
    "infections_by_day": infections_by_day,
    "epi_curve": epi_curve,
    "severity": severity,
    "benefits_by_county": benefits_by_county,
    "processing_by_centre": processing_by_centre,
    "corrections_by_field": corrections_by_field,
}
"""Every aggregate by name (``faxflow export --what NAME``)."""


DESCRIPTIONS: dict[str, str] = {
    "infections_by_day": "infection reports per day by jurisdiction, county and case status",
    "epi_curve": "the epidemic curve: cases by onset date, county and case status",
    "severity": "hospitalisations, ICU admissions, ventilation and deaths by county",
    "benefits_by_county": "benefit applications per county, day and programme",
    "processing_by_centre": "received / accepted / needs review / rejected and median "
    "minutes to record, per centre and day",
    "corrections_by_field": "reviewer corrections per form and field, most corrected first",
}


def describe_aggregates() -> dict[str, str]:
    """Name → a one-line description, for --help."""
    return {name: DESCRIPTIONS.get(name, "") for name in AGGREGATES}
