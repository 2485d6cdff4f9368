"""A form pack's counts (grouped by its ``aggregates.yaml``) and its records export, on
SQLite and PostgreSQL: trusted values only, rejected documents left out, corrections
counted, the same numbers in the view SQL users read, the CLI and the daily refresh."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from faxflow.cli import app
from faxflow.errors import ConfigError
from faxflow.model import FieldResult, Status
from faxflow.packs import check_pack
from faxflow.settings import Settings
from loaders.load import load_document
from loaders.pack_aggregates import pack_count_tables, pack_counts, pack_records, pack_tables
from loaders.pack_views import ensure_pack_views
from loaders.review import apply_correction, reject
from tests.builders import doc_id, japanese_fap_settings, pack_result, source_for

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FAP = "mi_fap_supplement"
HOUSING, UTILITIES, OTHER_STATE = (
    "anyone_pays_housing_expenses",
    "anyone_pays_utilities",
    "anyone_food_assistance_other_state",
)
NAME = "food_supplement_applicant_full_name_page_1"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(forms_dir=PROJECT_ROOT / "forms", var_dir=tmp_path / "var")


def _load(
    engine: Engine,
    settings: Settings,
    n: int,
    values: dict[str, Any],
    *,
    status: Status = Status.NEEDS_REVIEW,
    doubtful: tuple[str, ...] = (),
    day: int = 2,
    centre: str = "centre-a",
) -> str:
    """FAP supplement ``n`` with ``values``; the ``doubtful`` fields wait for a person."""
    result = pack_result(n, FAP, {NAME: f"Person {n}", **values}, status)
    result = result.model_copy(
        update={
            "fields": {
                name: FieldResult(value=value, confidence=0.9, needs_review=name in doubtful)
                for name, value in result.record.items()
            }
        }
    )
    source = source_for(result, centre=centre, received=datetime(2026, 11, day, 9, tzinfo=UTC))
    load_document(engine, result, source=source, settings=settings)
    return result.document_id


def test_counts_group_by_the_packs_fields_and_count_trusted_values(
    engine: Engine, settings: Settings
) -> None:
    yes_no = {HOUSING: "yes", UTILITIES: "no", OTHER_STATE: "no"}
    _load(engine, settings, 1, yes_no, status=Status.ACCEPTED)
    _load(engine, settings, 2, yes_no)
    # utilities read "yes" but waiting for a person: counts as unknown until decided
    waiting = _load(engine, settings, 3, {**yes_no, UTILITIES: "yes"}, doubtful=(UTILITIES,))
    rejected = _load(engine, settings, 4, yes_no)
    reject(engine, rejected, reviewer="ana", reason="not a FAP supplement")
    _load(engine, settings, 5, {**yes_no, HOUSING: "perhaps"}, day=3)  # not in the enum
    _load(engine, settings, 6, yes_no, centre="centre-b")
    pack = check_pack(PROJECT_ROOT / "forms" / FAP)[0]
    assert pack is not None

    def rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in frame.itertuples(index=False)]

    frame = pack_counts(engine, pack)
    assert frame.columns.tolist() == [
        "day",
        HOUSING,
        UTILITIES,
        OTHER_STATE,
        "documents",
        "accepted",
        "needs_review",
    ]
    assert rows(frame) == [
        (date(2026, 11, 2), "yes", "no", "no", 3, 1, 2),
        (date(2026, 11, 2), "yes", None, "no", 1, 0, 1),
        (date(2026, 11, 3), None, "no", "no", 1, 0, 1),
    ]
    assert rows(pack_counts(engine, pack, centres=["centre-b"])) == [
        (date(2026, 11, 2), "yes", "no", "no", 1, 0, 1)
    ]
    # a person's decision makes the value count: the correction is what is counted
    apply_correction(engine, waiting, UTILITIES, "yes", reviewer="ana", settings=settings)
    assert (date(2026, 11, 2), "yes", "yes", "no", 1, 0, 1) in rows(pack_counts(engine, pack))
    # SQL users read the same numbers from the view, one more key: the centre
    assert "form_mi_fap_supplement_counts" in ensure_pack_views(engine, settings)
    with engine.connect() as connection:
        total = connection.execute(
            sa.text("SELECT SUM(documents) FROM form_mi_fap_supplement_counts")
        ).scalar_one()
    assert total == 5
    assert list(pack_count_tables(settings)) == [
        "form_jp_covid19_notification_counts",
        "form_jp_special_cash_payment_counts",
        "form_mi_fap_supplement_counts",
    ]


def test_the_records_export_is_the_typed_view_without_rejected_documents(
    engine: Engine, settings: Settings
) -> None:
    kept = _load(engine, settings, 7, {UTILITIES: "no", "pays_utilities_heat": True})
    rejected = _load(engine, settings, 8, {UTILITIES: "yes"})
    reject(engine, rejected, reviewer="ana", reason="duplicate")
    pack = check_pack(PROJECT_ROOT / "forms" / FAP)[0]
    frame = pack_records(engine, pack)
    assert frame["document_id"].tolist() == [kept]
    assert frame.loc[0, NAME] == "Person 7"
    assert bool(frame.loc[0, "pays_utilities_heat"]) is True
    assert frame.columns[:2].tolist() == ["document_id", "status"]
    assert pack_records(engine, pack, centres=["centre-b"]).empty
    assert {"form_mi_fap_supplement_counts", "form_mi_fap_supplement"} <= set(pack_tables(settings))


def test_forms_check_refuses_counts_by_a_list_or_a_sensitive_field(tmp_path: Path) -> None:
    from tests.builders import pack_settings

    pack_settings(tmp_path, "household_support", renames={"zip": "applicant_ssn"})
    folder = tmp_path / "packs" / "household_support"
    (folder / "aggregates.yaml").write_text("group_by: [marital, applicant_ssn]\n")
    pack, problems = check_pack(folder)
    assert pack is None
    assert [(p.code, p.file, p.message) for p in problems] == [
        (
            "pack_bad_rules",
            "aggregates.yaml",
            "group_by applicant_ssn is sensitive (stored encrypted); counts may not show it",
        )
    ]
    schema = json.loads((folder / "schema.json").read_text())
    schema["properties"]["marital"] = {"type": "array", "items": {"type": "string"}}
    (folder / "schema.json").write_text(json.dumps(schema))
    (folder / "aggregates.yaml").write_text("group_by: [marital]\n")
    assert [p.message for p in check_pack(folder)[1]] == [
        "group_by marital is a list or object; group by fields with one value"
    ]


def test_export_and_daily_refresh_of_a_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``faxflow export --what form_<pack>_counts`` / ``form_<pack>`` (audited), and the
    daily refresh writes the counts beside the built-in aggregates, never the records."""
    from faxflow.flows import refresh_aggregates
    from loaders.db import engine_for, upgrade
    from loaders.tables import audit_events

    monkeypatch.setenv("FAXFLOW_FORMS_DIR", str(PROJECT_ROOT / "forms"))
    from faxflow.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    url = f"sqlite:///{tmp_path / 'packs.db'}"
    engine = engine_for(url)
    upgrade(engine)
    _load(engine, settings, 9, {HOUSING: "no", UTILITIES: "yes", OTHER_STATE: "no"})
    runner = CliRunner()
    out = tmp_path / "counts.csv"
    result = runner.invoke(
        app, ["export", "-w", "form_mi_fap_supplement_counts", "--db", url, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines() == [
        f"day,{HOUSING},{UTILITIES},{OTHER_STATE},documents,accepted,needs_review",
        "2026-11-02,no,yes,no,1,0,1",
    ]
    result = runner.invoke(app, ["export", "-w", "form_mi_fap_supplement", "--db", url, "-o", "-"])
    assert result.exit_code == 0, result.output
    assert "Person 9" in result.output
    with engine.connect() as connection:
        audit = connection.execute(sa.select(audit_events)).one()
    assert (audit.action, audit.detail) == ("export", "form_mi_fap_supplement: 1 rows")
    assert audit.actor.startswith("cli:")
    result = runner.invoke(app, ["export", "-w", "form_nothing", "--db", url])
    assert isinstance(result.exception, ConfigError)
    assert "form_mi_fap_supplement_counts" in result.exception.message
    engine.dispose()
    rows = refresh_aggregates(settings.model_copy(update={"database_url": url}))
    assert rows["form_mi_fap_supplement_counts"] == 1
    exports = settings.var_dir / "exports"
    assert (exports / "form_mi_fap_supplement_counts.csv").is_file()
    assert not (exports / "form_mi_fap_supplement.csv").exists()  # personal data stays out
    assert doc_id(9) not in (exports / "form_mi_fap_supplement_counts.csv").read_text()


def test_japanese_calendar_counts_carry_each_day_as_an_era_date(
    engine: Engine, tmp_path: Path
) -> None:
    settings = japanese_fap_settings(tmp_path)
    _load(engine, settings, 10, {HOUSING: "yes", UTILITIES: "no", OTHER_STATE: "no"}, day=7)
    pack = check_pack(tmp_path / "forms" / FAP)[0]
    assert pack is not None and pack.aggregates is not None
    frame = pack_counts(engine, pack)
    assert frame.columns[:2].tolist() == ["day", "day_japanese"]
    assert frame.loc[0, "day"] == date(2026, 11, 7)
    assert frame.loc[0, "day_japanese"] == "令和8年11月7日"


def test_export_bom_starts_the_csv_for_spreadsheets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from faxflow.settings import get_settings
    from loaders.db import engine_for, upgrade

    settings = japanese_fap_settings(tmp_path)
    monkeypatch.setenv("FAXFLOW_FORMS_DIR", str(tmp_path / "forms"))
    get_settings.cache_clear()
    url = f"sqlite:///{tmp_path / 'bom.db'}"
    engine = engine_for(url)
    upgrade(engine)
    _load(engine, settings, 11, {HOUSING: "no", UTILITIES: "yes", OTHER_STATE: "no"})
    engine.dispose()
    runner = CliRunner()
    what = ["export", "-w", "form_mi_fap_supplement_counts", "--db", url]
    plain, marked = tmp_path / "plain.csv", tmp_path / "marked.csv"
    for out, extra in ((plain, []), (marked, ["--bom"])):
        result = runner.invoke(app, [*what, "-o", str(out), *extra])
        assert result.exit_code == 0, result.output
    assert marked.read_bytes() == b"\xef\xbb\xbf" + plain.read_bytes()
    header, row = marked.read_text(encoding="utf-8-sig").splitlines()
    assert header.startswith("day,day_japanese,")
    assert row.startswith("2026-11-02,令和8年11月2日,")
    get_settings.cache_clear()
