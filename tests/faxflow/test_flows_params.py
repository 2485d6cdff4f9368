"""The reprocess DAG's parameter choices, made by ``faxflow.flows`` from the pack
registry (the DAG file only wires them; ``tests/dags`` checks the parsed DAG)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from faxflow.flows import form_type_choices
from faxflow.packs import pack_names
from faxflow.settings import Settings
from tests.builders import pack_settings

BUILT_IN = ["cdc_pui_2020", "mdhhs_dhs1171"]


def test_every_pack_is_a_form_type_choice(tmp_path: Path) -> None:
    settings = pack_settings(tmp_path, "household_support", renames={})
    (tmp_path / "packs" / "Not_A_Pack").mkdir()
    (tmp_path / "packs" / "Not_A_Pack" / "template.yaml").write_text("{}\n")
    assert pack_names(settings) == [*BUILT_IN, "household_support"]
    assert form_type_choices(settings) == [None, *BUILT_IN, "household_support", "unknown"]
    assert form_type_choices(Settings(forms_dir=None)) == [None, *BUILT_IN, "unknown"]


def test_a_missing_forms_folder_costs_its_choices_not_the_dag(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="faxflow.flows"):
        choices = form_type_choices(Settings(forms_dir=tmp_path / "nowhere"))
    assert choices == [None, *BUILT_IN, "unknown"]
    assert "built-in forms only" in caplog.text
