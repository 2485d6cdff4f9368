"""The intake ledger in the database: :class:`faxflow.ledger.Ledger` on ``intake_ledger``."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from faxflow.errors import ConfigError
from faxflow.ledger import LedgerEntry, LedgerStatus
from loaders.db import session_scope
from loaders.tables import intake_ledger

_COLUMNS = tuple(f.name for f in fields(LedgerEntry))


def _entry(row: Any) -> LedgerEntry:
    values = {name: row._mapping[name] for name in _COLUMNS}
    values["status"] = LedgerStatus(values["status"])
    return LedgerEntry(**values)


class SqlLedger:
    """Ledger rows in the faxflow database; ``record`` is an upsert by ``arrival_id``
    (one transaction each, safe from many processes)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, entry: LedgerEntry) -> None:
        values = asdict(entry)
        values["status"] = entry.status.value
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt: Any = pg_insert(intake_ledger).values(**values)
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(intake_ledger).values(**values)
        else:
            raise ConfigError(f"faxflow supports SQLite and PostgreSQL databases, not {dialect}")
        update = {name: stmt.excluded[name] for name in values if name != "arrival_id"}
        with session_scope(self.engine) as session:
            session.execute(stmt.on_conflict_do_update(index_elements=["arrival_id"], set_=update))

    def get(self, arrival_id: str) -> LedgerEntry | None:
        with session_scope(self.engine) as session:
            row = session.execute(
                sa.select(intake_ledger).where(intake_ledger.c.arrival_id == arrival_id)
            ).first()
        return _entry(row) if row is not None else None

    def entries(self) -> list[LedgerEntry]:
        with session_scope(self.engine) as session:
            rows = session.execute(
                sa.select(intake_ledger).order_by(
                    intake_ledger.c.first_seen_at, intake_ledger.c.arrival_id
                )
            ).all()
        return [_entry(row) for row in rows]

    def first_with_document(self, document_id: str) -> LedgerEntry | None:
        with session_scope(self.engine) as session:
            row = session.execute(
                sa.select(intake_ledger)
                .where(
                    intake_ledger.c.document_id == document_id,
                    intake_ledger.c.status == LedgerStatus.ARCHIVED.value,
                )
                .order_by(intake_ledger.c.first_seen_at, intake_ledger.c.arrival_id)
                .limit(1)
            ).first()
        return _entry(row) if row is not None else None
