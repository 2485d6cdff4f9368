"""`faxflow export` and `faxflow db` through the real command line app."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from faxflow.cli import app, main
from faxflow.errors import ConfigError
from loaders.aggregates import AGGREGATES
from loaders.db import current_revision, engine_for, head_revision, upgrade
from loaders.load import load_document
from tests.loaders.conftest import infection_result

runner = CliRunner()


@pytest.fixture
def loaded_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = engine_for(url)
    upgrade(engine)
    load_document(
        engine,
        infection_result(1, onset_date="2020-03-01", county_of_residence="Kent", case_status="pui"),
    )
    load_document(
        engine,
        infection_result(2, onset_date="2020-03-01", county_of_residence="Kent", case_status="pui"),
    )
    engine.dispose()
    return url


def test_export_csv_and_parquet(loaded_db: str, tmp_path: Path) -> None:
    csv_path = tmp_path / "out" / "curve.csv"
    result = runner.invoke(
        app, ["export", "--what", "epi_curve", "--db", loaded_db, "--out", str(csv_path)]
    )
    assert result.exit_code == 0, result.output
    assert csv_path.read_text().splitlines() == [
        "onset_date,county_of_residence,case_status,cases",
        "2020-03-01,Kent,pui,2",
    ]
    parquet_path = tmp_path / "curve.parquet"
    result = runner.invoke(
        app,
        ["export", "-w", "epi_curve", "-f", "parquet", "--db", loaded_db, "-o", str(parquet_path)],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(parquet_path)
    assert frame["cases"].tolist() == [2]
    assert str(frame["onset_date"].iloc[0]) == "2020-03-01"


def test_export_default_path_is_under_var(loaded_db: str, isolated_settings: Path) -> None:
    result = runner.invoke(app, ["export", "--what", "severity", "--db", loaded_db])
    assert result.exit_code == 0, result.output
    assert (isolated_settings / "exports" / "severity.csv").exists()


def test_export_lists_the_names_in_help_and_on_a_wrong_name(loaded_db: str) -> None:
    help_text = runner.invoke(app, ["export", "--help"], terminal_width=200).output
    for name in AGGREGATES:
        assert name in help_text
    result = runner.invoke(app, ["export", "--what", "cases_by_moon", "--db", loaded_db])
    assert isinstance(result.exception, ConfigError)
    for name in AGGREGATES:
        assert name in result.exception.message


def test_db_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--db", url]).exit_code == 0
    assert current_revision(url) == head_revision()
    current = runner.invoke(app, ["db", "current", "--db", url])
    assert f"migration {head_revision()}" in current.output and "up to date" in current.output
    assert runner.invoke(app, ["db", "downgrade", "base", "--db", url, "--yes"]).exit_code == 0
    assert current_revision(url) is None
    refused = runner.invoke(app, ["db", "downgrade", "base", "--db", url], input="n\n")
    assert refused.exit_code != 0
    bad = runner.invoke(app, ["db", "upgrade", "nosuch", "--db", url])
    assert isinstance(bad.exception, ConfigError)


def test_export_exit_code_when_the_database_is_down(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the real entry point: exit 5, the host named, the password never shown."""
    url = "postgresql+psycopg://u:topsecret@127.0.0.1:9/faxflow"
    monkeypatch.setattr(sys, "argv", ["faxflow", "export", "--what", "epi_curve", "--db", url])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 5
    output = capsys.readouterr()
    assert "127.0.0.1:9" in output.err.replace("\n", " ")
    assert "topsecret" not in output.out + output.err
