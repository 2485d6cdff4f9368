"""Shared fixtures of the security tests: ``settings`` (a private var/ folder and database,
a fresh encryption key, no stability wait), and the dashboard's fixtures, reused: a
migrated SQLite database with a user of each role, the hand-made fixture documents and
their page images, the app and logged-in clients (see ``tests/dashboard/conftest.py``)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from faxflow.settings import Settings, get_settings
from tests.dashboard.conftest import (  # noqa: F401  (fixtures, found by name)
    anon,
    app,
    blank_page_png,
    cheap_password_hashing,
    client_for,
    dash_settings,
    docs,
    engine,
    isolated_env,
    template,
)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("FAXFLOW_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FAXFLOW_ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("FAXFLOW_STABLE_SECONDS", "0")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
