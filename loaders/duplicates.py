"""Possible duplicates: the same person and the same event already in the database.

Faxes get re-sent, re-scanned and sent by two clinics, so the same case arrives as
different bytes (exact byte duplicates are caught at intake by the sha256). Here a stored
record is a possible duplicate of a new one when:

- the person's name is the same after normalising (case, accents, punctuation, word
  order: "DOE, Jane" = "jane doe");
- the event date is the same: for an infection report the first known of onset date,
  first positive specimen date, report date of PUI, report date of case (the validation
  stage passes the same); for a benefit application the signature (application) date —
  without an event date nothing is reported;
- the birth dates agree when both are known.

Rejected documents are ignored. The validation stage turns each hit into a
``possible_duplicate`` issue linking the earlier document.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.sql import ColumnElement

from faxflow.model import RecordType, Status
from loaders.db import session_scope
from loaders.tables import benefit_applications, documents, infection_reports

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_JOINERS = re.compile(r"['’`-]")  # O'Neil = ONeil, Smith-Jones = SmithJones


def name_key(parts: Sequence[str | None]) -> tuple[str, ...]:
    """A person's name as a sorted tuple of normalised words (order and punctuation free)."""
    text = _JOINERS.sub("", " ".join(p for p in parts if p))
    ascii_text = (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    )
    return tuple(sorted(w for w in _NON_ALNUM.split(ascii_text) if w))


def _as_date(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def find_possible_duplicates(
    engine: Engine,
    *,
    record_type: RecordType | str,
    document_id: str,
    person_names: Sequence[str],
    birth_date: str | None,
    event_date: str | None,
) -> list[str]:
    """Ids of earlier stored documents of the same person and event, oldest first.
    Never raises on odd values (an unparseable date finds nothing)."""
    key = name_key(person_names)
    event = _as_date(event_date)
    if not key or event is None:
        return []
    born = _as_date(birth_date)
    kind = RecordType(record_type)
    arrival = sa.func.coalesce(documents.c.received_at, documents.c.processed_at)
    event_column: ColumnElement[Any]
    if kind is RecordType.INFECTION_REPORT:
        table = infection_reports
        names = [table.c.patient_first_name, table.c.patient_last_name]
        event_column = sa.func.coalesce(
            table.c.onset_date,
            table.c.first_positive_specimen_date,
            table.c.report_date_pui,
            table.c.report_date_case,
        )
        birth_column = table.c.date_of_birth
    else:
        table = benefit_applications
        names = [table.c.applicant_full_name]
        event_column = table.c.signature_date
        birth_column = table.c.applicant_birth_date
    query = (
        sa.select(documents.c.document_id, arrival.label("arrival"), *names)
        .join(table, table.c.document_id == documents.c.document_id)
        .where(
            documents.c.document_id != document_id,
            documents.c.status != Status.REJECTED.value,
            event_column == event,
        )
        .order_by(arrival, documents.c.document_id)
    )
    if born is not None:
        query = query.where(sa.or_(birth_column.is_(None), birth_column == born))
    with session_scope(engine) as session:
        this_arrival = session.execute(
            sa.select(arrival).where(documents.c.document_id == document_id)
        ).scalar()
        if this_arrival is not None:  # a reprocessed document: only those that came before
            arrival_typed = sa.type_coerce(arrival, documents.c.received_at.type)
            query = query.where(arrival_typed < this_arrival)
        rows = session.execute(query).all()
    return [row.document_id for row in rows if name_key(row[2:]) == key]
