"""``faxflow users …`` and ``faxflow dashboard --help`` through the real CLI app."""

from __future__ import annotations

from pathlib import Path

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
