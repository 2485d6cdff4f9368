"""``make bench``'s form-pack section: generated copies of each pack that is not built in,
processed and scored; a clean skip when there is no pack."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from faxflow.bench_packs import bench_packs, pack_lines
from faxflow.settings import PROJECT_ROOT, Settings, get_settings


def _settings(tmp_path: Path, forms: Path | None) -> Settings:
    return Settings(
        forms_dir=forms, var_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'b.db'}"
    )


def test_no_pack_or_no_copies_is_a_skipped_section(tmp_path: Path) -> None:
    empty = tmp_path / "forms"
    empty.mkdir()
    section = bench_packs(tmp_path, _settings(tmp_path, empty), count=3, seed=1, workers=1)
    assert section == {"skipped": f"no form packs under {empty}"}
    assert pack_lines(section)[-1] == f"Skipped: no form packs under {empty}."
    missing = _settings(tmp_path, tmp_path / "nowhere")
    assert (
        "is not a folder" in bench_packs(tmp_path, missing, count=3, seed=1, workers=1)["skipped"]
    )
    forms = _settings(tmp_path, PROJECT_ROOT / "forms")
    assert bench_packs(tmp_path, forms, count=0, seed=1, workers=1) == {
        "skipped": "BENCH_PACK_COUNT is 0"
    }
    assert not (tmp_path / "packs").exists()
    assert pack_lines(None) == []


@pytest.mark.slow
def test_each_pack_is_generated_processed_and_scored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN the repository's forms/ folder WHEN the section runs with 2 copies THEN the
    FAP pack's copies are classified and scored, and the environment is as it was."""
    monkeypatch.setenv("FAXFLOW_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")
    monkeypatch.delenv("FAXFLOW_FORMS_DIR", raising=False)
    get_settings.cache_clear()
    section = bench_packs(tmp_path, _settings(tmp_path, None), count=2, seed=3, workers=1)
    assert "FAXFLOW_FORMS_DIR" not in os.environ
    assert section["folder"] == str(PROJECT_ROOT / "forms")
    fap = section["packs"]["mi_fap_supplement"]
    assert fap["documents"] == 2 and fap["form_type_accuracy"]["correct"] == 2
    assert fap["field_accuracy"]["total"] == 78
    assert fap["field_accuracy"]["accuracy"] >= 0.8
    assert set(fap["by_profile"]) == {"fax_fine", "fax_standard"}
    table = "\n".join(pack_lines(section))
    assert "| mi_fap_supplement | 2 | 100.0% |" in table


def test_era_dates_count_where_their_digits_were_read(tmp_path: Path) -> None:
    """GIVEN era-date readings WHEN scored THEN a date read with its digits in the right era
    is right, the same digits in another era wrong, misread digits not counted; without a
    raw text the value's own era digits decide; an era's first year written 元 is year 1."""
    from faxflow.bench_packs import era_date_scores
    from faxflow.packs import load_pack
    from tests.samples.jp_pack import NAME, make_japanese_pack

    pack = load_pack(make_japanese_pack(tmp_path / "packs"))
    truths, results = tmp_path / "truth", tmp_path / "results"
    truths.mkdir()
    results.mkdir()
    blank = {name: None for name in pack.schema["properties"]}
    cases = {  # stem: (truth birth date, read value, raw text or None)
        "right": ("2021-04-05", "2021-04-05", "3 年 4 月 5 日"),
        "wrong_era": ("2021-04-05", "1991-04-05", "3 年 4 月 5 日"),
        "misread": ("2021-04-05", "2021-04-06", "3 年 4 月 6 日"),
        "no_raw_right": ("1990-01-02", "1990-01-02", None),
        "no_raw_wrong_era": ("1990-01-02", "1927-01-02", None),  # showa 2 for heisei 2
        "first_year": ("2019-05-07", "2019-05-07", "元 年 5 月 7 日"),  # 令和元年, as written
    }
    for stem, (want, have, raw) in cases.items():
        truth = {"form_type": NAME, "record_type": NAME, "record": {**blank, "birth_date": want}}
        (truths / f"{stem}.json").write_text(json.dumps(truth))
        fields = {} if raw is None else {"birth_date": {"value": have, "raw_text": raw}}
        result = {"form_type": NAME, "record": {"birth_date": have}, "fields": fields}
        (results / f"{stem}.json").write_text(json.dumps(result))
    assert era_date_scores(pack, results, truths).as_dict() == {
        "correct": 3,
        "total": 5,
        "accuracy": 0.6,
    }


def test_japanese_rows_are_reported_per_split_writing_and_field() -> None:
    run = {
        "documents": 2,
        "pages": 2,
        "seconds": 6.0,
        "field_accuracy": {"correct": 9, "total": 10, "accuracy": 0.9},
        "by_writing": {"typed": {"correct": 5, "total": 5, "accuracy": 1.0}},
        "per_field": {"patient_name": {"correct": 1, "total": 2, "accuracy": 0.5}},
        "era_dates": {"correct": 1, "total": 1, "accuracy": 1.0},
    }
    row = {
        "title": "t",
        "japanese": True,
        "documents": 2,
        "form_type_accuracy": {"correct": 2, "total": 2, "accuracy": 1.0},
        "field_accuracy": run["field_accuracy"],
        "text_accuracy": run["field_accuracy"],
        "checkbox_accuracy": {"correct": 0, "total": 0, "accuracy": None},
        "confident_precision": {"correct": 0, "total": 0, "accuracy": None},
        "status_counts": {"accepted": 0},
        "splits": {"locked": run, "tune": run},
    }
    section = {
        "folder": "forms",
        "count": 2,
        "japanese_count": 2,
        "seed": 1,
        "packs": {"jp_x": row},
        "japanese_page_cost": {"japanese": 3.0, "english": 1.0, "ratio": 3.0, "target": 2.0},
    }
    text = "\n".join(pack_lines(section))
    assert "| jp_x | locked | 2 | 90.0% (9 of 10) | 100.0% (5 of 5) | — | 100.0% (1 of 1) |" in text
    assert "3.00x (target ≤ 2x, missed)" in text
    assert "| patient_name | 50.0% (1 of 2) | 50.0% (1 of 2) |" in text


def test_the_section_runs_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m faxflow.bench_packs`` prints the section's markdown (and its JSON)."""
    from faxflow.bench_packs import main

    monkeypatch.setenv("FAXFLOW_VAR_DIR", str(tmp_path / "var"))  # main points it elsewhere
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    empty = tmp_path / "forms"
    empty.mkdir()
    assert main(["--forms", str(empty), "--json", str(tmp_path / "s.json")]) == 0
    assert f"Skipped: no form packs under {empty}." in capsys.readouterr().out
    assert json.loads((tmp_path / "s.json").read_text()) == {
        "skipped": f"no form packs under {empty}"
    }
    get_settings.cache_clear()


@pytest.mark.slow
def test_a_japanese_pack_is_measured_on_both_splits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a Japanese pack alone WHEN the section runs with one copy per split THEN both
    splits are generated, read and scored, by writing, per field and for era dates."""
    from tests.samples.jp_pack import NAME, make_japanese_pack

    monkeypatch.setenv("FAXFLOW_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")
    make_japanese_pack(tmp_path / "forms")
    section = bench_packs(
        tmp_path, _settings(tmp_path, tmp_path / "forms"), count=1, seed=3, workers=1,
        japanese_count=1,
    )  # fmt: skip
    row = section["packs"][NAME]
    assert row["japanese"] and set(row["splits"]) == {"locked", "tune"}
    for run in row["splits"].values():
        assert run["documents"] == 1 and run["field_accuracy"]["total"] == 14
        assert sum(w["total"] for w in run["by_writing"].values()) == 14
        assert (
            set(run["per_field"]) == {s for s in run["per_field"]} and len(run["per_field"]) == 14
        )
        assert run["era_dates"]["total"] <= 3
    assert section["japanese_page_cost"]["english"] is None  # no English pack in the run
    assert "| jp_test_notice | tune | 1 |" in "\n".join(pack_lines(section))
