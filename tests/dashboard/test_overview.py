"""The overview's form-pack charts: documents per day and per counted field, titled from
the pack's schema, with the Japanese calendar in the CSV when the pack counts that way."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from dashboard.overview import build_overview, chart_csv, pack_charts
from faxflow.model import Status
from faxflow.settings import Settings
from loaders.db import engine_for, upgrade
from loaders.load import load_document
from tests.builders import japanese_fap_settings, pack_result, source_for

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FAP = "mi_fap_supplement"
HOUSING = "anyone_pays_housing_expenses"


def _settings(tmp_path: Path, *, japanese: bool) -> Settings:
    if japanese:
        return japanese_fap_settings(tmp_path)
    shutil.copytree(PROJECT_ROOT / "forms" / FAP, tmp_path / "forms" / FAP)
    return Settings(forms_dir=tmp_path / "forms", var_dir=tmp_path / "var")


def _load(tmp_path: Path, settings: Settings, answers: list[str]) -> Engine:
    engine = engine_for(f"sqlite:///{tmp_path / 'overview.db'}")
    upgrade(engine)
    for n, answer in enumerate(answers, start=1):
        result = pack_result(n, FAP, {HOUSING: answer}, Status.ACCEPTED)
        received = datetime(2026, 11, 1 + n % 2, 9, tzinfo=UTC)
        load_document(
            engine,
            result,
            source=source_for(result, centre="centre-a", received=received),
            settings=settings,
        )
    return engine


def test_a_pack_with_aggregates_gets_a_chart_per_day_and_per_counted_field(tmp_path: Path) -> None:
    settings = _settings(tmp_path, japanese=True)
    engine = _load(tmp_path, settings, ["yes", "yes", "no"])
    names = [chart.name for chart in pack_charts(settings)]
    assert names[0] == f"{FAP}_per_day"
    assert f"{FAP}_by_{HOUSING}" in names
    overview = build_overview(engine, settings=settings)
    drawn = {chart.name: chart for chart in overview.charts}
    assert "住居費の支払い" in drawn[f"{FAP}_by_{HOUSING}"].title
    assert "Food Assistance" in drawn[f"{FAP}_per_day"].title
    by_answer = chart_csv(engine, f"{FAP}_by_{HOUSING}", actor="analyst", settings=settings)
    rows = list(csv.DictReader(io.StringIO(by_answer)))
    # answers counted under their schema titles (x-enum-titles)
    assert {r[HOUSING]: int(r["documents"]) for r in rows} == {"はい": 2, "いいえ": 1}
    per_day = chart_csv(engine, f"{FAP}_per_day", actor="analyst", settings=settings)
    days = list(csv.DictReader(io.StringIO(per_day)))
    assert [(d["day"], d["day (Japanese calendar)"], d["documents"]) for d in days] == [
        ("2026-11-01", "令和8年11月1日", "1"),
        ("2026-11-02", "令和8年11月2日", "2"),
    ]


def test_without_the_japanese_calendar_the_csv_has_iso_days_only(tmp_path: Path) -> None:
    settings = _settings(tmp_path, japanese=False)
    engine = _load(tmp_path, settings, ["yes"])
    per_day = chart_csv(engine, f"{FAP}_per_day", actor="analyst", settings=settings)
    assert per_day.splitlines()[0] == "day,accepted,needs_review,documents"


def test_the_overview_without_settings_draws_the_built_in_charts_only(tmp_path: Path) -> None:
    settings = _settings(tmp_path, japanese=False)
    engine = _load(tmp_path, settings, ["yes"])
    charts = [chart.name for chart in build_overview(engine).charts]
    assert not [name for name in charts if name.startswith(FAP)]
