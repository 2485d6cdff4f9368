"""Who may reach which route: every route of the app, for anonymous visitors and each role.

The matrix below must list every route the app has (a test checks that), so a new route
cannot be added without deciding who may use it.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.dashboard.conftest import Fixture, csrf_of

ALL = frozenset({"reviewer", "analyst", "admin"})
REVIEWERS = frozenset({"reviewer", "admin"})
ANALYSTS = frozenset({"analyst", "admin"})
ADMINS = frozenset({"admin"})

# (method, path template) -> roles allowed; None = no login needed.
ACCESS: dict[tuple[str, str], frozenset[str] | None] = {
    ("GET", "/healthz"): None,
    ("GET", "/"): None,
    ("GET", "/login"): None,
    ("POST", "/login"): None,
    ("POST", "/logout"): ALL,
    ("GET", "/queue"): REVIEWERS,
    ("GET", "/documents"): ALL,
    ("GET", "/documents/{document_id}"): ALL,
    ("GET", "/documents/{document_id}/pages/{number}/image"): ALL,
    ("POST", "/documents/{document_id}/fields/{field}"): REVIEWERS,
    ("POST", "/documents/{document_id}/fields/{field}/undo"): REVIEWERS,
    ("POST", "/documents/{document_id}/approve"): REVIEWERS,
    ("POST", "/documents/{document_id}/reject"): REVIEWERS,
    ("POST", "/documents/{document_id}/reveal"): ADMINS,
    ("GET", "/supervise"): REVIEWERS,
    ("GET", "/supervise/{document_id}"): REVIEWERS,
    ("GET", "/supervise/{document_id}/fields/{field}/crop"): REVIEWERS,
    ("POST", "/supervise/{document_id}/fields/{field}/confirm"): REVIEWERS,
    ("POST", "/supervise/{document_id}/fields/{field}"): REVIEWERS,
    ("POST", "/supervise/{document_id}/fields/{field}/qa"): REVIEWERS,
    ("POST", "/supervise/{document_id}/approve"): REVIEWERS,
    ("GET", "/overview"): ANALYSTS,
    ("GET", "/overview/{name}.csv"): ANALYSTS,
    ("GET", "/users"): ADMINS,
    ("POST", "/users"): ADMINS,
    ("POST", "/users/{username}/centres"): ADMINS,
    ("POST", "/users/{username}/disable"): ADMINS,
    ("POST", "/users/{username}/enable"): ADMINS,
}
PROTECTED = [key for key, roles in ACCESS.items() if roles is not None]


def _url(path: str, docs: Fixture) -> str:
    return (
        path.replace("{document_id}", docs.benefit)
        .replace("{number}", "1")
        .replace("{field}", "residential_county")
        .replace("{name}", "documents_per_day")
        .replace("{username}", "nobody")
    )


def _form(path: str) -> dict[str, str]:
    if path.endswith(("/fields/{field}", "/fields/{field}/qa")):
        return {"value": "Oakland"}
    if path.endswith("/reject"):
        return {"reason": "illegible fax"}
    if path.startswith("/supervise/") and path.endswith("/approve"):
        return {"confirm_open": "yes"}  # fields still open: approved knowingly
    if path == "/users":
        return {"username": "newbie", "role": "analyst", "password": "a long enough password"}
    return {}


def test_matrix_lists_every_route(app: FastAPI) -> None:
    routes = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert routes == set(ACCESS)


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_anonymous_is_refused(anon: TestClient, docs: Fixture, method: str, path: str) -> None:
    """No session: API clients get 401, browsers asking for a page go to the login page."""
    url = _url(path, docs)
    response = anon.request(method, url, data=_form(path) or None, follow_redirects=False)
    assert response.status_code == 401
    assert response.json()["detail"]
    if method == "GET":
        page = anon.get(url, headers={"accept": "text/html"}, follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"].startswith("http://127.0.0.1/login?next=%2F")


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_role_access(client_for, docs: Fixture, role: str, method: str, path: str) -> None:
    """Roles without the permission get 403 and change nothing; roles with it get through
    (a page, a file or a redirect after the change)."""
    client = client_for(role)
    data = {**_form(path), "csrf_token": csrf_of(client)} if method == "POST" else None
    response = client.request(method, _url(path, docs), data=data, follow_redirects=False)
    allowed = ACCESS[(method, path)]
    assert allowed is not None
    if role in allowed:
        assert response.status_code in {200, 303, 400, 404}, response.text
        if response.status_code == 404:  # only the made-up user name may be missing
            assert "{username}" in path
        if response.status_code == 400:  # nothing to undo in an untouched field
            assert path.endswith("/undo") and "no correction to undo" in response.text
    else:
        assert response.status_code == 403, response.text
        assert "role" in response.json()["detail"]


def test_public_routes(anon: TestClient) -> None:
    assert anon.get("/healthz").json() == {"status": "ok"}
    home = anon.get("/", follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"].endswith("/login")
    login = anon.get("/login", headers={"accept": "text/html"})
    assert login.status_code == 200
    assert 'name="csrf_token"' in login.text


@pytest.mark.parametrize(
    ("role", "landing"), [("reviewer", "/queue"), ("analyst", "/overview"), ("admin", "/queue")]
)
def test_home_lands_on_the_role_s_screen(client_for, role: str, landing: str) -> None:
    response = client_for(role).get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].endswith(landing)
