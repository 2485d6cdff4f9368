"""Finding stored documents (for reprocessing and the dashboard)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from faxflow.errors import ConfigError
from loaders.db import session_scope
from loaders.tables import documents


def _day(value: str | date | None, *, name: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--{name} must be a date written YYYY-MM-DD") from None


def find_documents(
    engine: Engine,
    *,
    form_type: str | None = None,
    status: str | None = None,
    centre: str | None = None,
    since: str | date | None = None,
    until: str | date | None = None,
) -> list[str]:
    """Ids of stored documents, oldest arrival first. ``since``/``until`` are inclusive
    days (UTC) of arrival (or of the first load when the arrival time is unknown)."""
    arrival = sa.func.coalesce(documents.c.received_at, documents.c.processed_at)
    query = sa.select(documents.c.document_id).order_by(arrival, documents.c.document_id)
    if form_type is not None:
        query = query.where(documents.c.form_type == form_type)
    if status is not None:
        query = query.where(documents.c.status == status)
    if centre is not None:
        query = query.where(documents.c.centre_id == centre)
    first = _day(since, name="since")
    last = _day(until, name="until")
    # Compare with the column's own type so SQLite (naive UTC text) and PostgreSQL agree.
    arrival_typed = sa.type_coerce(arrival, documents.c.received_at.type)
    if first is not None:
        query = query.where(arrival_typed >= datetime.combine(first, time(), UTC))
    if last is not None:
        query = query.where(arrival_typed < datetime.combine(last + timedelta(days=1), time(), UTC))
    with session_scope(engine) as session:
        return list(session.execute(query).scalars())
