"""Degradation profiles: true resolution, bit depth, compression and page count on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from faxflow.errors import ConfigError
from samples.degrade import (
    FAX_WIDTH_PX,
    PROFILES,
    degrade_page,
    fax_header,
    file_suffix,
    page_inches,
    write_document,
)


def _clean_page(dpi: int = 150) -> np.ndarray:
    """A letter page with a black frame and a few text-like bars."""
    h, w = round(11 * dpi), round(8.5 * dpi)
    page = np.full((h, w), 255, np.uint8)
    page[dpi : dpi + 4, dpi : w - dpi] = 0
    page[h - dpi : h - dpi + 4, dpi : w - dpi] = 0
    for row in range(3 * dpi, 8 * dpi, dpi // 3):
        page[row : row + dpi // 12, 2 * dpi : 6 * dpi] = 0
    return page


@pytest.mark.parametrize(
    ("profile", "dpi", "compression"),
    [
        ("fax_fine", (204.0, 196.0), "group4"),
        ("fax_standard", (204.0, 98.0), "group3"),
        ("with_cover", (204.0, 196.0), "group4"),
    ],
)
def test_fax_profiles_write_bilevel_ccitt_tiff_with_true_resolution(
    tmp_path: Path, profile: str, dpi: tuple[float, float], compression: str
) -> None:
    rng = np.random.default_rng(7)
    pages = [degrade_page(_clean_page(), profile=profile, dpi=150, rng=rng) for _ in range(3)]
    for page in pages:
        assert page.dpi == dpi
        assert set(np.unique(page.image)) <= {0, 255}
        assert page.image.shape[1] == FAX_WIDTH_PX
        width_in, height_in = page_inches(page)
        assert height_in == pytest.approx(11.0, abs=0.05)
        assert width_in == pytest.approx(8.47, abs=0.01)
    path = write_document(pages, profile, tmp_path / f"doc{file_suffix(profile)}")
    with Image.open(path) as image:
        assert image.n_frames == 3
        for frame in range(3):
            image.seek(frame)
            assert image.mode == "1"
            assert image.info["compression"] == compression
            assert image.info["dpi"] == pytest.approx(dpi)


@pytest.mark.parametrize("profile", ["scan_grey", "scan_rotated"])
def test_scan_profiles_write_jpeg_pdf_whose_page_size_matches_resolution(
    tmp_path: Path, profile: str
) -> None:
    rng = np.random.default_rng(3)
    pages = [
        degrade_page(_clean_page(), profile=profile, dpi=150, rng=rng, scan_dpi=200)
        for _ in range(2)
    ]
    assert all(page.dpi == (200.0, 200.0) for page in pages)
    assert all(len(np.unique(page.image)) > 2 for page in pages)  # grey, not bilevel
    path = write_document(pages, profile, tmp_path / "doc.pdf")
    reader = PdfReader(path)
    assert len(reader.pages) == 2
    for pdf_page, page in zip(reader.pages, pages, strict=True):
        images = pdf_page.images
        assert len(images) == 1
        assert images[0].name.endswith(".jpg")
        h, w = page.image.shape
        assert float(pdf_page.mediabox.width) == pytest.approx(w / 200 * 72, abs=0.5)
        assert float(pdf_page.mediabox.height) == pytest.approx(h / 200 * 72, abs=0.5)


def test_scan_rotated_turns_the_page_and_says_how_far() -> None:
    rng = np.random.default_rng(5)
    upright = degrade_page(_clean_page(), profile="scan_grey", dpi=150, rng=rng, scan_dpi=200)
    turned = degrade_page(
        _clean_page(), profile="scan_rotated", dpi=150, rng=rng, scan_dpi=200, turn=90
    )
    assert upright.turned == 0
    assert turned.turned == 90
    assert turned.image.shape == upright.image.shape[::-1]
    assert abs(upright.skew_degrees) <= 3.0


def test_same_seed_gives_the_same_pixels() -> None:
    page = _clean_page()
    first = degrade_page(page, profile="fax_fine", dpi=150, rng=np.random.default_rng(11))
    second = degrade_page(page, profile="fax_fine", dpi=150, rng=np.random.default_rng(11))
    assert np.array_equal(first.image, second.image)


def test_fax_header_is_synthetic_and_numbers_the_page() -> None:
    header = fax_header(np.random.default_rng(1), page=3)
    assert " 555 01" in header
    assert header.endswith("P.03")


def test_unknown_profile_is_a_coded_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        degrade_page(_clean_page(), profile="fax_ultra", dpi=150, rng=np.random.default_rng(0))
    assert caught.value.code.value == "E_CONFIG"
    assert all(p in caught.value.message for p in PROFILES)
