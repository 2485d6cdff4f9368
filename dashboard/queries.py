"""What the dashboard reads that ``loaders.review`` does not offer: every stored document
(any status), newest first, for the read-only records list, and the values the filter
menus of the records list and the review queue offer."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from faxflow.model import Status
from loaders.db import session_scope
from loaders.tables import documents, validation_issues

STATUSES = ("needs_review", "accepted", "rejected")


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    document_id: str
    source_name: str
    form_type: str
    centre_id: str | None
    status: str
    page_count: int
    arrived_at: datetime
    reviewed_by: str | None


def list_documents(
    engine: Engine,
    *,
    status: str | None = None,
    form_type: str | None = None,
    centre: str | None = None,
    centres: Collection[str] | None = None,
    limit: int = 200,
) -> tuple[list[DocumentSummary], int]:
    """Documents matching the filters, newest arrival first (at most ``limit``), and how
    many match in all; only documents of ``centres`` (None: every centre)."""
    where = _in_centres(centres)
    if status:
        where.append(documents.c.status == status)
    if form_type:
        where.append(documents.c.form_type == form_type)
    if centre:
        where.append(documents.c.centre_id == centre)
    arrived = sa.func.coalesce(documents.c.received_at, documents.c.processed_at)
    query = (
        sa.select(
            documents.c.document_id,
            documents.c.source_name,
            documents.c.form_type,
            documents.c.centre_id,
            documents.c.status,
            documents.c.page_count,
            documents.c.received_at,
            documents.c.processed_at,
            documents.c.reviewed_by,
        )
        .where(*where)
        .order_by(arrived.desc(), documents.c.document_id)
        .limit(limit)
    )
    with session_scope(engine) as session:
        rows = session.execute(query).all()
        total = session.scalar(sa.select(sa.func.count()).select_from(documents).where(*where))
    summaries = [
        DocumentSummary(
            r.document_id,
            r.source_name,
            r.form_type,
            r.centre_id,
            r.status,
            r.page_count,
            r.received_at or r.processed_at,
            r.reviewed_by,
        )
        for r in rows
    ]
    return summaries, int(total or 0)


def _in_centres(centres: Collection[str] | None) -> list[sa.ColumnElement[bool]]:
    """The WHERE clause that keeps a user to their centres (none for admins)."""
    return [] if centres is None else [documents.c.centre_id.in_(sorted(centres))]


def distinct_values(
    engine: Engine, centres: Collection[str] | None = None
) -> tuple[list[str], list[str]]:
    """Every centre and form type seen (in ``centres``), for the filter menus."""
    scope = _in_centres(centres)
    with session_scope(engine) as session:
        seen = session.scalars(
            sa.select(documents.c.centre_id)
            .where(documents.c.centre_id.is_not(None), *scope)
            .distinct()
        ).all()
        forms = session.scalars(sa.select(documents.c.form_type).where(*scope).distinct()).all()
    return sorted(c for c in seen if c), sorted(forms)


@dataclass(frozen=True, slots=True)
class QueueChoices:
    """What the review queue's filter menus offer: the values present in the whole queue,
    whatever filter is applied."""

    centres: tuple[str, ...]
    form_types: tuple[str, ...]
    issue_codes: tuple[str, ...]  # codes of issues no reviewer has resolved yet


def queue_choices(engine: Engine, centres: Collection[str] | None = None) -> QueueChoices:
    """The centres, form types and open issue codes of the documents (of ``centres``)
    waiting for review, in one query of distinct values (not a second read of the whole
    queue)."""
    waiting = sa.and_(documents.c.status == Status.NEEDS_REVIEW.value, *_in_centres(centres))
    centre, form_type, issue_code = _menu("centre"), _menu("form"), _menu("issue")
    query = sa.union(
        sa.select(centre, documents.c.centre_id.label("value")).where(
            waiting, documents.c.centre_id.is_not(None)
        ),
        sa.select(form_type, documents.c.form_type).where(waiting),
        sa.select(issue_code, validation_issues.c.code)
        .select_from(
            validation_issues.join(
                documents, documents.c.document_id == validation_issues.c.document_id
            )
        )
        .where(waiting, validation_issues.c.resolved_by_review.is_(False)),
    )
    with session_scope(engine) as session:
        rows = session.execute(query).all()
    values: dict[str, set[str]] = {"centre": set(), "form": set(), "issue": set()}
    for menu, value in rows:
        if value:
            values[menu].add(value)
    return QueueChoices(
        centres=tuple(sorted(values["centre"])),
        form_types=tuple(sorted(values["form"])),
        issue_codes=tuple(sorted(values["issue"])),
    )


def _menu(name: str) -> sa.Label[str]:
    """A constant column naming the menu a row belongs to. Inlined, not bound: PostgreSQL
    cannot type an untyped parameter in a UNION. ``name`` is one of this module's words."""
    return sa.literal_column(f"'{name}'", sa.String).label("menu")
