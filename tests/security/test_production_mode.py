"""Threats: a production deployment that silently runs on a key file made beside the
database (every worker its own key, so SSNs one writes another cannot read; a copy of
the folder holds key and data together) or on a session secret nobody chose; and code
that encrypts with the environment's key instead of the settings it was given."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from pydantic import SecretStr

from dashboard.app import create_app
from faxflow.errors import ErrorCode, SecretsRequired
from faxflow.flows import open_services
from faxflow.model import FormType, Status
from faxflow.settings import Settings, get_settings
from loaders.crypto import encrypt
from loaders.db import engine_for, upgrade
from loaders.load import load_document
from loaders.review import reveal
from tests.builders import field_result, form_result

SECRETS = ("FAXFLOW_ENCRYPTION_KEY", "FAXFLOW_SESSION_SECRET")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """FAXFLOW_ENV=production with neither secret set."""
    monkeypatch.setenv("FAXFLOW_ENV", "production")
    monkeypatch.setenv("FAXFLOW_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FAXFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def _no_key_files(settings: Settings) -> None:
    assert not (settings.var_dir / "encryption.key").exists()
    assert not (settings.var_dir / "dashboard_secret").exists()


def test_dashboard_refuses_to_start_without_keys(production: Settings) -> None:
    with pytest.raises(SecretsRequired) as refused:
        create_app(production)
    assert refused.value.code is ErrorCode.SECRETS_REQUIRED
    for name in SECRETS:
        assert name in refused.value.message
    _no_key_files(production)


def test_workers_refuse_to_start_without_keys(production: Settings) -> None:
    with pytest.raises(SecretsRequired):
        open_services(production)
    with pytest.raises(SecretsRequired):
        encrypt("123456789", production)
    _no_key_files(production)


@pytest.mark.parametrize(
    "command",
    [["db", "current"], ["db", "upgrade"], ["users", "list"], ["export", "--what", "epi_curve"]],
)
def test_cli_database_commands_refuse_without_keys(production: Settings, command) -> None:
    """The real command line (``python -m faxflow.cli``), as an operator runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "faxflow.cli", *command],
        cwd=PROJECT_ROOT,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    output = " ".join((done.stdout + done.stderr).split())
    assert "E_SECRETS_REQUIRED" in output
    assert "FAXFLOW_ENCRYPTION_KEY" in output and "FAXFLOW_SESSION_SECRET" in output
    assert "Traceback" not in output
    assert not Path(production.db_url.removeprefix("sqlite:///")).exists()
    _no_key_files(production)


def test_one_missing_secret_is_named_alone(production: Settings) -> None:
    key = SecretStr(Fernet.generate_key().decode())
    given = production.model_copy(update={"encryption_key": key})
    with pytest.raises(SecretsRequired) as refused:
        given.require_secrets()
    assert "FAXFLOW_SESSION_SECRET" in refused.value.message
    assert "FAXFLOW_ENCRYPTION_KEY" not in refused.value.message


def test_production_with_keys_starts_without_key_files_or_banner(
    production: Settings,
) -> None:
    ready = production.model_copy(
        update={
            "encryption_key": SecretStr(Fernet.generate_key().decode()),
            "session_secret": SecretStr("s" * 40),
        }
    )
    engine = engine_for(ready.db_url)
    upgrade(engine)
    with TestClient(create_app(ready, engine=engine), base_url="http://127.0.0.1") as client:
        page = client.get("/login", headers={"accept": "text/html"})
        assert page.status_code == 200
        assert "Development mode" not in page.text
    engine.dispose()
    _no_key_files(ready)


def test_development_says_so_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAXFLOW_ENV", raising=False)
    settings = Settings(var_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'd.db'}")
    engine = engine_for(settings.db_url)
    upgrade(engine)
    with TestClient(create_app(settings, engine=engine), base_url="http://127.0.0.1") as client:
        page = client.get("/login", headers={"accept": "text/html"}).text
    engine.dispose()
    assert "Development mode" in page
    assert "FAXFLOW_SESSION_SECRET" in page


def test_crypto_uses_the_settings_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's settings hold key A; the process environment holds key B. What is stored
    and revealed must use A, never B (nor a key file)."""
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("FAXFLOW_ENCRYPTION_KEY", key_b)
    monkeypatch.setenv("FAXFLOW_VAR_DIR", str(tmp_path / "env-var"))
    get_settings.cache_clear()
    given = Settings(
        var_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'g.db'}",
        encryption_key=key_a,
    )
    engine = engine_for(given.db_url)
    upgrade(engine)
    result = form_result(
        5,
        FormType.MDHHS_DHS1171,
        status=Status.NEEDS_REVIEW,
        values={"applicant_ssn": "123456789"},
        fields={"applicant_ssn": field_result("123456789", 0.9, (1, 1, 9, 9))},
        template_pages=(4,),
    )
    load_document(engine, result, settings=given)
    assert reveal(engine, result.document_id, "applicant_ssn", actor="admin", settings=given) == (
        "123456789"
    )
    with engine.connect() as connection:
        token = connection.exec_driver_sql(
            "SELECT applicant_ssn FROM benefit_applications"
        ).scalar()
    assert Fernet(key_a.encode()).decrypt(token.encode()) == b"123456789"
    engine.dispose()
    get_settings.cache_clear()
