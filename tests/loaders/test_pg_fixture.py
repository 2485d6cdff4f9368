"""The throwaway-PostgreSQL plugin skips locally but fails in CI when the server is absent."""

from __future__ import annotations

import pytest

from tests import pg_fixture


def test_unavailable_server_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        pg_fixture._unavailable("no initdb")


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_unavailable_server_fails_in_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="must run in CI"):
        pg_fixture._unavailable("no initdb")


@pytest.mark.postgres
def test_the_server_is_a_private_loopback_postgresql(pg_url: str) -> None:
    import sqlalchemy as sa

    assert pg_url.startswith("postgresql+psycopg://") and "@127.0.0.1:" in pg_url
    engine = sa.create_engine(pg_url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SHOW listen_addresses")).scalar() == "127.0.0.1"
        assert connection.execute(sa.text("SELECT current_database()")).scalar() == "faxflow"
    engine.dispose()
