"""Form packs' counts and record exports, from each pack's data files alone.

A pack's ``aggregates.yaml`` names the fields analysts count by (``group_by``, checked by
``faxflow forms check``). Its counts, ``form_<name>_counts``, keep the conventions of the
built-in aggregates (:mod:`loaders.aggregates`):

- one row per arrival day (UTC calendar day; the load day when the arrival is unknown),
  and combination of the ``group_by`` values, with the ``documents`` counted and how many
  of them are ``accepted`` and still ``needs_review``;
- rejected documents are left out; reviewers' corrections count (the record holds them);
- a value counts only once it passed validation or a person decided it: a value that did
  not fit its schema property is NULL in ``form_records`` already, and one still waiting
  for a person (``needs_review`` and no ``decision``) counts as unknown (NULL), as in the
  built-in views since migration 0005.

Counting happens in SQL: :func:`counts_select` is also the view ``form_<name>_counts``
(with ``centre_id`` as one more key, so a user's centres can be counted alone), made by
:func:`loaders.pack_views.ensure_pack_views`.

The records export ``form_<name>`` is the pack's typed view (one row per document,
sensitive fields only as their masked copies), rejected documents left out. It holds
personal data; the daily refresh writes counts only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from faxflow.eras import japanese_date
from faxflow.model import Status
from faxflow.packs import COUNTS_SUFFIX, FormPack, find_packs
from faxflow.settings import Settings
from loaders.aggregates import Aggregate, Centres, as_days, from_view, int_columns
from loaders.db import session_scope
from loaders.pack_views import pack_view_select, typed_element, view_name
from loaders.tables import documents, fields, form_records

COUNTS = ["documents", "accepted", "needs_review"]


class UtcDay(FunctionElement[Any]):
    """The UTC calendar day of a timestamp, whatever the session's time zone (the
    expression migration 0003's views use)."""

    type = sa.Date()
    inherit_cache = True


@compiles(UtcDay, "postgresql")
def _utc_day_postgresql(element: UtcDay, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC') AS DATE)"


@compiles(UtcDay)
def _utc_day_sqlite(element: UtcDay, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"  # naive UTC text


def counts_view_name(pack: FormPack) -> str:
    return f"{view_name(pack)}{COUNTS_SUFFIX}"


def group_by(pack: FormPack) -> list[str]:
    """The fields a pack's counts group by (none without ``aggregates.yaml``)."""
    return [] if pack.aggregates is None else list(pack.aggregates.group_by)


def counts_select(pack: FormPack) -> sa.Select[Any]:
    """Documents per day, centre and trusted ``group_by`` values (module docstring)."""
    record = form_records.c.record
    source: Any = form_records.join(documents)
    keys: list[Any] = []
    for position, name in enumerate(group_by(pack)):
        field = fields.alias(f"f{position}")
        source = source.outerjoin(
            field,
            sa.and_(field.c.document_id == form_records.c.document_id, field.c.name == name),
        )
        waiting = sa.and_(field.c.needs_review.is_(True), field.c.decision.is_(None))
        value = typed_element(pack.schema["properties"][name], record[name])
        keys.append(sa.case((waiting, sa.null()), else_=value).label(name))
    day = sa.func.coalesce(UtcDay(documents.c.received_at), UtcDay(documents.c.processed_at)).label(
        "day"
    )
    status = documents.c.status

    def how_many(wanted: Status) -> Any:
        return sa.func.sum(sa.case((status == wanted.value, 1), else_=0))

    return (
        sa.select(
            day,
            *keys,
            documents.c.centre_id,
            sa.func.count().label("documents"),
            how_many(Status.ACCEPTED).label("accepted"),
            how_many(Status.NEEDS_REVIEW).label("needs_review"),
        )
        .select_from(source)
        .where(form_records.c.form_type == pack.name, status != Status.REJECTED.value)
        .group_by(day, *keys, documents.c.centre_id)
    )


def pack_counts(engine: Engine, pack: FormPack, *, centres: Centres = None) -> pd.DataFrame:
    """A pack's counts (columns ``day``, ``day_japanese`` when its ``aggregates.yaml``
    says ``calendar: japanese``, its ``group_by`` fields, ``documents``, ``accepted``,
    ``needs_review``), ``centres``' documents only, sorted by day and values (unknown
    last)."""
    keys = ["day", *group_by(pack)]
    frame = from_view(engine, counts_select(pack).subquery(), keys, COUNTS, keys, centres)
    frame["day"] = as_days(frame["day"])
    if pack.aggregates is not None and pack.aggregates.calendar == "japanese":
        japanese = [None if day is None else japanese_date(day) for day in frame["day"]]
        frame.insert(1, "day_japanese", japanese)
    return int_columns(frame, COUNTS)


def pack_records(engine: Engine, pack: FormPack, *, centres: Centres = None) -> pd.DataFrame:
    """A pack's records as its typed view has them, rejected documents left out, in the
    order documents arrived."""
    query = pack_view_select(pack).where(documents.c.status != Status.REJECTED.value)
    if centres is not None:
        query = query.where(documents.c.centre_id.in_(sorted(centres)))
    query = query.order_by(
        sa.func.coalesce(documents.c.received_at, documents.c.processed_at),
        form_records.c.document_id,
    )
    columns = [column.name for column in query.selected_columns]
    with session_scope(engine) as session:
        rows = session.execute(query).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def _bound(
    compute: Callable[..., pd.DataFrame], pack: FormPack
) -> Aggregate:  # one closure per pack
    def table(engine: Engine, *, centres: Centres = None) -> pd.DataFrame:
        return compute(engine, pack, centres=centres)

    return table


def pack_count_tables(settings: Settings) -> dict[str, Aggregate]:
    """``form_<name>_counts`` of every pack that declares ``aggregates.yaml``."""
    return {
        counts_view_name(pack): _bound(pack_counts, pack)
        for pack in find_packs(settings).values()
        if not pack.builtin and pack.aggregates is not None
    }


def pack_tables(settings: Settings) -> dict[str, tuple[Aggregate, str]]:
    """Every pack's exports by name (``faxflow export --what NAME``) with a one-line
    description: its counts and its records."""
    tables: dict[str, tuple[Aggregate, str]] = {}
    for pack in find_packs(settings).values():
        if pack.builtin:
            continue
        if pack.aggregates is not None:
            by = ", ".join(pack.aggregates.group_by)
            tables[counts_view_name(pack)] = (
                _bound(pack_counts, pack),
                f"{pack.name} documents per day by {by}",
            )
        tables[view_name(pack)] = (
            _bound(pack_records, pack),
            f"{pack.name} records, one row per document (personal data; audited)",
        )
    return tables
