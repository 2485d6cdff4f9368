"""The dashboard mounted under a prefix, as Airflow's API server mounts plugin apps."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dashboard.app import create_app
from faxflow.settings import Settings
from tests.dashboard.conftest import PASSWORD, Fixture, csrf_from


def test_plugin_declares_the_dashboard_app() -> None:
    plugin_module = pytest.importorskip("dashboard.airflow_plugin")
    (entry,) = plugin_module.FaxflowDashboardPlugin.fastapi_apps
    assert entry["url_prefix"] == "/faxflow"
    assert isinstance(entry["app"], plugin_module.LazyDashboard)
    assert entry["app"]._app is None  # nothing built (no database opened) at import


def test_dashboard_works_under_a_prefix(dash_settings: Settings, engine, docs: Fixture) -> None:
    """GIVEN the app mounted at /faxflow in another FastAPI app, THEN redirects, links and
    forms all carry the prefix and a reviewer can log in and approve."""
    host = FastAPI()
    host.mount("/faxflow", create_app(dash_settings, engine=engine))
    with TestClient(host, base_url="http://127.0.0.1") as client:
        first = client.get(
            "/faxflow/queue", headers={"accept": "text/html"}, follow_redirects=False
        )
        assert first.headers["location"].startswith("http://127.0.0.1/faxflow/login?next=")
        form = client.get("/faxflow/login", headers={"accept": "text/html"})
        assert 'action="http://127.0.0.1/faxflow/login"' in form.text
        assert "/faxflow/static/dashboard.css" in form.text
        logged_in = client.post(
            "/faxflow/login",
            data={"username": "reviewer", "password": PASSWORD, "csrf_token": csrf_from(form.text)},
            follow_redirects=False,
        )
        assert logged_in.headers["location"] == "http://127.0.0.1/faxflow/queue"
        queue = client.get("/faxflow/queue", headers={"accept": "text/html"})
        hrefs = re.findall(r'href="([^"]+)"', queue.text)
        assert hrefs and all("/faxflow/" in h for h in hrefs if not h.startswith("#"))
        assert client.get("/faxflow/static/review.js").status_code == 200
        approved = client.post(
            f"/faxflow/documents/{docs.xss_case}/approve",
            data={"csrf_token": csrf_from(queue.text)},
            follow_redirects=False,
        )
        assert approved.headers["location"] == "http://127.0.0.1/faxflow/queue"


def test_dashboard_works_behind_the_plugins_lazy_app(
    dash_settings: Settings, engine, docs: Fixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN the plugin's own ASGI object mounted as Airflow mounts it (no ``routes`` for
    the host router to search), THEN pages that link static files render (was 500
    ``NoMatchFound``)."""
    plugin_module = pytest.importorskip("dashboard.airflow_plugin")
    lazy = plugin_module.LazyDashboard()
    lazy._app = create_app(dash_settings, engine=engine)
    host = FastAPI()
    host.mount("/faxflow", lazy)
    with TestClient(host, base_url="http://127.0.0.1") as client:
        form = client.get("/faxflow/login", headers={"accept": "text/html"})
        assert form.status_code == 200
        assert "http://127.0.0.1/faxflow/static/dashboard.css" in form.text
        assert 'action="http://127.0.0.1/faxflow/login"' in form.text
