"""Threat: accounts are created, disabled or re-enabled (or passwords guessed, sessions
used) with no trace: who let whom in, and when, must be in the audit table."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from dashboard.users import add_user, set_disabled
from loaders.tables import audit_events
from tests.dashboard.conftest import PASSWORD, csrf_from, csrf_of, login


def _audit(engine: Engine, *actions: str) -> list[tuple[str, str, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(audit_events.c.actor, audit_events.c.action, audit_events.c.detail)
            .where(audit_events.c.action.in_(actions))
            .order_by(audit_events.c.id)
        ).all()
    return [tuple(r) for r in rows]


def test_user_management_in_the_dashboard_is_audited(client_for, engine) -> None:
    admin = client_for("admin")
    added = admin.post(
        "/users",
        data={
            "username": "dora",
            "role": "reviewer",
            "password": "a long enough password",
            "centres": "centre-a, centre-b",
            "csrf_token": csrf_of(admin),
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    for action in ("disable", "enable"):
        response = admin.post(
            f"/users/dora/{action}", data={"csrf_token": csrf_of(admin)}, follow_redirects=False
        )
        assert response.status_code == 303
    assert _audit(engine, "user_added", "user_disabled", "user_enabled")[-3:] == [
        ("admin", "user_added", "user dora as reviewer; centres: centre-a, centre-b"),
        ("admin", "user_disabled", "user dora"),
        ("admin", "user_enabled", "user dora"),
    ]


def test_user_management_from_the_shell_is_audited(engine) -> None:
    add_user(engine, "eve", PASSWORD, "analyst", centres=["c9"])
    set_disabled(engine, "eve")
    assert _audit(engine, "user_added", "user_disabled")[-2:] == [
        ("(shell)", "user_added", "user eve as analyst; centres: c9"),
        ("(shell)", "user_disabled", "user eve"),
    ]


def test_logins_failed_logins_and_logouts_are_audited(app, engine) -> None:
    with TestClient(app, base_url="http://127.0.0.1") as client:
        token = csrf_from(client.get("/login", headers={"accept": "text/html"}).text)
        client.post(
            "/login",
            data={"username": "reviewer", "password": "wrong password!", "csrf_token": token},
        )
        login(client, "reviewer")
        client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert _audit(engine, "login", "login_failed", "logout") == [
        ("reviewer", "login_failed", "bad credentials"),
        ("reviewer", "login", None),
        ("reviewer", "logout", None),
    ]
