"""Threats: the session cookie sent over plain HTTP, or a browser downgraded to HTTP,
when the dashboard is served over HTTPS — above all mounted in Airflow's API server, where
nobody passes --secure-cookies; servers `make up` starts reachable from the whole
network; Airflow's admin password written in clear to a log."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import stat
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dashboard.app import create_app
from faxflow.settings import Settings, get_settings
from faxflow.up import airflow_services_environment, prepare_admin_password, service_commands

HTML = {"accept": "text/html"}


def _login_page(client: TestClient, path: str = "/login") -> tuple[str | None, str | None]:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200
    return response.headers.get("strict-transport-security"), response.headers.get("set-cookie")


def test_https_requests_get_hsts_and_secure_cookies(dash_settings, engine) -> None:
    with TestClient(create_app(dash_settings, engine=engine), base_url="https://dash") as client:
        hsts, cookie = _login_page(client)
    assert hsts and "max-age=" in hsts
    assert cookie and "secure" in cookie.lower() and "httponly" in cookie.lower()


def test_mounted_like_airflow_over_https_gets_hsts_and_secure_cookies(
    dash_settings, engine
) -> None:
    airflow = FastAPI()
    airflow.mount("/faxflow", create_app(dash_settings, engine=engine))
    with TestClient(airflow, base_url="https://airflow.example") as client:
        hsts, cookie = _login_page(client, "/faxflow/login")
    assert hsts and cookie and "secure" in cookie.lower()


def test_secure_cookies_setting_forces_both_behind_a_tls_proxy(dash_settings, engine) -> None:
    """A TLS proxy in front of Airflow may forward plain HTTP: FAXFLOW_SECURE_COOKIES."""
    settings = dash_settings.model_copy(update={"secure_cookies": True})
    with TestClient(create_app(settings, engine=engine), base_url="http://dash") as client:
        hsts, cookie = _login_page(client)
    assert hsts and cookie and "secure" in cookie.lower()


def test_plain_http_on_localhost_stays_usable(dash_settings, engine) -> None:
    with TestClient(create_app(dash_settings, engine=engine), base_url="http://127.0.0.1") as c:
        hsts, cookie = _login_page(c)
    assert hsts is None and cookie and "secure" not in cookie.lower()


def test_make_up_binds_every_server_to_localhost(tmp_path: Path) -> None:
    commands = service_commands(Path("/venv/bin"), get_settings().bind_host)
    assert commands["api-server"][commands["api-server"].index("--host") + 1] == "127.0.0.1"
    assert commands["dashboard"][commands["dashboard"].index("--host") + 1] == "127.0.0.1"
    # Airflow binds its log servers to every interface: make up does not start them.
    for name in ("scheduler", "triggerer"):
        assert "--skip-serve-logs" in commands[name]
    assert airflow_services_environment(tmp_path)["AIRFLOW__API__HOST"] == "127.0.0.1"


def test_bind_host_setting_says_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAXFLOW_BIND_HOST", "10.0.0.5")
    assert Settings().bind_host == "10.0.0.5"
    commands = service_commands(Path("/venv/bin"), Settings().bind_host)
    assert "10.0.0.5" in commands["api-server"] and "10.0.0.5" in commands["dashboard"]


def test_airflow_admin_password_never_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    passwords = tmp_path / "airflow" / "passwords.json"
    prepare_admin_password(passwords)
    assert stat.S_IMODE(os.stat(passwords).st_mode) == 0o600
    secret = passwords.read_text("utf-8")
    prepare_admin_password(passwords)  # a second `make up` keeps it
    assert passwords.read_text("utf-8") == secret

    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin")
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(passwords))
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "False")
    printed = io.StringIO()
    with caplog.at_level(logging.DEBUG), contextlib.redirect_stdout(printed):
        SimpleAuthManager().init()
    password = SimpleAuthManager.get_passwords()["admin"]
    assert password in secret
    assert password not in printed.getvalue() and password not in caplog.text
