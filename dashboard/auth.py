"""Who may do what: roles, permissions, password hashing and the login session.

Three roles (stored in the ``users`` table):

- ``reviewer``: the review queue and review actions (edit, approve, reject);
- ``analyst``: the overview charts, CSV exports and read-only records;
- ``admin``: everything, plus revealing SSNs and managing users.

Reviewers and analysts belong to one or more centres and see only those centres'
documents, page images, exports and aggregates (another centre's document is "not found",
so ids cannot be probed); admins see every centre.

Passwords are hashed with Argon2id (argon2-cffi's defaults, re-hashed on login when those
defaults change). The session cookie carries only the user name and a CSRF token; the
user's role and ``disabled`` flag are read from the database on every request, so disabling
a user or changing a role takes effect at once.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Depends, Request

from dashboard.security import (
    CSRF_FORM_FIELD,
    CSRF_HEADER,
    CSRF_SESSION_KEY,
    csrf_token_matches,
    new_csrf_token,
)
from faxflow.errors import ErrorCode, ExitCode, FaxflowError

SESSION_USER_KEY = "user"
SESSION_SEEN_KEY = "seen"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MIN_PASSWORD_LENGTH = 12
USERNAME_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


class Role(StrEnum):
    REVIEWER = "reviewer"
    ANALYST = "analyst"
    ADMIN = "admin"


class Permission(StrEnum):
    QUEUE = "queue"  # see the review queue
    REVIEW = "review"  # edit fields, approve, reject
    READ_RECORD = "read_record"  # open a record (masked personal data)
    OVERVIEW = "overview"  # charts
    EXPORT = "export"  # CSV downloads
    REVEAL = "reveal"  # decrypt an SSN (audited)
    MANAGE_USERS = "manage_users"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.REVIEWER: frozenset({Permission.QUEUE, Permission.REVIEW, Permission.READ_RECORD}),
    Role.ANALYST: frozenset({Permission.OVERVIEW, Permission.EXPORT, Permission.READ_RECORD}),
    Role.ADMIN: frozenset(Permission),
}


class UserAccountError(FaxflowError):
    """A user name, role or password that cannot be accepted (message says why)."""

    code = ErrorCode.CONFIG
    exit_code = ExitCode.BAD_ARGS


class UnknownUserError(UserAccountError):
    """The named account does not exist (the dashboard answers 404)."""


class NotAuthenticated(Exception):
    """No valid session: browsers are sent to the login page, API clients get 401."""


class CsrfRefused(Exception):
    """A state-changing request without this session's CSRF token: 403."""


class Forbidden(Exception):
    """Logged in, but the role lacks the permission: 403."""

    def __init__(self, permission: Permission) -> None:
        super().__init__(permission.value)
        self.permission = permission


@dataclass(frozen=True, slots=True)
class User:
    """The logged-in person, as the request sees them. ``centres`` are the centres whose
    documents, images, exports and aggregates they may see; None (admins) means every
    centre, an empty set none."""

    username: str
    role: Role
    centres: frozenset[str] | None = frozenset()

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def sees_centre(self, centre_id: str | None) -> bool:
        return self.centres is None or (centre_id is not None and centre_id in self.centres)

    @property
    def home_route(self) -> str:
        """The name of the route this role lands on after login."""
        return "queue" if self.can(Permission.QUEUE) else "overview"


# --------------------------------------------------------------------------------------
# Names and passwords
# --------------------------------------------------------------------------------------

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as long as a wrong
# password and response times do not reveal which user names exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + "x" * 16)


def check_username(username: str) -> str:
    """The normalised (lower-case) user name, or :class:`UserAccountError`."""
    name = username.strip().lower()
    if not 2 <= len(name) <= 64 or not set(name) <= USERNAME_ALPHABET:
        raise UserAccountError(
            "a user name is 2-64 characters of a-z, 0-9, '.', '_' or '-'",
        )
    return name


CENTRE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def check_centres(centres: Iterable[str]) -> frozenset[str]:
    """Centre ids as ``inbox/<centre id>/`` names them (1-64 of A-Z, a-z, 0-9, '.', '_',
    '-'), or :class:`UserAccountError`."""
    checked = frozenset(c.strip() for c in centres if c.strip())
    bad = sorted(c for c in checked if not CENTRE_ID.fullmatch(c))
    if bad:
        raise UserAccountError(
            "a centre id is 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-' (as in "
            "inbox/<centre id>/)"
        )
    return checked


def check_role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise UserAccountError(f"unknown role {role!r}; use one of: {allowed}") from None


def hash_password(password: str) -> str:
    """An Argon2id hash of a password that meets the policy (at least 12 characters)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserAccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password or not password.isprintable():
        raise UserAccountError("a password may not start or end with spaces or hold control keys")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing or malformed hash never matches."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


class LoginThrottle:
    """Slows password guessing: after ``limit`` failures for one user name within
    ``window_s`` seconds, further attempts for that name are refused until the window
    passes. In memory, per process: enough for one dashboard server."""

    def __init__(self, *, limit: int = 5, window_s: float = 900.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and now - failures[0] > self.window_s:
            failures.popleft()
        return failures

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key, time.monotonic())) >= self.limit

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


# --------------------------------------------------------------------------------------
# The session
# --------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use (also for the login form)."""
    token = request.session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = new_csrf_token()
        request.session[CSRF_SESSION_KEY] = token
    return token


def start_session(request: Request, user: User) -> None:
    """Log ``user`` in: a fresh session (new CSRF token) so a token or cookie planted before
    login is worthless afterwards."""
    request.session.clear()
    request.session[SESSION_USER_KEY] = user.username
    request.session[SESSION_SEEN_KEY] = int(time.time())
    request.session[CSRF_SESSION_KEY] = new_csrf_token()


def end_session(request: Request) -> None:
    request.session.clear()


def session_username(request: Request, *, idle_timeout_s: int) -> str | None:
    """The user name of a live session; an idle session is ended. ``seen`` is refreshed at
    most once a minute so the cookie is not re-issued on every request."""
    username = request.session.get(SESSION_USER_KEY)
    if not isinstance(username, str):
        return None
    now = int(time.time())
    seen = request.session.get(SESSION_SEEN_KEY)
    if not isinstance(seen, int) or now - seen > idle_timeout_s:
        end_session(request)
        return None
    if now - seen > 60:
        request.session[SESSION_SEEN_KEY] = now
    return username


def current_user(request: Request) -> User | None:
    """The logged-in, enabled user of this request (also put on ``request.state.user`` for
    the templates), or None. The role is read from the database, not the cookie."""
    from dashboard.app import state_of
    from dashboard.users import find_active_user

    if hasattr(request.state, "user"):
        cached: User | None = request.state.user
        return cached
    state = state_of(request)
    username = session_username(request, idle_timeout_s=state.idle_timeout_s)
    user = find_active_user(state.engine, username) if username else None
    if username and user is None:
        end_session(request)  # disabled or deleted since login
    request.state.user = user
    return user


async def verify_csrf(request: Request) -> None:
    """Refuse a state-changing request whose form field ``csrf_token`` (or header
    ``X-CSRF-Token``) does not match this session's token."""
    if request.method in SAFE_METHODS:
        return
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None:
        form = await request.form()
        value = form.get(CSRF_FORM_FIELD)
        submitted = value if isinstance(value, str) else None
    if not csrf_token_matches(request.session.get(CSRF_SESSION_KEY), submitted):
        raise CsrfRefused()


def requires(permission: Permission) -> Callable[..., Awaitable[User]]:
    """A FastAPI dependency: the current :class:`User` if their role has ``permission``.

    Refusals raise :class:`NotAuthenticated` (login page or 401), :class:`Forbidden` (403)
    and, for any method but GET/HEAD, :class:`CsrfRefused` (403). Every protected route
    goes through here, so no form can forget its CSRF check."""

    def authorised(request: Request) -> User:
        # Sync on purpose: FastAPI runs it in the thread pool, off the event loop, because
        # it reads the users table.
        user = current_user(request)
        if user is None:
            raise NotAuthenticated()
        if not user.can(permission):
            raise Forbidden(permission)
        return user

    async def dependency(request: Request, user: User = Depends(authorised)) -> User:
        await verify_csrf(request)
        return user

    dependency.__name__ = f"requires_{permission.value}"
    return dependency


def any_user(request: Request) -> User:
    """A FastAPI dependency: any logged-in user."""
    user = current_user(request)
    if user is None:
        raise NotAuthenticated()
    return user
