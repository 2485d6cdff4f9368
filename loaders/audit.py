"""The audit trail: who viewed or revealed what. Rows never hold personal data."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from loaders.db import session_scope
from loaders.tables import audit_events, utc_now

VIEW_RECORD = "view_record"
REVEAL_SSN = "reveal_ssn"
LOGIN = "login"
LOGIN_FAILED = "login_failed"
EXPORT = "export"
LOGOUT = "logout"
USER_ADDED = "user_added"
USER_DISABLED = "user_disabled"
USER_ENABLED = "user_enabled"
USER_CENTRES = "user_centres"
RETENTION_PURGE = "retention_purge"


def write_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    document_id: str | None = None,
    field: str | None = None,
    detail: str | None = None,
) -> None:
    """Add an audit row inside the caller's transaction."""
    session.execute(
        insert(audit_events).values(
            at=utc_now(),
            actor=actor[:64],
            action=action[:32],
            document_id=document_id,
            field=field,
            detail=detail,
        )
    )


def record_audit(
    engine: Engine,
    *,
    actor: str,
    action: str,
    document_id: str | None = None,
    field: str | None = None,
    detail: str | None = None,
) -> None:
    """Write one audit row in its own transaction (``view_record``, ``login`` …).
    ``detail`` must not contain personal data (no names, SSNs or field values)."""
    with session_scope(engine) as session:
        write_audit(
            session, actor=actor, action=action, document_id=document_id, field=field, detail=detail
        )
