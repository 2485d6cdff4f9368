"""Dashboard accounts in the ``users`` table: add, list, disable, authenticate.

Used by the login route, the admin's users page and ``faxflow users …``. Passwords only
ever arrive here to be hashed or verified; they are never logged or stored in clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.auth import (
    Role,
    User,
    UserAccountError,
    check_role,
    check_username,
    hash_password,
    needs_rehash,
    verify_password,
)
from loaders.db import session_scope
from loaders.tables import AuditEvent
from loaders.tables import User as UserRow


@dataclass(frozen=True, slots=True)
class Account:
    """One row of the users list (no password hash)."""

    username: str
    role: Role
    disabled: bool
    created_at: datetime


def find_active_user(engine: Engine, username: str) -> User | None:
    """The enabled user with this name, or None."""
    with session_scope(engine) as session:
        row = session.scalars(
            sa.select(UserRow).where(UserRow.username == username.lower())
        ).one_or_none()
        if row is None or row.disabled:
            return None
        return User(row.username, Role(row.role))


def add_user(engine: Engine, username: str, password: str, role: str | Role) -> Account:
    """Create a user; :class:`UserAccountError` for a bad name, role or password, or a name
    that is taken."""
    name = check_username(username)
    checked_role = check_role(str(role))
    password_hash = hash_password(password)
    with session_scope(engine, write=True) as session:
        taken = session.scalar(sa.select(UserRow.id).where(UserRow.username == name))
        if taken is not None:
            raise UserAccountError(f"user {name!r} already exists")
        row = UserRow(username=name, password_hash=password_hash, role=checked_role.value)
        session.add(row)
        session.flush()
        return Account(row.username, checked_role, row.disabled, row.created_at)


def list_users(engine: Engine) -> list[Account]:
    with session_scope(engine) as session:
        rows = session.scalars(sa.select(UserRow).order_by(UserRow.username)).all()
        return [Account(r.username, Role(r.role), r.disabled, r.created_at) for r in rows]


def set_disabled(engine: Engine, username: str, *, disabled: bool = True) -> Account:
    """Disable (or re-enable) a user; their open sessions end on their next request."""
    name = username.strip().lower()
    with session_scope(engine, write=True) as session:
        row = session.scalars(sa.select(UserRow).where(UserRow.username == name)).one_or_none()
        if row is None:
            raise UserAccountError(f"no user named {name!r}")
        row.disabled = disabled
        return Account(row.username, Role(row.role), row.disabled, row.created_at)


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The user when name and password match an enabled account, else None. Every attempt
    is written to the audit table (``login`` / ``login_failed``); a hash made with older
    Argon2 parameters is upgraded on success."""
    name = username.strip().lower()
    with session_scope(engine, write=True) as session:
        row = session.scalars(sa.select(UserRow).where(UserRow.username == name)).one_or_none()
        ok = verify_password(row.password_hash if row else None, password)
        if row is not None and ok and not row.disabled:
            if needs_rehash(row.password_hash):
                row.password_hash = hash_password(password)
            session.add(AuditEvent(actor=row.username, action="login"))
            return User(row.username, Role(row.role))
        reason = "disabled" if row is not None and ok else "bad credentials"
        # The attempted name is recorded only when it exists: a mistyped password pasted
        # into the name box must not land in the audit table.
        session.add(
            AuditEvent(
                actor=row.username if row is not None else "(unknown)",
                action="login_failed",
                detail=reason,
            )
        )
        return None


def record_logout(engine: Engine, username: str) -> None:
    with session_scope(engine, write=True) as session:
        session.add(AuditEvent(actor=username, action="logout"))
