"""``faxflow users …`` and ``faxflow dashboard --help`` through the real CLI app."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from dashboard.users import authenticate, find_active_user
from faxflow.cli import app
from loaders.db import engine_for

runner = CliRunner()


@pytest.fixture
def db_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FAXFLOW_DATABASE_URL", url)
    from faxflow.settings import get_settings

    get_settings.cache_clear()
    return url


def test_users_add_list_disable(db_env: str) -> None:
    added = runner.invoke(
        app,
        ["users", "add", "Dana", "--role", "analyst", "--password-stdin"],
        input="dana's long password\n",
    )
    assert added.exit_code == 0, added.output
    assert "added dana as analyst" in added.output
    engine = engine_for(db_env)
    user = authenticate(engine, "dana", "dana's long password")
    assert user is not None and user.role.value == "analyst"

    listed = runner.invoke(app, ["users", "list"])
    assert listed.exit_code == 0
    assert "dana" in listed.output and "analyst" in listed.output and "active" in listed.output
    assert "password" not in listed.output.lower()

    disabled = runner.invoke(app, ["users", "disable", "dana"])
    assert disabled.exit_code == 0
    assert find_active_user(engine, "dana") is None
    enabled = runner.invoke(app, ["users", "enable", "dana"])
    assert enabled.exit_code == 0
    assert find_active_user(engine, "dana") is not None


def test_users_add_prompts_twice_for_the_password(db_env: str) -> None:
    result = runner.invoke(
        app,
        ["users", "add", "erin", "--role", "reviewer"],
        input="erin's long password\nerin's long password\n",
    )
    assert result.exit_code == 0, result.output
    assert authenticate(engine_for(db_env), "erin", "erin's long password") is not None


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["users", "add", "x y", "--role", "admin", "--password-stdin"],
            "long enough pass\n",
            "user name",
        ),
        (
            ["users", "add", "frank", "--role", "admin", "--password-stdin"],
            "short\n",
            "12 characters",
        ),
        (["users", "add", "frank", "--role", "admin", "--password-stdin"], "\n", "no password"),
        (["users", "disable", "nobody"], "", "no user named"),
    ],
)
def test_users_errors_are_coded(db_env: str, args: list[str], stdin: str, message: str) -> None:
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code != 0
    assert isinstance(result.exception, Exception)
    assert message in str(result.exception)


def test_unknown_role_is_a_usage_error(db_env: str) -> None:
    result = runner.invoke(app, ["users", "add", "gina", "--role", "root", "--password-stdin"])
    assert result.exit_code == 2


def test_dashboard_help() -> None:
    result = runner.invoke(app, ["dashboard", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--secure-cookies"):
        assert option in result.output


def test_faxflow_dashboard_serves_on_localhost(tmp_path: Path) -> None:
    """`faxflow dashboard --port N` in its own process: migrates, serves, stops on SIGTERM."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "FAXFLOW_VAR_DIR": str(tmp_path / "var"),
        "FAXFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "faxflow.cli", "dashboard", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, (
                    process.stdout.read().decode() if process.stdout else ""
                )
                assert time.monotonic() < deadline, "the dashboard did not start"
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        login = httpx.get(f"http://127.0.0.1:{port}/login")
        assert login.status_code == 200 and "Log in" in login.text
        assert "server" not in login.headers  # uvicorn's banner is off
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert (tmp_path / "served.db").exists()  # migrated on start
