from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from extract.template import CHECKBOX_KINDS
from faxflow.settings import BLANK_MARKS, BLANK_WRITING, MARK_KINDS, Settings, routing_kind


def test_defaults_live_under_var(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    assert settings.db_url == f"sqlite:///{(tmp_path / 'faxflow.db').resolve()}"
    assert settings.intake_dir == tmp_path / "intake"


def test_database_url_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FAXFLOW_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1:5433/ff")
    assert Settings(var_dir=tmp_path).db_url == "postgresql+psycopg://u@127.0.0.1:5433/ff"


def test_settings_are_frozen_and_strict(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    with pytest.raises(ValidationError):
        settings.stable_seconds = 1  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Settings(var_dir=tmp_path, no_such_setting=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(var_dir=tmp_path, tesseract_lang="eng; rm -rf /")


def test_threshold_lookup_by_name_then_kind_then_default(tmp_path: Path) -> None:
    settings = Settings(
        var_dir=tmp_path,
        default_confidence_threshold=0.7,
        confidence_thresholds={"date": 0.9, "date_of_birth": 0.95},
    )
    assert settings.threshold_for("date_of_birth", "date") == 0.95
    assert settings.threshold_for("onset_date", "date") == 0.9
    assert settings.threshold_for("patient_first_name", "name") == 0.7


def test_a_reading_of_nothing_is_routed_by_its_blank_bucket(tmp_path: Path) -> None:
    assert routing_kind("date", None) == BLANK_WRITING
    assert routing_kind("name", "") == BLANK_WRITING
    assert routing_kind("choice", None) == BLANK_MARKS
    assert routing_kind("multi_choice", []) == BLANK_MARKS
    assert routing_kind("checkbox", False) == BLANK_MARKS
    assert routing_kind("checkbox", True) == "checkbox"
    assert routing_kind("choice", "no") == "choice"
    assert routing_kind("integer", 0) == "integer"  # zero was written: a value
    settings = Settings(
        var_dir=tmp_path,
        default_confidence_threshold=0.7,
        confidence_thresholds={"date": 0.9, "date_of_birth": 0.95, BLANK_MARKS: 1.01},
    )
    # The field's own and its kind's thresholds were learned on values that were read.
    # No blank_writing bucket: never accepted, neither by the field's 0.95 nor the default.
    assert settings.threshold_for("date_of_birth", routing_kind("date", None)) == 1.01
    assert settings.threshold_for("sex", routing_kind("choice", None)) == 1.01
    assert settings.threshold_for("date_of_birth", routing_kind("date", "2020-01-02")) == 0.95


def test_mark_kinds_are_the_extractors_checkbox_kinds() -> None:
    assert {str(kind) for kind in CHECKBOX_KINDS} == MARK_KINDS


def test_a_kind_calibration_never_measured_goes_to_a_person(tmp_path: Path) -> None:
    """Calibrated thresholds (here the learned file) hold every kind they measured; a kind
    they lack (a Japanese pack's postal code) is never auto-accepted at the flat default,
    while thresholds set by hand keep the default for the kinds they do not name."""
    learned = tmp_path / "thresholds.json"
    learned.write_text(json.dumps({"thresholds": {"date": 0.97, "blank_writing": 0.94}}))
    calibrated = Settings(var_dir=tmp_path, learned_thresholds_file=learned)
    assert calibrated.threshold_for("onset_date", "date") == 0.97
    assert calibrated.threshold_for("patient_postal", "jp_postal") == 1.01
    by_hand = Settings(var_dir=tmp_path, confidence_thresholds={"date": 0.97})
    assert by_hand.threshold_for("patient_postal", "jp_postal") == 0.8
