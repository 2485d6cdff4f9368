"""Dashboard accounts in the ``users`` table: add, list, disable, authenticate.

Used by the login route, the admin's users page and ``faxflow users …``. Passwords only
ever arrive here to be hashed or verified; they are never logged or stored in clear.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dashboard.auth import (
    Role,
    UnknownUserError,
    User,
    UserAccountError,
    check_centres,
    check_role,
    check_username,
    hash_password,
    needs_rehash,
    verify_password,
)
from loaders.audit import (
    LOGIN,
    LOGIN_FAILED,
    LOGOUT,
    USER_ADDED,
    USER_CENTRES,
    USER_DISABLED,
    USER_ENABLED,
    write_audit,
)
from loaders.db import session_scope
from loaders.tables import AuditEvent, UserCentre
from loaders.tables import User as UserRow

SHELL_ACTOR = "(shell)"  # user management from `faxflow users …`, not the dashboard


@dataclass(frozen=True, slots=True)
class Account:
    """One row of the users list (no password hash)."""

    username: str
    role: Role
    disabled: bool
    created_at: datetime
    centres: tuple[str, ...] = ()


def _centres_of(session: Session, row: UserRow) -> frozenset[str] | None:
    """None (every centre) for admins, else the user's centres."""
    if row.role == Role.ADMIN.value:
        return None
    return frozenset(
        session.scalars(sa.select(UserCentre.centre_id).where(UserCentre.user_id == row.id))
    )


def _user_of(session: Session, row: UserRow) -> User:
    return User(row.username, Role(row.role), _centres_of(session, row))


def _account_of(session: Session, row: UserRow) -> Account:
    centres = _centres_of(session, row)
    return Account(
        row.username,
        Role(row.role),
        row.disabled,
        row.created_at,
        tuple(sorted(centres)) if centres is not None else (),
    )


def find_active_user(engine: Engine, username: str) -> User | None:
    """The enabled user with this name, or None."""
    with session_scope(engine) as session:
        row = session.scalars(
            sa.select(UserRow).where(UserRow.username == username.lower())
        ).one_or_none()
        if row is None or row.disabled:
            return None
        return _user_of(session, row)


def add_user(
    engine: Engine,
    username: str,
    password: str,
    role: str | Role,
    *,
    centres: Iterable[str] = (),
    actor: str = SHELL_ACTOR,
) -> Account:
    """Create a user belonging to ``centres``; :class:`UserAccountError` for a bad name,
    role, centre or password, or a name that is taken. A reviewer or analyst without a
    centre sees no document until one is given; admins see every centre. ``actor`` (who
    added them) goes to the audit table with the new user's name, role and centres."""
    name = check_username(username)
    checked_role = check_role(str(role))
    checked_centres = check_centres(centres)
    if checked_role is Role.ADMIN and checked_centres:
        raise UserAccountError("an admin sees every centre; give --centre to other roles only")
    password_hash = hash_password(password)
    with session_scope(engine, write=True) as session:
        taken = session.scalar(sa.select(UserRow.id).where(UserRow.username == name))
        if taken is not None:
            raise UserAccountError(f"user {name!r} already exists")
        row = UserRow(username=name, password_hash=password_hash, role=checked_role.value)
        session.add(row)
        session.flush()
        session.add_all(UserCentre(user_id=row.id, centre_id=c) for c in sorted(checked_centres))
        admin = checked_role is Role.ADMIN
        where = ", ".join(sorted(checked_centres)) or ("all" if admin else "none")
        write_audit(
            session,
            actor=actor,
            action=USER_ADDED,
            detail=f"user {name} as {checked_role.value}; centres: {where}",
        )
        session.flush()
        return _account_of(session, row)


def list_users(engine: Engine) -> list[Account]:
    with session_scope(engine) as session:
        rows = session.scalars(sa.select(UserRow).order_by(UserRow.username)).all()
        return [_account_of(session, r) for r in rows]


def set_disabled(
    engine: Engine, username: str, *, disabled: bool = True, actor: str = SHELL_ACTOR
) -> Account:
    """Disable (or re-enable) a user; their open sessions end on their next request. The
    change is audited under ``actor``."""
    name = username.strip().lower()
    with session_scope(engine, write=True) as session:
        row = session.scalars(sa.select(UserRow).where(UserRow.username == name)).one_or_none()
        if row is None:
            raise UnknownUserError(f"no user named {name!r}")
        row.disabled = disabled
        action = USER_DISABLED if disabled else USER_ENABLED
        write_audit(session, actor=actor, action=action, detail=f"user {row.username}")
        return _account_of(session, row)


def set_centres(
    engine: Engine, username: str, centres: Iterable[str], *, actor: str = SHELL_ACTOR
) -> Account:
    """Replace the centres a reviewer or analyst sees (none: they see no document). Users
    made before centres existed got none, so this is how they get their documents back.
    Admins see every centre and take none. The change is audited under ``actor``; it holds
    from the user's next request."""
    name = username.strip().lower()
    checked = check_centres(centres)
    with session_scope(engine, write=True) as session:
        row = session.scalars(sa.select(UserRow).where(UserRow.username == name)).one_or_none()
        if row is None:
            raise UnknownUserError(f"no user named {name!r}")
        if row.role == Role.ADMIN.value:
            raise UserAccountError("an admin sees every centre; give centres to other roles only")
        session.execute(sa.delete(UserCentre).where(UserCentre.user_id == row.id))
        session.add_all(UserCentre(user_id=row.id, centre_id=c) for c in sorted(checked))
        write_audit(
            session,
            actor=actor,
            action=USER_CENTRES,
            detail=f"user {row.username}; centres: {', '.join(sorted(checked)) or 'none'}",
        )
        session.flush()
        return _account_of(session, row)


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
            session.add(AuditEvent(actor=row.username, action=LOGIN))
            return _user_of(session, row)
        reason = "disabled" if row is not None and ok else "bad credentials"
        # The attempted name is recorded only when it exists: a mistyped password pasted
        # into the name box must not land in the audit table.
        session.add(
            AuditEvent(
                actor=row.username if row is not None else "(unknown)",
                action=LOGIN_FAILED,
                detail=reason,
            )
        )
        return None


def record_logout(engine: Engine, username: str) -> None:
    with session_scope(engine, write=True) as session:
        session.add(AuditEvent(actor=username, action=LOGOUT))
