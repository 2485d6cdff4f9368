"""``make bench``'s form-pack section: generated copies of each pack that is not built in,
processed and scored; a clean skip when there is no pack."""

from __future__ import annotations

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
