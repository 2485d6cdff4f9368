"""The figures analysts used to add up by hand, as pandas DataFrames.

Each aggregate is a function ``(engine) -> DataFrame`` registered by name in
:data:`AGGREGATES` (``faxflow export --what NAME``, the dashboard's charts and CSV
downloads, the ``daily_aggregates`` DAG). Counting is done by the database: the count
tables are SQL views (``v_infections_by_day``, ``v_epi_curve``, ``v_severity``,
``v_benefits_by_county``; migration 0003) that analysts can also query directly; pandas
only reshapes, sorts and computes medians. Columns are fixed, also when there are no rows.

Conventions, the same in every aggregate:

- Records of documents a reviewer or the pipeline *rejected* are not counted; records
  that still need review are (their count is shown beside the accepted ones).
- Days are UTC calendar days. The day of an infection report is its report date to CDC
  (case, else PUI), else the day the fax arrived, else the day it was loaded; the day of
  a benefit application is the day it arrived (else its signature date, else the load day).
- Reviewer corrections count: the typed tables hold the reviewed values.
- A county counts only once it passed validation or a person decided it; one still
  waiting for a person counts as unknown (the views of migration 0004).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from faxflow.model import Status
from loaders.aggregate_names import DESCRIPTIONS
from loaders.db import session_scope
from loaders.tables import (
    documents,
    fields,
    intake_ledger,
    review_events,
    validation_issues,
)

Centres = Collection[str] | None
"""The centres whose documents count (a reviewer's or analyst's); None counts every one."""


class Aggregate(Protocol):
    def __call__(self, engine: Engine, *, centres: Centres = None) -> pd.DataFrame: ...


PROGRAMMES = ("food_assistance", "child_care", "cash_assistance")
NO_CENTRE = "unknown"


def _frame(engine: Engine, query: sa.Select[Any], columns: list[str]) -> pd.DataFrame:
    with session_scope(engine) as session:
        rows = session.execute(query).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def as_days(series: pd.Series) -> pd.Series:
    """Python dates (SQLite returns ISO text, PostgreSQL dates)."""
    if series.empty:
        return series.astype(object)
    return pd.to_datetime(series).dt.date.astype(object)


def int_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    for column in columns:
        frame[column] = frame[column].fillna(0).astype("int64")
    return frame


def from_view(
    engine: Engine,
    view: str | sa.Subquery,
    keys: list[str],
    counts: list[str],
    order: list[str],
    centres: Centres,
) -> pd.DataFrame:
    """One of the aggregate views (migrations 0003, 0004; or a form pack's counting
    SELECT, :mod:`loaders.pack_aggregates`), rows of ``centres`` only, summed over the
    view's ``centre_id`` key, sorted (NULLs last)."""
    names = [*keys, *counts, "centre_id"]
    source = sa.table(view, *(sa.column(c) for c in names)) if isinstance(view, str) else view
    query = sa.select(*(source.c[c] for c in keys + counts))
    if centres is not None:
        query = query.where(source.c.centre_id.in_(sorted(centres)))
    frame = _frame(engine, query, keys + counts)
    if not frame.empty:
        frame = frame.groupby(keys, dropna=False, sort=False)[counts].sum().reset_index()
        # groupby turns a NULL key into NaN; the frames keep None (unknown) as the view had
        frame[keys] = frame[keys].astype(object).where(frame[keys].notna(), None)
    return frame.sort_values(order, na_position="last", kind="stable").reset_index(drop=True)


def infections_by_day(engine: Engine, *, centres: Centres = None) -> pd.DataFrame:
    """Infection reports per day by reporting jurisdiction, county and case status
    (view ``v_infections_by_day``)."""
    keys = ["day", "reporting_jurisdiction", "county_of_residence", "case_status"]
    counts = ["reports", "accepted", "needs_review"]
    frame = from_view(engine, "v_infections_by_day", keys, counts, keys, centres)
    frame["day"] = as_days(frame["day"])
    return int_columns(frame, counts)


def epi_curve(engine: Engine, *, centres: Centres = None) -> pd.DataFrame:
    """The epidemic curve: cases by symptom onset date, county and case status (reports
    without an onset date are left out; ``infections_by_day`` counts them). View
    ``v_epi_curve``."""
    keys = ["onset_date", "county_of_residence", "case_status"]
    frame = from_view(engine, "v_epi_curve", keys, ["cases"], keys, centres)
    frame["onset_date"] = as_days(frame["onset_date"])
    return int_columns(frame, ["cases"])


def severity(engine: Engine, *, centres: Centres = None) -> pd.DataFrame:
    """Hospitalisations, ICU admissions, mechanical ventilation and deaths ("yes"
    answers) beside the number of reports, by jurisdiction, county and case status
    (view ``v_severity``)."""
    keys = ["reporting_jurisdiction", "county_of_residence", "case_status"]
    counts = ["reports", "hospitalized", "icu", "mechanical_ventilation", "died"]
    return int_columns(from_view(engine, "v_severity", keys, counts, keys, centres), counts)


def benefits_by_county(engine: Engine, *, centres: Centres = None) -> pd.DataFrame:
    """Benefit applications per county, day and programme: ``applicants`` for the
    programme, ``applications`` on that county and day (each counted once). View
    ``v_benefits_by_county`` (one row per county and day, a column per programme)."""
    wide = from_view(
        engine,
        "v_benefits_by_county",
        ["county", "day"],
        ["applications", *PROGRAMMES],
        [],
        centres,
    )
    wide["day"] = as_days(wide["day"])
    long = wide.melt(
        id_vars=["county", "day", "applications"],
        value_vars=list(PROGRAMMES),
        var_name="programme",
        value_name="applicants",
    )
    long = long[["county", "day", "programme", "applicants", "applications"]]
    long = int_columns(long, ["applicants", "applications"])
    return long.sort_values(["county", "day", "programme"], na_position="last").reset_index(
        drop=True
    )


def processing_by_centre(engine: Engine, *, centres: Centres = None) -> pd.DataFrame:
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
    if centres is not None:
        doc_query = doc_query.where(documents.c.centre_id.in_(sorted(centres)))
        refused_query = refused_query.where(intake_ledger.c.centre_id.in_(sorted(centres)))
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
    out = int_columns(out, ["received", "accepted", "auto_accepted", "needs_review", "rejected"])
    out["median_minutes"] = out["median_minutes"].astype("float64").round(1)
    return out[columns]


def corrections_by_field(engine: Engine, *, centres: Centres = None) -> pd.DataFrame:
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
    if centres is not None:
        query = query.where(documents.c.centre_id.in_(sorted(centres)))
    frame = _frame(engine, query, ["form_type", "field", "corrections", "documents"])
    frame = int_columns(frame, ["corrections", "documents"])
    return frame.sort_values(
        ["corrections", "form_type", "field"], ascending=[False, True, True]
    ).reset_index(drop=True)


def field_automation(engine: Engine, *, centres: Centres = None) -> pd.DataFrame:
    """Per submitting centre and arrival day: documents, documents fully automated
    (accepted with every field decided by the machine), fields, fields no person touched
    (decision ``auto``) and their share (the automation rate), fields confirmed and
    corrected by a person, and the reviewers' seconds on their tasks (as the supervision
    page measured them), in total and per document."""
    from loaders.load import AUTO, CONFIRMED, CORRECTED

    columns = [
        "centre_id",
        "day",
        "documents",
        "fully_automated",
        "fields",
        "auto_fields",
        "automation_rate",
        "confirmed_fields",
        "corrected_fields",
        "human_seconds",
        "human_seconds_per_document",
    ]
    field_query = sa.select(
        fields.c.document_id,
        sa.func.count().label("fields"),
        sa.func.sum(sa.case((fields.c.decision == AUTO, 1), else_=0)).label("auto"),
        sa.func.sum(sa.case((fields.c.decision == CONFIRMED, 1), else_=0)).label("confirmed"),
        sa.func.sum(sa.case((fields.c.decision == CORRECTED, 1), else_=0)).label("corrected"),
    ).group_by(fields.c.document_id)
    doc_query = sa.select(
        documents.c.document_id,
        documents.c.centre_id,
        documents.c.received_at,
        documents.c.processed_at,
        documents.c.status,
    ).where(documents.c.status != Status.REJECTED.value)
    if centres is not None:
        doc_query = doc_query.where(documents.c.centre_id.in_(sorted(centres)))
    seconds_query = (
        sa.select(review_events.c.document_id, sa.func.sum(review_events.c.seconds))
        .where(review_events.c.seconds.is_not(None))
        .group_by(review_events.c.document_id)
    )
    docs = _frame(
        engine, doc_query, ["document_id", "centre_id", "received", "processed", "status"]
    )
    if docs.empty:
        return pd.DataFrame(columns=columns)
    counts = _frame(
        engine, field_query, ["document_id", "fields", "auto", "confirmed", "corrected"]
    )
    seconds = _frame(engine, seconds_query, ["document_id", "seconds"])
    every = docs.merge(counts, on="document_id", how="left").merge(
        seconds, on="document_id", how="left"
    )
    every = int_columns(every, ["fields", "auto", "confirmed", "corrected"])
    every["seconds"] = pd.to_numeric(every["seconds"], errors="coerce").fillna(0.0)
    arrived = pd.to_datetime(every["received"], utc=True).fillna(
        pd.to_datetime(every["processed"], utc=True)
    )
    every["day"] = arrived.dt.date
    every["centre_id"] = every["centre_id"].fillna(NO_CENTRE)
    every["full"] = (every["status"] == Status.ACCEPTED.value) & (every["auto"] == every["fields"])
    out = (
        every.groupby(["centre_id", "day"], sort=True)
        .agg(
            documents=("document_id", "size"),
            fully_automated=("full", "sum"),
            fields=("fields", "sum"),
            auto_fields=("auto", "sum"),
            confirmed_fields=("confirmed", "sum"),
            corrected_fields=("corrected", "sum"),
            human_seconds=("seconds", "sum"),
        )
        .reset_index()
    )
    out = int_columns(
        out,
        [
            "documents",
            "fully_automated",
            "fields",
            "auto_fields",
            "confirmed_fields",
            "corrected_fields",
        ],
    )
    out["automation_rate"] = (out["auto_fields"] / out["fields"].where(out["fields"] > 0)).round(4)
    out["human_seconds"] = out["human_seconds"].astype("float64").round(1)
    out["human_seconds_per_document"] = (out["human_seconds"] / out["documents"]).round(1)
    return out[columns]


def qa_accuracy(engine: Engine, *, centres: Centres = None) -> pd.DataFrame:
    """Production accuracy measured by blind QA: per form and field (and ``*`` for the
    whole form), the auto-accepted fields of QA-sampled documents a person has checked,
    how many were right (confirmed; a correction means the machine was wrong), the share
    and its 95 % Wilson interval."""
    from loaders.load import CONFIRMED, CORRECTED
    from validate.calibrate import wilson_interval
    from validate.routing import QA_SAMPLE

    columns = ["form_type", "field", "checked", "right", "accuracy", "low", "high"]
    sampled = sa.select(validation_issues.c.document_id).where(
        validation_issues.c.code == QA_SAMPLE
    )
    query = (
        sa.select(documents.c.form_type, fields.c.name, fields.c.decision)
        .join(documents, documents.c.document_id == fields.c.document_id)
        .where(
            fields.c.document_id.in_(sampled),
            fields.c.needs_review.is_(False),
            fields.c.decision.in_((CONFIRMED, CORRECTED)),
        )
    )
    if centres is not None:
        query = query.where(documents.c.centre_id.in_(sorted(centres)))
    frame = _frame(engine, query, ["form_type", "field", "decision"])
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["right"] = frame["decision"] == CONFIRMED
    whole = frame.assign(field="*")
    counted = (
        pd.concat([frame, whole])
        .groupby(["form_type", "field"], sort=True)
        .agg(checked=("right", "size"), right=("right", "sum"))
        .reset_index()
    )
    counted = int_columns(counted, ["checked", "right"])
    counted["accuracy"] = (counted["right"] / counted["checked"]).round(4)
    bounds = [
        wilson_interval(int(r), int(n))
        for r, n in zip(counted["right"], counted["checked"], strict=True)
    ]
    counted["low"] = [round(low, 4) for low, _ in bounds]
    counted["high"] = [round(high, 4) for _, high in bounds]
    return counted[columns]


AGGREGATES: dict[str, Aggregate] = {
    "infections_by_day": infections_by_day,
    "epi_curve": epi_curve,
    "severity": severity,
    "benefits_by_county": benefits_by_county,
    "processing_by_centre": processing_by_centre,
    "corrections_by_field": corrections_by_field,
    "field_automation": field_automation,
    "qa_accuracy": qa_accuracy,
}
"""Every aggregate by name (``faxflow export --what NAME``)."""


def describe_aggregates() -> dict[str, str]:
    """Name → a one-line description, for --help."""
    return {name: DESCRIPTIONS.get(name, "") for name in AGGREGATES}
