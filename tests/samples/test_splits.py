"""The tune / locked split: written down once, deterministic, and disjoint in fonts, name
locales and seeds, while both splits hold every class of style."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from faxflow.errors import ConfigError
from faxflow.model import FormType, RecordType
from faxflow.schemas import schema_errors
from samples.generate import SampleSpec, generate_document, plan
from samples.splits import (
    CLASSIC,
    HAND_PRINTED,
    MARK_STYLES,
    SPLITS_FILE,
    TYPED,
    draw_style,
    get_split,
    load_splits,
)

TYPED_PACKAGES = {"fonts-dejavu-core", "fonts-liberation", "fonts-freefont-ttf"}
HAND_PACKAGES = {"fonts-bwht", "fonts-breip", "fonts-humor-sans"}


def _styles(split: str, count: int = 300) -> list:
    return [draw_style(get_split(split), np.random.default_rng([7, i])) for i in range(count)]


def test_the_split_is_deterministic() -> None:
    assert plan(6, 3, split="locked") == plan(6, 3, split="locked")
    assert _styles("tune", 20) == _styles("tune", 20)
    spec = plan(1, 3, split="locked")[0]
    assert spec.split == "locked" and spec.seed == get_split("locked").document_seed(3)


def test_the_splits_share_no_font_face_locale_or_seed() -> None:
    tune, locked = get_split("tune"), get_split("locked")
    assert not set(tune.spec.typed_fonts) & set(locked.spec.typed_fonts)
    assert not set(tune.spec.hand_fonts) & set(locked.spec.hand_fonts)
    assert not set(tune.spec.name_locales) & set(locked.spec.name_locales)
    tune_seeds, locked_seeds = tune.seed_range(), locked.seed_range()
    assert tune_seeds.stop <= locked_seeds.start or locked_seeds.stop <= tune_seeds.start
    # The classic generator's seeds (the committed set's 1, the benches' 2026xxxx) are in
    # neither range, and every run seed lands inside its split's own range.
    for seed in (0, 1, 20261202, tune.seed_span - 1):
        assert seed not in tune_seeds and seed not in locked_seeds
        assert tune.document_seed(seed) in tune_seeds
        assert locked.document_seed(seed) in locked_seeds
    tune_faces = {Path(s.font).stem for s in _styles("tune")}
    locked_faces = {Path(s.font).stem for s in _styles("locked")}
    assert tune_faces and locked_faces and not tune_faces & locked_faces


def test_a_seed_outside_the_span_and_an_unknown_split_are_refused() -> None:
    with pytest.raises(ConfigError):
        plan(1, get_split("tune").seed_span, split="tune")
    with pytest.raises(ConfigError):
        plan(1, -1, split="locked")
    with pytest.raises(ConfigError):
        get_split("holdout")


def test_a_split_file_whose_splits_overlap_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(SPLITS_FILE.read_text())
    data["splits"]["locked"]["hand_fonts"].append(data["splits"]["tune"]["hand_fonts"][0])
    overlapping = tmp_path / "fonts.yaml"
    overlapping.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="share"):
        load_splits(overlapping)
    data = yaml.safe_load(SPLITS_FILE.read_text())
    data["splits"]["locked"]["seed_offset"] = data["splits"]["tune"]["seed_offset"] + 5
    seeds = tmp_path / "seeds.yaml"
    seeds.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="seed"):
        load_splits(seeds)


@pytest.mark.parametrize("split", ["tune", "locked"])
def test_every_class_of_style_appears_in_both_splits(split: str) -> None:
    styles = _styles(split)
    assert {s.writing for s in styles} == {TYPED, HAND_PRINTED}
    assert {s.mark for s in styles} == set(MARK_STYLES)
    for flag in ("block_capitals", "overflow", "drift"):
        assert any(getattr(s, flag) for s in styles if s.writing == HAND_PRINTED), flag
    assert not any(s.drift for s in styles if s.writing == TYPED)
    assert len(get_split(split).spec.name_locales) >= 3


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="needs dpkg to name font packages")
def test_fonts_come_from_the_named_debian_packages_only() -> None:
    def package(path: str) -> str:
        done = subprocess.run(
            ["dpkg", "-S", path], capture_output=True, text=True, timeout=30, check=True
        )
        return done.stdout.split(":", 1)[0]

    for split in load_splits().values():
        for font in split.spec.typed_fonts:
            assert package(f"/usr/share/fonts/{font}") in TYPED_PACKAGES, font
        for font in split.spec.hand_fonts:
            assert package(f"/usr/share/fonts/{font}") in HAND_PACKAGES, font
    every_hand_face = [f for s in load_splits().values() for f in s.spec.hand_fonts]
    bwht = sorted(Path("/usr/share/fonts/opentype/bwht").glob("BecauseWe*.otf"))
    assert len(bwht) == 6 and {f"opentype/bwht/{p.name}" for p in bwht} <= set(every_hand_face)
    assert len(every_hand_face) == 8  # six bwht faces, Breip and Humor Sans


def _first_index(split: str, wanted: str) -> int:
    for index in range(200):
        spec = SampleSpec(FormType.CDC_PUI_2020, "fax_fine", index, 5, split)
        if draw_style(get_split(split), spec.rng(6)).writing == wanted:
            return index
    raise AssertionError(f"no {wanted} document in 200")


def test_a_split_document_records_its_split_and_writing_style(tmp_path: Path) -> None:
    index = _first_index("locked", HAND_PRINTED)
    seed = get_split("locked").document_seed(5)
    spec = SampleSpec(FormType.CDC_PUI_2020, "fax_fine", index, seed, "locked")
    truth = json.loads(generate_document(spec, tmp_path).truth.read_text())
    assert truth["split"] == "locked" and truth["seed"] == seed
    writing = truth["writing"]
    assert writing["writing"] == HAND_PRINTED and writing["mark"] in MARK_STYLES
    assert writing["font"] in {Path(f).stem for f in get_split("locked").spec.hand_fonts}
    assert {"block_capitals", "overflow", "drift"} <= writing.keys()
    assert schema_errors(RecordType.INFECTION_REPORT, truth["record"]) == []


def test_the_classic_generator_still_makes_the_committed_samples(
    tmp_path: Path, samples_dir: Path
) -> None:
    stem = "cdc_pui_2020-fax_fine-0000"
    made = generate_document(SampleSpec(FormType.CDC_PUI_2020, "fax_fine", 0, 1), tmp_path)
    assert made.truth.read_bytes() == (samples_dir / "truth" / f"{stem}.json").read_bytes()
    assert made.document.read_bytes() == (samples_dir / "docs" / f"{stem}.tif").read_bytes()
    assert CLASSIC not in load_splits()
