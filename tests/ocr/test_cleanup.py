"""Cleanup steps on synthetic pages with known damage: known angles, known noise,
known text.  OCR is the judge where it matters (the page must still read)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from faxflow.model import PageImage
from faxflow.settings import Settings
from ocr.cleanup import (
    binarise,
    clean_page,
    deskew,
    despeckle,
    detect_rotation,
    estimate_skew,
    normalise_background,
    normalise_resolution,
    prepare_field_crop,
    remove_blobs,
    remove_border,
    rotate_quarter,
    rotate_small,
)
from ocr.page import read_clean_page
from ocr.tesseract import read_text, words_to_text
from tests.ocr.conftest import font


def _components(image: np.ndarray) -> int:
    count, _ = cv2.connectedComponents((image < 128).astype(np.uint8), connectivity=8)
    return int(count) - 1


def _page_text(image: np.ndarray, settings: Settings, *, dpi: int = 200) -> str:
    page = PageImage(number=1, image=image, dpi=dpi, source_dpi=(dpi, dpi))
    result = read_clean_page(clean_page(page, settings), settings, psm=6)
    return words_to_text(list(result.words))


@pytest.mark.parametrize("angle", [-4.0, -2.3, -0.8, 0.6, 1.7, 3.5])
def test_deskew_recovers_known_angles(synthetic_page: np.ndarray, angle: float) -> None:
    tilted = rotate_small(synthetic_page, angle)
    found = estimate_skew(tilted, dpi=200)
    assert found == pytest.approx(angle, abs=0.3)
    straight, removed = deskew(tilted, dpi=200)
    assert removed == found
    assert abs(estimate_skew(straight, dpi=200)) <= 0.3


def test_deskew_leaves_a_straight_page_alone(synthetic_page: np.ndarray) -> None:
    straight, removed = deskew(synthetic_page, dpi=200)
    assert removed == 0.0
    assert np.array_equal(straight, synthetic_page)


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_turned_page_comes_out_upright_and_readable(
    settings: Settings, synthetic_page: np.ndarray, turn: int
) -> None:
    turned = rotate_quarter(synthetic_page, turn)
    page = PageImage(number=1, image=turned, dpi=200, source_dpi=(200.0, 200.0))
    clean = clean_page(page, settings)
    assert clean.rotation == (360 - turn) % 360
    assert clean.image.shape == synthetic_page.shape
    # Reading the text band is enough to show the page is upright (and much cheaper).
    text = read_text(clean.image[150:750], settings=settings, psm=6, dpi=200).text
    assert "laboratory" in text


def test_turned_and_tilted_page_comes_out_straight(
    settings: Settings, synthetic_page: np.ndarray
) -> None:
    damaged = rotate_quarter(rotate_small(synthetic_page, 2.0), 90)
    clean = clean_page(PageImage(1, damaged, 200, (200.0, 200.0)), settings)
    assert clean.rotation == 270
    assert clean.skew_degrees == pytest.approx(2.0, abs=0.3)
    assert abs(estimate_skew(clean.image, dpi=200)) <= 0.3


def test_despeckle_removes_noise_and_keeps_text(
    settings: Settings, synthetic_page: np.ndarray
) -> None:
    rng = np.random.default_rng(1)
    noisy = synthetic_page.copy()
    ys = rng.integers(0, noisy.shape[0] - 2, 3000)
    xs = rng.integers(0, noisy.shape[1] - 2, 3000)
    for y, x in zip(ys, xs, strict=True):
        noisy[y : y + 2, x : x + 1] = 0
    cleaned = despeckle(noisy, dpi=200)
    # Almost all specks go; the letters (and dots of i and j) stay.
    assert _components(cleaned) <= _components(synthetic_page) + 150
    assert _components(cleaned) >= _components(synthetic_page) - 5
    off = settings.model_copy(
        update={"cleanup": settings.cleanup.model_copy(update={"orientation": False})}
    )
    text = _page_text(cleaned, off)
    assert "investigation" in text and "jumps" in text


def test_background_normalisation_flattens_a_shadow(synthetic_page: np.ndarray) -> None:
    h, w = synthetic_page.shape
    shade = np.tile(np.linspace(90, 0, w, dtype=np.float32), (h, 1))
    shaded = np.clip(synthetic_page.astype(np.float32) - shade, 0, 255).astype(np.uint8)
    naive = binarise(shaded)
    flat = binarise(normalise_background(shaded, dpi=200))
    ink_truth = synthetic_page < 128
    # Otsu alone blackens the shadowed side; after flattening, ink matches the original.
    assert np.mean((naive < 128) != ink_truth) > 0.05
    assert np.mean((flat < 128) != ink_truth) < 0.01


def test_remove_border_whitens_edge_bands(synthetic_page: np.ndarray) -> None:
    page = synthetic_page.copy()
    page[:, :40] = 0
    page[-25:, :] = 0
    cleaned = remove_border(page)
    assert (cleaned[:, :40] == 255).all() and (cleaned[-25:, :] == 255).all()
    assert np.array_equal(cleaned[:-25, 40:], synthetic_page[:-25, 40:])


def test_remove_blobs_whitens_a_photo_and_keeps_text(synthetic_page: np.ndarray) -> None:
    page = synthetic_page.copy()
    page[1500:1900, 400:1000] = 0
    page[1600:1610, 500:900] = 255  # a light streak inside the "photo"
    cleaned = remove_blobs(page, dpi=200)
    assert (cleaned[1500:1900, 400:1000] == 255).all()
    assert np.array_equal(cleaned[:1400], synthetic_page[:1400])


def test_normalise_resolution_makes_fax_pixels_square() -> None:
    fax = np.full((98, 204), 255, dtype=np.uint8)
    out = normalise_resolution(fax, source_dpi=(204.0, 98.0), target_dpi=200)
    assert out.shape == (200, 200)


def _comb_crop(digits: str, *, dpi: int = 200) -> np.ndarray:
    """Digits hand-placed in a comb box: base rule, top rule and walls between cells."""
    cell = round(0.22 * dpi)
    height = round(0.3 * dpi)
    img = Image.new("L", (cell * len(digits) + 8, height + 8), 255)
    draw = ImageDraw.Draw(img)
    face = font(round(0.16 * dpi), mono=True)
    draw.line([(4, 4), (4 + cell * len(digits), 4)], fill=0, width=2)
    draw.line([(4, 4 + height), (4 + cell * len(digits), 4 + height)], fill=0, width=2)
    for i in range(len(digits) + 1):
        draw.line([(4 + i * cell, 4), (4 + i * cell, 4 + height)], fill=0, width=2)
    for i, digit in enumerate(digits):
        draw.text((4 + i * cell + cell // 4, 4 + height // 6), digit, font=face, fill=0)
    return np.asarray(img, dtype=np.uint8).copy()


def test_line_removal_leaves_digits_readable_in_a_comb(settings: Settings) -> None:
    crop = _comb_crop("4815162342")
    ready = prepare_field_crop(crop, dpi=200, settings=settings)
    assert ready.shape[0] > crop.shape[0]  # enlarged towards 300 dpi and padded
    result = read_text(ready, settings=settings, whitelist="0123456789")
    assert result.text.replace(" ", "") == "4815162342"


def test_line_removal_erases_the_comb_itself(settings: Settings) -> None:
    empty = _comb_crop("          ")
    ready = prepare_field_crop(empty, dpi=200, settings=settings)
    assert _components(ready) == 0
    assert read_text(ready, settings=settings, whitelist="0123456789").text == ""


def test_bad_page_is_refused(settings: Settings) -> None:
    bad = PageImage(1, np.zeros((10, 10, 3), np.uint8), 200, (200.0, 200.0))
    with pytest.raises(ValueError, match="2-D uint8"):
        clean_page(bad, settings)


def test_broken_underline_and_specks_leave_the_word(settings: Settings) -> None:
    img = Image.new("L", (360, 60), 255)
    draw = ImageDraw.Draw(img)
    draw.text((20, 8), "Garcia", font=font(34), fill=0)
    draw.line([(0, 50), (359, 50)], fill=0, width=2)
    crop = np.asarray(img, dtype=np.uint8).copy()
    rng = np.random.default_rng(4)
    for x in rng.integers(0, 355, 25):  # fax line errors punch gaps into the rule
        crop[49:52, x : x + 2] = 255
    for y, x in zip(rng.integers(0, 58, 12), rng.integers(250, 358, 12), strict=True):
        crop[y : y + 2, x : x + 2] = 0  # specks past the word
    ready = prepare_field_crop(crop, dpi=200, settings=settings)
    assert read_text(ready, settings=settings).text == "Garcia"


@pytest.mark.parametrize("turn", [90, 180])
def test_sparse_page_where_osd_is_unsure_is_turned_by_reading(
    settings: Settings, turn: int
) -> None:
    """GIVEN a page with two short lines (OSD confidence below its trusted level)
    WHEN it is turned THEN the profile + band-reading fallback still finds the turn."""
    img = Image.new("L", (1700, 2200), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(("Patient name Robert", "County Bay")):
        draw.text((200, 1040 + i * 70), line, font=font(40), fill=0)
    turned = rotate_quarter(np.asarray(img, dtype=np.uint8), turn)
    found = detect_rotation(turned, dpi=200, settings=settings)
    assert found.method == "profile+ocr"
    assert found.degrees == (360 - turn) % 360
