"""The pipeline's composition: spilled pages, refusals, contained bugs, output names."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import extract.extractor
from faxflow.commands import collect_inputs, output_names
from faxflow.model import CleanPage, Status
from faxflow.pipeline import SpilledPages, process_path
from faxflow.settings import Settings


def test_spilled_pages_round_trip_losslessly(tmp_path: Path) -> None:
    pages = SpilledPages(tmp_path)
    rng = np.random.default_rng(3)
    originals = [rng.integers(0, 256, size=(40, 30), dtype=np.uint8) for _ in range(3)]
    for number, image in enumerate(originals, start=1):
        pages.append(CleanPage(number, image, 200, 90 * number, 0.5, 0.1))
    assert len(pages) == 3
    assert np.array_equal(pages[1].image, originals[1])
    assert pages[2].rotation == 270 and pages[2].number == 3
    assert [p.number for p in pages[0:2]] == [1, 2]
    assert [p.number for p in pages] == [1, 2, 3]


def test_output_names_never_collide() -> None:
    inputs = [Path("a/report.pdf"), Path("b/report.tif"), Path("c/other.png"), Path("report")]
    assert output_names(inputs) == ["report.json", "report-2.json", "other.json", "report-3.json"]


def test_collect_inputs_walks_folders_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "centre" / ".cache").mkdir(parents=True)
    (tmp_path / "centre" / "b.pdf").write_bytes(b"x")
    (tmp_path / "centre" / "a.tif").write_bytes(b"x")
    (tmp_path / "centre" / ".hidden.pdf").write_bytes(b"x")
    (tmp_path / "centre" / ".cache" / "c.pdf").write_bytes(b"x")
    found = collect_inputs([tmp_path])
    assert [p.name for p in found] == ["a.tif", "b.pdf"]


def _small_page(path: Path) -> Path:
    image = Image.new("L", (1700, 2200), 255)
    image.save(path, dpi=(200, 200))
    return path


def test_refused_file_becomes_rejected_result_with_its_code(
    settings: Settings, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    outcome = process_path(empty, settings)
    assert outcome.result.status is Status.REJECTED
    assert [i.code for i in outcome.result.issues] == ["E_EMPTY"]
    assert outcome.result.form_type.value == "unknown"


def test_a_bug_in_one_stage_is_contained_and_quotes_no_value(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("cannot parse 123-45-6789 for Jane Roe")

    monkeypatch.setattr(extract.extractor, "extract_document", broken)
    outcome = process_path(_small_page(tmp_path / "page.png"), settings)
    result = outcome.result
    assert result.status is Status.REJECTED
    assert [i.code for i in result.issues] == ["E_INTERNAL"]
    assert "ValueError" in result.issues[0].message
    assert "6789" not in result.to_json() and "Jane" not in result.to_json()
    assert result.page_count == 1 and len(result.document_id) == 64


def test_the_rerun_a_bug_asks_for_shows_where_it_happened(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """GIVEN a bug in a stage WHEN the document is processed with the log at INFO (what
    `faxflow -v` sets) THEN the log names the function it failed in, and still no value."""

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("Jane Roe")

    monkeypatch.setattr(extract.extractor, "extract_document", broken)
    with caplog.at_level(logging.INFO, logger="faxflow"):
        outcome = process_path(_small_page(tmp_path / "page.png"), settings)
    assert "faxflow -v" in outcome.result.issues[0].message
    assert "in broken" in caplog.text
    assert "Jane" not in caplog.text


def test_blank_white_page_is_unknown_not_an_error(settings: Settings, tmp_path: Path) -> None:
    outcome = process_path(_small_page(tmp_path / "white.png"), settings)
    result = outcome.result
    assert result.form_type.value == "unknown"
    assert result.page_count == 1
    assert [p.role.value for p in result.pages] == ["blank"]
    assert result.status in {Status.REJECTED, Status.NEEDS_REVIEW}
    assert {s.stage for s in outcome.timings} >= {"intake", "cleanup", "extraction"}


@pytest.mark.slow
@pytest.mark.parametrize("turned", [90, 180])
def test_turned_page_is_found_turned_and_read_upright(
    turned: int, settings: Settings, tmp_path: Path, project_root: Path
) -> None:
    """GIVEN the blank CDC page 1 turned by a quarter or half turn
    WHEN it is processed (orientation runs only on pages extraction finds turned)
    THEN it is classified as CDC page 1 and reported with the turn that makes it upright."""
    from pdf2image import convert_from_path

    blank = project_root / "extract" / "templates" / "cdc_pui_2020" / "blank.pdf"
    page = convert_from_path(str(blank), dpi=200, first_page=1, last_page=1, grayscale=True)[0]
    # rot90 turns counter-clockwise; the page then needs `turned` degrees clockwise.
    image = np.rot90(np.asarray(page), k=turned // 90)
    path = tmp_path / "turned.png"
    Image.fromarray(np.ascontiguousarray(image)).save(path, dpi=(200, 200))
    result = process_path(path, settings).result
    assert result.form_type.value == "cdc_pui_2020"
    report = result.pages[0]
    assert (report.role.value, report.template_page, report.rotation) == ("form", 1, turned)
