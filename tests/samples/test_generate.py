"""Generated documents: deterministic, true to their profile on disk, truthful, and no
cleaner than real faxes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader
from typer.testing import CliRunner

from faxflow.cli import app
from faxflow.errors import ConfigError
from faxflow.model import FormType, RecordType
from faxflow.packs import load_pack
from faxflow.schemas import schema_errors, violations
from samples.degrade import PROFILES
from samples.generate import SampleSpec, generate, generate_document, plan
from tests.processes import run_faxflow

FORM_PAGES = {"cdc_pui_2020": 2, "mdhhs_dhs1171": 21}
FAX_DPI = {"fax_fine": (204.0, 196.0), "fax_standard": (204.0, 98.0), "with_cover": (204.0, 196.0)}
COMPRESSION = {"fax_fine": "group4", "fax_standard": "group3", "with_cover": "group4"}


@pytest.mark.parametrize("profile", ["fax_standard", "scan_grey"])
def test_same_seed_gives_identical_files(tmp_path: Path, profile: str) -> None:
    spec = SampleSpec(FormType.CDC_PUI_2020, profile, index=3, seed=9)
    first = generate_document(spec, tmp_path / "a")
    second = generate_document(spec, tmp_path / "b")
    assert first.document.read_bytes() == second.document.read_bytes()
    assert first.truth.read_bytes() == second.truth.read_bytes()
    other = generate_document(SampleSpec(FormType.CDC_PUI_2020, profile, 3, 10), tmp_path / "c")
    assert (
        json.loads(other.truth.read_text())["record"]
        != json.loads(first.truth.read_text())["record"]
    )


def test_plan_spreads_documents_over_forms_and_profiles() -> None:
    specs = plan(20, 1)
    pairs = {(s.form_type, s.profile) for s in specs}
    assert len(pairs) == 10
    assert [s.index for s in plan(3, 1, start=7)] == [7, 8, 9]
    assert {s.stem for s in specs} == {
        f"{s.form_type.value}-{s.profile}-{s.index:04d}" for s in specs
    }


def test_generate_command_writes_docs_truth_and_a_summary(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(
        app,
        [
            "samples", "generate", "--out", str(tmp_path), "--count", "2", "--seed", "4",
            "--form", "cdc_pui_2020", "--profile", "fax_standard", "--profile", "with_cover",
        ],
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    assert "2 documents" in outcome.output
    docs = sorted(p.name for p in (tmp_path / "docs").iterdir())
    assert docs == ["cdc_pui_2020-fax_standard-0000.tif", "cdc_pui_2020-with_cover-0001.tif"]
    truth = json.loads((tmp_path / "truth" / "cdc_pui_2020-with_cover-0001.json").read_text())
    assert truth["document"] == "cdc_pui_2020-with_cover-0001.tif"
    assert truth["page_count"] == 3  # cover sheet + 2 form pages
    assert schema_errors(RecordType.INFECTION_REPORT, truth["record"]) == []
    assert truth["split"] == "tune"  # the default split for ad-hoc sets


def test_generate_refuses_an_unknown_split(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(
        app, ["samples", "generate", "--out", str(tmp_path), "--split", "holdout"]
    )
    assert outcome.exit_code != 0
    assert "unknown split" in str(outcome.exception)
    assert not (tmp_path / "docs").exists()


def test_generate_refuses_an_unknown_profile(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(
        app, ["samples", "generate", "--out", str(tmp_path), "--profile", "telex"]
    )
    assert outcome.exit_code != 0
    assert not (tmp_path / "docs").exists()


# --------------------------------------------------------------------------------------
# The committed set
# --------------------------------------------------------------------------------------


def _truths(samples_dir: Path) -> list[dict]:
    paths = sorted((samples_dir / "truth").glob("*.json"))
    assert paths, "the committed sample set is missing"
    return [json.loads(p.read_text()) for p in paths]


def test_committed_set_covers_every_profile_and_both_forms(samples_dir: Path) -> None:
    truths = _truths(samples_dir)
    assert {t["profile"] for t in truths} == set(PROFILES)
    assert {t["form_type"] for t in truths} == set(FORM_PAGES)
    size = sum(p.stat().st_size for p in (samples_dir / "docs").iterdir())
    assert size < 12e6  # a few MB
    for truth in truths:
        record_type = RecordType(truth["record_type"])
        assert schema_errors(record_type, truth["record"]) == [], truth["document"]
        assert (samples_dir / "docs" / truth["document"]).is_file()


def test_committed_files_have_their_profiles_resolution_depth_and_pages(
    samples_dir: Path,
) -> None:
    for truth in _truths(samples_dir):
        path = samples_dir / "docs" / truth["document"]
        profile = truth["profile"]
        expected_pages = FORM_PAGES[truth["form_type"]] + (profile == "with_cover")
        assert truth["page_count"] == expected_pages
        if profile in FAX_DPI:
            assert path.suffix == ".tif"
            with Image.open(path) as image:
                assert image.n_frames == expected_pages
                for frame in range(image.n_frames):
                    image.seek(frame)
                    assert image.mode == "1"
                    assert image.info["compression"] == COMPRESSION[profile]
                    assert image.info["dpi"] == pytest.approx(FAX_DPI[profile])
                    assert image.width == 1728
        else:
            assert path.suffix == ".pdf"
            reader = PdfReader(path)
            assert len(reader.pages) == expected_pages
            for page, turned in zip(reader.pages, truth["rotations"], strict=True):
                (image,) = page.images
                assert image.name.endswith(".jpg")
                xdpi = image.image.width / (float(page.mediabox.width) / 72)
                ydpi = image.image.height / (float(page.mediabox.height) / 72)
                assert 199 <= xdpi <= 301
                assert xdpi == pytest.approx(ydpi, rel=0.01)
                landscape = image.image.width > image.image.height
                assert landscape == (turned in (90, 270))
            if profile == "scan_rotated":
                assert any(truth["rotations"])


def _speckles_per_megapixel(image: np.ndarray) -> float:
    black = (image < 128).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(black, connectivity=8)
    return float((stats[1:, cv2.CC_STAT_AREA] <= 4).sum()) / (image.size / 1e6)


def test_synthetic_faxes_are_no_cleaner_than_real_ones(
    samples_dir: Path, realdata_dir: Path
) -> None:
    with Image.open(realdata_dir / "fax_tiff" / "fax2d.tif") as real:
        real_noise = _speckles_per_megapixel(np.asarray(real.convert("L")))
    assert real_noise > 0
    for path in sorted((samples_dir / "docs").glob("*.tif")):
        with Image.open(path) as fax:
            fax.seek(0)
            assert _speckles_per_megapixel(np.asarray(fax.convert("L"))) >= real_noise, path.name


def test_parallel_generation_gives_the_same_files(tmp_path: Path) -> None:
    specs = plan(2, 5, profiles=["fax_standard"], forms=[FormType.CDC_PUI_2020])
    sequential = generate(tmp_path / "one", specs, workers=1)
    parallel = generate(tmp_path / "two", specs, workers=2)
    assert [d.spec for d in parallel] == [d.spec for d in sequential]
    for a, b in zip(sequential, parallel, strict=True):
        assert a.document.read_bytes() == b.document.read_bytes()
        assert a.truth.read_bytes() == b.truth.read_bytes()


def test_generate_refuses_a_file_as_output_folder(tmp_path: Path) -> None:
    target = tmp_path / "not-a-folder"
    target.write_text("x")
    outcome = CliRunner().invoke(app, ["samples", "generate", "--out", str(target)])
    assert outcome.exit_code != 0
    assert "is a file" in str(outcome.exception)


# --------------------------------------------------------------------------------------
# Form packs: copies of any pack's blank, in the same layout, scored by faxflow eval
# --------------------------------------------------------------------------------------

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FORMS_DIR = PROJECT_ROOT / "forms"
FAP = FORMS_DIR / "mi_fap_supplement"


def test_plan_spreads_pack_copies_and_refuses_a_built_in_pack() -> None:
    pack = load_pack(FAP)
    specs = plan(4, 3, profiles=["fax_fine", "scan_grey"], forms=[pack, FormType.CDC_PUI_2020])
    assert [(s.form_type, s.pack) for s in specs[:2]] == [
        ("mi_fap_supplement", FAP),
        (FormType.CDC_PUI_2020, None),
    ]
    assert specs[0].stem == "mi_fap_supplement-fax_fine-0000"
    built_in = load_pack(PROJECT_ROOT / "extract" / "templates" / "cdc_pui_2020")
    with pytest.raises(ConfigError, match="built-in form"):
        plan(1, 3, forms=[built_in])


@pytest.mark.parametrize(("profile", "pages"), [("fax_standard", 1), ("with_cover", 2)])
def test_a_pack_copy_is_a_degraded_document_with_a_truth_file(
    tmp_path: Path, profile: str, pages: int
) -> None:
    pack = load_pack(FAP)
    (spec,) = plan(1, 5, profiles=[profile], forms=[pack], split="tune")
    made = generate_document(spec, tmp_path)
    again = generate_document(spec, tmp_path / "again")
    assert made.document.read_bytes() == again.document.read_bytes()  # deterministic
    truth = json.loads(made.truth.read_text())
    assert truth["document"] == f"mi_fap_supplement-{profile}-0000.tif"
    assert (truth["form_type"], truth["record_type"]) == ("mi_fap_supplement",) * 2
    assert (truth["split"], truth["writing"]) == ("tune", {"writing": "typed", "mark": "widget"})
    assert set(truth["record"]) == set(pack.schema["properties"])
    assert violations(pack.schema, truth["record"]) == []
    assert truth["page_count"] == pages == len(truth["rotations"])
    with Image.open(made.document) as image:
        assert image.n_frames == pages
        assert image.info["dpi"] == pytest.approx(FAX_DPI[profile])
        image.seek(pages - 1)
        ink = 1 - np.asarray(image.convert("L"), dtype=np.float64).mean() / 255
    assert 0.02 < ink < 0.4  # the form page carries print and typed values, not noise


def test_generate_command_names_the_packs_it_knows(tmp_path: Path) -> None:
    run = _faxflow(["samples", "generate", "--out", str(tmp_path), "--form", "nope"], tmp_path)
    assert run.returncode == 2
    assert "mi_fap_supplement" in run.stderr + run.stdout  # the choices include the pack
    assert not (tmp_path / "docs").exists()


@pytest.mark.slow
def test_generated_pack_copies_are_processed_and_scored(tmp_path: Path) -> None:
    """GIVEN two generated copies of the FAP pack WHEN they are processed and scored by
    the CLI THEN eval scores every schema field of both, mostly right."""
    out = tmp_path / "set"
    for args in (
        ["samples", "generate", "--form", "mi_fap_supplement", "-n", "2", "-s", "7", "-j", "1",
         "-o", str(out), "-p", "fax_fine", "-p", "scan_grey"],
        ["process", str(out / "docs"), "--out", str(tmp_path / "results"), "--no-db",
         "--workers", "1"],
        ["eval", str(tmp_path / "results"), "-t", str(out / "truth"),
         "--json", str(tmp_path / "eval.json")],
    ):  # fmt: skip
        run = _faxflow(args, tmp_path)
        assert run.returncode in (0, 1), run.stderr  # process: 1 = documents need review
    report = json.loads((tmp_path / "eval.json").read_text())
    fields = report["by_form_type"]["mi_fap_supplement"]["fields"]
    assert set(fields) == set(load_pack(FAP).schema["properties"])
    assert all(field["total"] == 2 for field in fields.values())
    assert report["form_type_accuracy"]["correct"] == 2
    assert report["field_accuracy"]["total"] == 78
    assert report["field_accuracy"]["accuracy"] >= 0.85
    assert report["unmatched_results"] == []


def _faxflow(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run_faxflow(*args, forms_dir=FORMS_DIR, scratch=tmp_path)
