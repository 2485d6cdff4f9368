"""Possible duplicates: the same person and the same event already in the database.

Faxes get re-sent, re-scanned and sent by two clinics, so the same case arrives as
different bytes (exact byte duplicates are caught at intake by the sha256). Here a stored
record is a possible duplicate of a new one when:

- the person's name is the same after normalising (case, accents, punctuation, word
  order: "DOE, Jane" = "jane doe"; a Japanese name's width and spaces: "山田　太郎" =
  "山田太郎");
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
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.sql import ColumnElement

from faxflow.model import RecordType, Status
from loaders.db import session_scope
from loaders.tables import benefit_applications, documents, form_records, infection_reports

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_JOINERS = re.compile(r"['’`-]")  # O'Neil = ONeil, Smith-Jones = SmithJones
_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script


def name_key(parts: Sequence[str | None]) -> tuple[str, ...]:
    """A person's name as a sorted tuple of normalised words (order and punctuation free).

    A name with letters of a script that has no ASCII form (Japanese: 山田 太郎, ヤマダ
    タロウ) is one word instead: NFKC-folded (full-width, half-width kana), its spaces and
    punctuation dropped. Japanese writes the family name first, with or without a space;
    dropping the accents' way to ASCII would drop the whole name.
    """
    text = _JOINERS.sub("", " ".join(p for p in parts if p))
    if any(char.isalpha() and not _latin(char) for char in text):
        folded = unicodedata.normalize("NFKC", text).casefold()
        return ("".join(_WORD.findall(folded)),)
    ascii_text = (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    )
    return tuple(sorted(w for w in _NON_ALNUM.split(ascii_text) if w))


def _latin(char: str) -> bool:
    """A letter of the Latin alphabets (accents included: they fold to ASCII)."""
    return unicodedata.name(char, "").startswith("LATIN")


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
    identity: Mapping[str, Any] | None = None,
) -> list[str]:
    """Ids of earlier stored documents of the same person and event, oldest first.
    Never raises on odd values (an unparseable date finds nothing). ``identity`` is a form
    pack's (``rules.yaml``: ``names``, ``birth_date``, ``event_dates`` fields): its records
    are in ``form_records``."""
    key = name_key(person_names)
    event = _as_date(event_date)
    if not key or event is None:
        return []
    born = _as_date(birth_date)
    arrival = sa.func.coalesce(documents.c.received_at, documents.c.processed_at)
    event_column: ColumnElement[Any]
    event_value: date | str = event
    born_value: date | str | None = born
    if not isinstance(record_type, RecordType) and record_type not in set(RecordType):
        if identity is None:
            return []
        table = form_records
        record = table.c.record
        names = [record[n].as_string() for n in identity.get("names") or []]
        events = [record[n].as_string() for n in identity.get("event_dates") or []]
        if not names or not events:
            return []
        event_column = sa.func.coalesce(*events) if len(events) > 1 else events[0]
        birth = identity.get("birth_date")
        birth_column = record[birth].as_string() if birth else sa.null()
        born = born if birth else None
        # JSON holds dates as the record's ISO text: compare text with text
        event_value, born_value = event.isoformat(), born.isoformat() if born else None
        kind_filter: ColumnElement[bool] = table.c.form_type == str(record_type)
    elif RecordType(record_type) is RecordType.INFECTION_REPORT:
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
    if table is not form_records:
        kind_filter = sa.true()
    query = (
        sa.select(documents.c.document_id, arrival.label("arrival"), *names)
        .join(table, table.c.document_id == documents.c.document_id)
        .where(
            documents.c.document_id != document_id,
            documents.c.status != Status.REJECTED.value,
            event_column == event_value,
            kind_filter,
        )
        .order_by(arrival, documents.c.document_id)
    )
    if born is not None:
        query = query.where(sa.or_(birth_column.is_(None), birth_column == born_value))
    with session_scope(engine) as session:
        this_arrival = session.execute(
            sa.select(arrival).where(documents.c.document_id == document_id)
        ).scalar()
        if this_arrival is not None:  # a reprocessed document: only those that came before
            arrival_typed = sa.type_coerce(arrival, documents.c.received_at.type)
            query = query.where(arrival_typed < this_arrival)
        rows = session.execute(query).all()
    return [row.document_id for row in rows if name_key(row[2:]) == key]
