"""Threat: OCR'd text from a fax runs as a formula in an analyst's spreadsheet (OWASP CSV
injection): a county written as ``=HYPERLINK(...)`` went out unescaped in every export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from dashboard.overview import chart_csv
from faxflow.cli import app as cli_app
from faxflow.flows import refresh_aggregates
from faxflow.model import FormType, Status
from faxflow.settings import Settings, get_settings
from loaders.db import engine_for, upgrade
from loaders.load import load_document
from tests.builders import field_result, form_result, source_for

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-3+4", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("FAXFLOW_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FAXFLOW_ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("FAXFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'f.db'}")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = engine_for(settings.db_url)
    upgrade(engine)
    for n, county in enumerate(FORMULAS, start=1):
        result = form_result(
            n,
            FormType.MDHHS_DHS1171,
            status=Status.ACCEPTED,
            values={"residential_county": county, "applying_food_assistance": True},
            fields={"residential_county": field_result(county, 0.99, (1, 1, 9, 9))},
            template_pages=(4,),
        )
        received = datetime(2026, 11, 1, tzinfo=UTC)
        load_document(engine, result, source=source_for(result, centre="c1", received=received))
    yield engine
    engine.dispose()


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def _assert_escaped(text: str) -> None:
    cells = _cells(text)
    for formula in FORMULAS:
        assert formula not in cells, f"{formula!r} left as is"
    # (the loader trims the tab and CR away; what is left is escaped the same way)
    assert "'" + FORMULAS[0] in cells and "'@SUM(A1)" in cells and "'-3+4" in cells
    leading = [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert not leading


def test_cli_export_escapes_formula_cells(engine: Engine, settings: Settings) -> None:
    out = settings.var_dir / "benefits.csv"
    result = CliRunner().invoke(
        cli_app, ["export", "--what", "benefits_by_county", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    _assert_escaped(out.read_bytes().decode("utf-8"))
    stdout = CliRunner().invoke(cli_app, ["export", "--what", "benefits_by_county", "--out", "-"])
    _assert_escaped(stdout.stdout)


def test_daily_export_task_escapes_formula_cells(engine: Engine, settings: Settings) -> None:
    refresh_aggregates(settings)
    _assert_escaped(
        (settings.var_dir / "exports" / "benefits_by_county.csv").read_bytes().decode("utf-8")
    )


def test_dashboard_csv_download_escapes_formula_cells(engine: Engine) -> None:
    _assert_escaped(chart_csv(engine, "applications_per_county", actor="analyst"))


def test_numbers_and_plain_text_are_left_alone() -> None:
    from loaders.exports import escape_cell

    assert escape_cell(-3) == -3
    assert escape_cell("Wayne") == "Wayne"
    assert escape_cell("O'Brien-Smith") == "O'Brien-Smith"
