"""The audit trail: one row per action, in its own or the caller's transaction."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders.audit import LOGIN, VIEW_RECORD, record_audit
from loaders.tables import audit_events
from tests.loaders.conftest import doc_id


def test_record_audit_rows(sqlite_engine: Engine) -> None:
    record_audit(sqlite_engine, actor="ana", action=LOGIN)
    record_audit(
        sqlite_engine, actor="rita", action=VIEW_RECORD, document_id=doc_id(1), detail="review page"
    )
    with sqlite_engine.connect() as connection:
        rows = connection.execute(sa.select(audit_events).order_by(audit_events.c.id)).all()
    assert [(r.actor, r.action, r.document_id, r.detail) for r in rows] == [
        ("ana", "login", None, None),
        ("rita", "view_record", doc_id(1), "review page"),
    ]
    assert rows[0].at.tzinfo is not None and rows[0].at <= rows[1].at
