"""Threshold calibration: precision target kept, as many documents accepted as possible."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_h
from hypothesis import strategies as st
from typer.testing import CliRunner

from faxflow.errors import ConfigError
from faxflow.model import RecordType
from faxflow.schemas import empty_record
from faxflow.settings import Settings, committed_thresholds
from validate.calibrate import DocumentSample, calibrate, load_samples, simulate

FIELDS = [
    ("onset_date", "date"),
    ("report_date_pui", "date"),
    ("sex", "choice"),
    ("died", "choice"),
]


def _synthetic(n: int, seed: int, *, blocked_every: int = 0) -> list[DocumentSample]:
    """Dates read below 0.7 are wrong half the time; everything else is right."""
    rng = np.random.default_rng(seed)
    docs = []
    for i in range(n):
        confidences = []
        wrong = 0
        for name, kind in FIELDS:
            conf = round(
                float(rng.uniform(0.4, 1.0) if kind == "date" else rng.uniform(0.85, 1.0)), 3
            )
            misread = kind == "date" and conf < 0.7 and rng.random() < 0.5
            confidences.append((name, kind, conf, not misread))
            wrong += misread
        docs.append(
            DocumentSample(
                stem=f"d{i}",
                form_type="cdc_pui_2020",
                profile="fax_fine" if i % 2 else "scan_grey",
                blocked=bool(blocked_every and i % blocked_every == 0),
                confidences=tuple(confidences),
                correct=len(FIELDS) - wrong,
                total=len(FIELDS),
            )
        )
    return docs


def test_calibration_keeps_the_target_and_accepts_the_safe_documents(settings: Settings) -> None:
    docs = _synthetic(300, seed=7, blocked_every=10)
    result = calibrate(docs, settings, target=0.995, min_kind_count=30, min_field_docs=10_000)
    assert result.meets_target
    assert result.overall.precision >= 0.995
    # Every unblocked document whose dates were all read at 0.7 or above is safe to accept;
    # the search must find at least those (it may also take a few with luckily-right dates).
    safe = sum(
        1
        for d in docs
        if not d.blocked and all(c >= 0.7 for _, k, c, _ in d.confidences if k == "date")
    )
    assert result.overall.accepted >= safe
    assert 0.6 < result.thresholds["date"] <= 0.7 + 1e-9
    assert set(result.thresholds) == {"date", "choice"}


def test_blocked_documents_are_never_accepted(settings: Settings) -> None:
    docs = _synthetic(200, seed=3, blocked_every=2)
    result = calibrate(docs, settings, min_kind_count=10, min_field_docs=10_000)
    accepted = simulate(docs, result.thresholds, settings)
    assert not any(a and d.blocked for a, d in zip(accepted, docs, strict=True))


def test_simulation_with_the_chosen_thresholds_reproduces_the_numbers(settings: Settings) -> None:
    docs = _synthetic(250, seed=11)
    result = calibrate(docs, settings, min_kind_count=10, min_field_docs=50)
    accepted = simulate(docs, result.thresholds, settings)
    assert int(accepted.sum()) == result.overall.accepted
    fields = sum(d.total for d, a in zip(docs, accepted, strict=True) if a)
    assert fields == result.overall.fields


def test_enough_documents_give_per_field_thresholds(settings: Settings) -> None:
    docs = _synthetic(120, seed=5)
    per_field = calibrate(docs, settings, min_kind_count=10, min_field_docs=100)
    assert {"onset_date", "report_date_pui", "sex", "died"} == set(per_field.thresholds)
    per_kind = calibrate(docs, settings, min_kind_count=10, min_field_docs=121)
    assert set(per_kind.thresholds) == {"date", "choice"}


@pytest.mark.parametrize("configured", [{}, {"date": 0.75, "phone": 0.9}])
def test_small_samples_leave_thresholds_unchanged(
    settings: Settings, configured: dict[str, float]
) -> None:
    current = settings.model_copy(update={"confidence_thresholds": configured})
    docs = _synthetic(5, seed=1)  # 10 date and 10 choice observations
    result = calibrate(docs, current, min_kind_count=30)
    assert result.thresholds == {k: v for k, v in configured.items() if k == "date"}
    assert set(result.untuned) == {"date", "choice"}
    accepted = simulate(docs, result.thresholds, current)
    assert result.overall.accepted == int(accepted.sum())


def test_groups_are_reported_per_form_and_profile(settings: Settings) -> None:
    result = calibrate(_synthetic(100, seed=2), settings, min_kind_count=10)
    labels = [g.label for g in result.groups]
    assert labels == ["cdc_pui_2020", "cdc_pui_2020 / fax_fine", "cdc_pui_2020 / scan_grey"]
    assert sum(g.documents for g in result.groups[1:]) == result.overall.documents


def test_no_documents_is_a_config_error(settings: Settings) -> None:
    with pytest.raises(ConfigError):
        calibrate([], settings)


# --- from files, through the CLI --------------------------------------------------------


def _write_set(root: Path, n: int) -> tuple[Path, Path]:
    """Truth and result files like `samples generate` and `process --out` write."""
    truth_dir, results_dir = root / "truth", root / "results"
    truth_dir.mkdir(parents=True)
    results_dir.mkdir()
    rng = np.random.default_rng(4)
    for i in range(n):
        record = empty_record(RecordType.INFECTION_REPORT)
        record.update(patient_last_name="Doe", date_of_birth="1970-01-01", onset_date="2020-03-01")
        stem = f"cdc_pui_2020-fax_fine-{i:04d}"
        truth = {
            "form_type": "cdc_pui_2020",
            "record_type": "infection_report",
            "profile": "fax_fine",
            "record": record,
        }
        (truth_dir / f"{stem}.json").write_text(json.dumps(truth))
        read = dict(record)
        onset_conf = float(rng.uniform(0.5, 1.0))
        if onset_conf < 0.75:
            read["onset_date"] = "2020-08-01"  # misread
        fields: dict[str, Any] = {
            name: {"value": value, "confidence": 0.95} for name, value in read.items()
        }
        fields["onset_date"]["confidence"] = onset_conf
        result = {
            "form_type": "cdc_pui_2020",
            "status": "needs_review",
            "record": read,
            "fields": fields,
            "issues": [{"field": "onset_date", "code": "low_confidence", "message": "m"}],
        }
        (results_dir / f"{stem}.json").write_text(json.dumps(result))
    return results_dir, truth_dir


def test_load_samples_scores_with_the_shared_scorer(tmp_path: Path, settings: Settings) -> None:
    pytest.importorskip("samples.evaluate")
    results_dir, truth_dir = _write_set(tmp_path, 12)
    (results_dir / f"{sorted(p.stem for p in truth_dir.glob('*.json'))[0]}.json").unlink()
    docs, missing = load_samples(results_dir, truth_dir, settings)
    assert len(docs) == 11 and len(missing) == 1
    assert all(not d.blocked for d in docs)  # low_confidence issues are recomputed, not kept
    kinds = {k for d in docs for n, k, _, _ in d.confidences if n == "onset_date"}
    assert kinds == {"date"}  # from the CDC template
    assert all(d.total == len(empty_record(RecordType.INFECTION_REPORT)) for d in docs)


def test_calibrate_command_prints_and_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("samples.evaluate")
    from faxflow.cli import app
    from faxflow.settings import get_settings

    results_dir, truth_dir = _write_set(tmp_path, 60)
    target_file = tmp_path / "thresholds.json"
    monkeypatch.setattr("validate.cli.THRESHOLDS_FILE", target_file)
    monkeypatch.setenv("FAXFLOW_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        run = CliRunner().invoke(
            app,
            [
                "calibrate",
                str(results_dir),
                "--truth",
                str(truth_dir),
                "--min-count",
                "20",
                "--min-field-docs",
                "1000",
                "--per-document",
                "--write",
            ],
        )
    finally:
        get_settings.cache_clear()
    assert run.exit_code == 0, run.output
    assert "cdc_pui_2020 / fax_fine" in run.output and "precision" in run.output
    stored = committed_thresholds(target_file)
    assert "date" in stored, run.output
    assert stored["date"] <= 0.75  # every onset read at 0.75 or above is right
    numbers = json.loads(target_file.read_text())["calibration"]["overall"]
    assert numbers["precision"] >= 0.995
    safe = sum(
        json.loads(p.read_text())["fields"]["onset_date"]["confidence"] >= 0.75
        for p in results_dir.glob("*.json")
    )
    assert numbers["accepted"] >= safe


def test_settings_default_comes_from_the_committed_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"thresholds": {"date": 0.91, "bad": "x"}}))
    assert committed_thresholds(path) == {"date": 0.91}
    path.write_text("{not json")
    assert committed_thresholds(path) == {}
    assert committed_thresholds(tmp_path / "absent.json") == {}
    monkeypatch.setenv("FAXFLOW_CONFIDENCE_THRESHOLDS", '{"phone": 0.97}')
    assert Settings().confidence_thresholds == {"phone": 0.97}
    monkeypatch.delenv("FAXFLOW_CONFIDENCE_THRESHOLDS")
    assert Settings().confidence_thresholds == committed_thresholds()


@settings_h(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 80),
    target=st.sampled_from([0.9, 0.98, 0.995, 1.0]),
)
def test_routing_with_calibrated_thresholds_keeps_the_target(
    settings: Settings, seed: int, n: int, target: float
) -> None:
    """Whatever the data, the thresholds written route documents so that the accepted ones
    meet the target (or none is accepted)."""
    docs = _synthetic(n, seed=seed, blocked_every=7)
    result = calibrate(docs, settings, target=target, min_kind_count=5, min_field_docs=30)
    accepted = simulate(docs, result.thresholds, settings)
    fields = sum(d.total for d, a in zip(docs, accepted, strict=True) if a)
    correct = sum(d.correct for d, a in zip(docs, accepted, strict=True) if a)
    assert fields == 0 or correct / fields >= target
    assert int(accepted.sum()) == result.overall.accepted


def test_calibrate_command_explains_itself_and_refuses_missing_folders(tmp_path: Path) -> None:
    import subprocess
    import sys

    from faxflow.cli import app

    helped = CliRunner().invoke(app, ["calibrate", "--help"])
    assert helped.exit_code == 0
    assert "--target" in helped.output and "--write" in helped.output
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "faxflow.cli",
            "calibrate",
            str(tmp_path / "none"),
            "--truth",
            str(tmp_path / "none"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2  # ConfigError -> bad arguments, not a traceback
    assert "E_CONFIG" in run.stderr and "Traceback" not in run.stderr


def test_a_bucket_no_accepted_document_carries_never_auto_accepts(settings: Settings) -> None:
    """A second form whose documents are all blocked: its fields were always right, but no
    accepted document ever tested them, so they must not be waved through later."""
    docs = _synthetic(200, seed=3)
    for i in range(60):
        docs.append(
            DocumentSample(
                stem=f"dhs{i}",
                form_type="mdhhs_dhs1171",
                profile="fax_fine",
                blocked=True,
                confidences=(("applicant_ssn", "ssn", 0.99, True),),
                correct=1,
                total=1,
            )
        )
    result = calibrate(docs, settings, target=0.995, min_kind_count=30, min_field_docs=10_000)
    assert result.overall.accepted > 0
    assert result.thresholds["ssn"] > 1.0
    assert result.thresholds["date"] < 1.0


def test_calibrate_command_defaults_to_field_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("samples.evaluate")
    results_dir, truth_dir = _write_set(tmp_path, 60)
    target_file = tmp_path / "thresholds.json"
    args = ["calibrate", str(results_dir), "--truth", str(truth_dir), "--bound", "point"]
    run = _invoke_calibrate(tmp_path, monkeypatch, target_file, [*args, "--write"])
    assert run.exit_code == 0, run.output
    assert "field-level routing" in run.output and "precision" in run.output
    stored = committed_thresholds(target_file)
    # Its own bucket, point bound: lowered in bands of 30 labels to near the misreads.
    assert 0.74 <= stored["onset_date"] <= 0.8
    calibration = json.loads(target_file.read_text())["calibration"]
    assert calibration["level"] == "field" and calibration["overall"]["precision"] >= 0.995


def _invoke_calibrate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target_file: Path, args: list[str]
) -> Any:
    from faxflow.cli import app
    from faxflow.settings import get_settings

    monkeypatch.setattr("validate.cli.THRESHOLDS_FILE", target_file)
    monkeypatch.setenv("FAXFLOW_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, args)
    finally:
        get_settings.cache_clear()
