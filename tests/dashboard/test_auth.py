"""Roles, passwords, sessions and the small security helpers."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest
from starlette.requests import Request

from dashboard.auth import (
    ROLE_PERMISSIONS,
    LoginThrottle,
    Permission,
    Role,
    User,
    UserAccountError,
    check_role,
    check_username,
    hash_password,
    session_username,
    start_session,
    verify_password,
)
from dashboard.security import csrf_token_matches, load_or_create_secret, safe_next_path


def test_role_permissions() -> None:
    reviewer, analyst, admin = (
        ROLE_PERMISSIONS[r] for r in (Role.REVIEWER, Role.ANALYST, Role.ADMIN)
    )
    assert Permission.REVIEW in reviewer and Permission.QUEUE in reviewer
    assert Permission.OVERVIEW not in reviewer and Permission.REVEAL not in reviewer
    assert Permission.OVERVIEW in analyst and Permission.EXPORT in analyst
    assert Permission.REVIEW not in analyst and Permission.QUEUE not in analyst
    assert Permission.READ_RECORD in reviewer & analyst
    assert admin == frozenset(Permission)
    assert User("a", Role.ANALYST).home_route == "overview"
    assert User("r", Role.REVIEWER).home_route == "queue"


def test_password_hashing() -> None:
    hashed = hash_password("a long passphrase")
    assert hashed.startswith("$argon2id$")
    assert "a long passphrase" not in hashed
    assert verify_password(hashed, "a long passphrase")
    assert not verify_password(hashed, "a long passphrasE")
    assert not verify_password(None, "a long passphrase")
    assert not verify_password("not a hash", "a long passphrase")
    assert hash_password("a long passphrase") != hashed  # salted


@pytest.mark.parametrize("password", ["short", " leading space ok?", "tab\tinside pass"])
def test_password_policy(password: str) -> None:
    with pytest.raises(UserAccountError):
        hash_password(password)


@pytest.mark.parametrize(("raw", "name"), [("Alice", "alice"), (" bob.smith ", "bob.smith")])
def test_usernames_are_normalised(raw: str, name: str) -> None:
    assert check_username(raw) == name


@pytest.mark.parametrize("raw", ["a", "x" * 65, "alice smith", "<script>", "bob@example"])
def test_bad_usernames(raw: str) -> None:
    with pytest.raises(UserAccountError, match="2-64 characters"):
        check_username(raw)


def test_roles() -> None:
    assert check_role("Admin") is Role.ADMIN
    with pytest.raises(UserAccountError, match="reviewer, analyst, admin"):
        check_role("root")


def test_login_throttle() -> None:
    throttle = LoginThrottle(limit=2, window_s=60)
    throttle.failed("alice")
    assert not throttle.blocked("alice")
    throttle.failed("alice")
    assert throttle.blocked("alice") and not throttle.blocked("bob")
    throttle.succeeded("alice")
    assert not throttle.blocked("alice")
    expired = LoginThrottle(limit=1, window_s=0)
    expired.failed("carol")
    assert not expired.blocked("carol")


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/documents/abc?x=1", "/documents/abc?x=1"),
        ("//evil.example", "/home"),
        ("/\\evil.example", "/home"),
        ("https://evil.example/", "/home"),
        ("/ok\r\nSet-Cookie: x", "/home"),
        ("", "/home"),
        (None, "/home"),
    ],
)
def test_safe_next_path(candidate: str | None, expected: str) -> None:
    assert safe_next_path(candidate, "/home") == expected


def test_csrf_token_comparison() -> None:
    assert csrf_token_matches("abc", "abc")
    assert not csrf_token_matches("abc", "abd")
    assert not csrf_token_matches(None, None)
    assert not csrf_token_matches("", "")


def test_session_secret_is_private_and_stable(tmp_path: Path) -> None:
    first = load_or_create_secret(tmp_path / "var")
    second = load_or_create_secret(tmp_path / "var")
    assert first == second and len(first) >= 48
    mode = stat.S_IMODE((tmp_path / "var" / "dashboard_secret").stat().st_mode)
    assert mode == 0o600
    (tmp_path / "var" / "dashboard_secret").write_text("short")
    assert load_or_create_secret(tmp_path / "var") != "short"


def _request(session: dict[str, object]) -> Request:
    return Request({"type": "http", "session": session})


def test_idle_session_ends() -> None:
    now = int(time.time())
    fresh = _request({"user": "alice", "seen": now - 10})
    assert session_username(fresh, idle_timeout_s=600) == "alice"
    idle = _request({"user": "alice", "seen": now - 601, "csrf": "t"})
    assert session_username(idle, idle_timeout_s=600) is None
    assert idle.session == {}
    forged = _request({"user": "alice"})  # no timestamp: not a session this app made
    assert session_username(forged, idle_timeout_s=600) is None


def test_login_rotates_the_session() -> None:
    request = _request({"csrf": "planted", "user": "mallory"})
    start_session(request, User("alice", Role.REVIEWER))
    assert request.session["user"] == "alice"
    assert request.session["csrf"] != "planted"
