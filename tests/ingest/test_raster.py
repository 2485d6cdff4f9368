from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from faxflow.errors import ErrorCode, InputRejected
from faxflow.settings import Settings
from ingest.raster import iter_pages, verify_pages
from ingest.source import open_source
from tests.ingest.conftest import (
    dark_fraction,
    make_jpeg,
    make_pdf,
    make_png,
    make_tiff,
    page_image,
)


def pages_of(path: Path, settings: Settings, **kwargs):
    return list(iter_pages(open_source(path, settings), settings, **kwargs))


def test_fax_normal_resolution_becomes_square_pixels(tmp_path: Path, settings: Settings) -> None:
    """GIVEN a 204x98 dpi G4 fax (every pixel twice as tall as wide) THEN pages come out
    at 200x200 dpi: width x 200/204, height x 200/98, and the source resolution is kept."""
    path = make_tiff(tmp_path / "fax.tif", pages=2, size=(1728, 1100), dpi=(204, 98))
    pages = pages_of(path, settings)
    assert [p.number for p in pages] == [1, 2]
    for page in pages:
        assert page.image.dtype == np.uint8 and page.image.ndim == 2
        assert page.image.shape == (round(1100 * 200 / 98), round(1728 * 200 / 204))
        assert page.dpi == 200
        assert page.source_dpi == (204.0, 98.0)
        assert 0.01 < dark_fraction(page.image) < 0.5


def test_fax_fine_resolution_is_nearly_unchanged(tmp_path: Path, settings: Settings) -> None:
    path = make_tiff(tmp_path / "fine.tif", pages=1, size=(1728, 2200), dpi=(204, 196))
    (page,) = pages_of(path, settings)
    assert page.image.shape == (round(2200 * 200 / 196), round(1728 * 200 / 204))


def test_fax_line_length_wins_over_a_wrong_resolution_tag(
    tmp_path: Path, settings: Settings
) -> None:
    path = make_tiff(tmp_path / "fax.tif", pages=1, size=(1728, 2200), dpi=(300, 300))
    (page,) = pages_of(path, settings)
    assert page.source_dpi == (204.0, 204.0)
    assert page.image.shape == (round(2200 * 200 / 204), round(1728 * 200 / 204))


def test_grey_scan_1728_wide_keeps_its_declared_resolution(
    tmp_path: Path, settings: Settings
) -> None:
    path = make_png(tmp_path / "scan.png", size=(1728, 2200), dpi=(300, 300))
    (page,) = pages_of(path, settings)
    assert page.source_dpi == pytest.approx((300.0, 300.0), abs=0.01)


def test_page_dpi_setting_sets_the_working_resolution(tmp_path: Path, settings: Settings) -> None:
    path = make_tiff(tmp_path / "fax.tif", pages=1, size=(1700, 1100), dpi=(200, 100))
    (page,) = pages_of(path, settings.model_copy(update={"page_dpi": 300}))
    assert page.dpi == 300
    assert page.image.shape == (3300, 2550)


def test_pdf_pages_render_at_page_dpi(tmp_path: Path, settings: Settings) -> None:
    path = make_pdf(tmp_path / "form.pdf", pages=3)  # 8.5 x 11 inch pages
    pages = pages_of(path, settings)
    assert [p.image.shape for p in pages] == [(2200, 1700)] * 3
    assert all(p.source_dpi == (200.0, 200.0) for p in pages)
    assert all(0.01 < dark_fraction(p.image) < 0.5 for p in pages)


def test_selected_pages_come_in_the_order_asked(tmp_path: Path, settings: Settings) -> None:
    path = make_pdf(tmp_path / "form.pdf", pages=3)
    assert [p.number for p in pages_of(path, settings, pages=[3, 1])] == [3, 1]
    with pytest.raises(ValueError, match="outside"):
        pages_of(path, settings, pages=[4])


def test_letter_shaped_image_without_dpi_gets_it_from_its_shape(
    tmp_path: Path, settings: Settings
) -> None:
    path = tmp_path / "scan.png"
    page_image(1275, 1650).save(path, "PNG")  # Letter at 150 dpi, resolution not written
    (page,) = pages_of(path, settings)
    assert page.source_dpi == pytest.approx((150.0, 150.0))
    assert page.image.shape == (2200, 1700)


def test_odd_shaped_image_without_dpi_is_assumed_200(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "strip.png"
    page_image(1600, 500).save(path, "PNG")
    (page,) = pages_of(path, settings)
    assert page.source_dpi == (200.0, 200.0)
    assert page.image.shape == (500, 1600)


def test_implausible_declared_dpi_is_ignored(tmp_path: Path, settings: Settings) -> None:
    """A 72-dpi tag on a 1700x2200 scan would mean a 24 x 31 inch page: not believed."""
    path = make_png(tmp_path / "scan.png", size=(1700, 2200), dpi=(72, 72))
    (page,) = pages_of(path, settings)
    assert page.source_dpi == pytest.approx((200.0, 200.0))


def test_transparent_png_becomes_white_paper(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "clear.png"
    image = Image.new("RGBA", (850, 1100), (0, 0, 0, 0))
    image.paste((0, 0, 0, 255), (100, 100, 300, 200))
    image.save(path, "PNG", dpi=(100, 100))
    (page,) = pages_of(path, settings)
    assert page.image[10, 10] == 255  # transparent -> paper
    assert page.image[300, 400] == 0  # the black box, scaled x2


def test_sixteen_bit_grey_keeps_its_contrast(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "deep.png"
    values = np.full((1100, 850), 65535, dtype=np.uint16)
    values[100:200, 100:300] = 0
    Image.fromarray(values).save(path, "PNG", dpi=(100, 100))
    (page,) = pages_of(path, settings)
    assert page.image.max() == 255 and page.image.min() == 0


def test_eight_bit_values_in_a_sixteen_bit_file_stay_visible(
    tmp_path: Path, settings: Settings
) -> None:
    path = tmp_path / "widened.tif"
    page_image(850, 1100).convert("I;16").save(path, "TIFF", dpi=(100, 100))
    (page,) = pages_of(path, settings)
    assert 0.01 < dark_fraction(page.image) < 0.5


def test_jpeg_exif_orientation_is_applied(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    make_jpeg(path, size=(1100, 850), dpi=(100, 100), exif=exif.tobytes())
    (page,) = pages_of(path, settings)
    assert page.image.shape == (2200, 1700)  # upright portrait at 200 dpi


def test_big_jpeg_is_decoded_at_reduced_size(tmp_path: Path, settings: Settings) -> None:
    path = make_jpeg(tmp_path / "phone.jpg", size=(5100, 6600), dpi=(600, 600))
    (page,) = pages_of(path, settings)
    assert page.image.shape == (2200, 1700)
    assert 0.01 < dark_fraction(page.image) < 0.5


def test_pages_are_produced_one_at_a_time(tmp_path: Path, settings: Settings) -> None:
    """GIVEN a TIFF whose third page cannot be decoded THEN the first two pages are
    yielded before the error: nothing is decoded ahead of the consumer."""
    path = make_tiff(tmp_path / "fax.tif", pages=3, compression="tiff_adobe_deflate")
    data = bytearray(path.read_bytes())
    with Image.open(path) as image:
        image.seek(2)
        offset = image.tag_v2[273][0]
    data[offset : offset + 40] = b"\x00" * 40  # page 3's deflate stream is now garbage
    path.write_bytes(bytes(data))
    source = open_source(path, settings)
    pages = iter_pages(source, settings)
    assert next(pages).number == 1
    assert next(pages).number == 2
    with pytest.raises(InputRejected) as caught:
        next(pages)
    assert caught.value.code is ErrorCode.CORRUPT
    assert caught.value.message.startswith("page 3 of 'fax.tif' cannot be decoded")


def test_output_over_the_pixel_cap_is_e_bomb(tmp_path: Path, settings: Settings) -> None:
    path = make_tiff(tmp_path / "fax.tif", pages=1, size=(1728, 1100), dpi=(204, 98))
    source = open_source(path, settings)  # 1.9 Mpx at source resolution: accepted
    tight = settings.model_copy(update={"max_page_pixels": 2_500_000})
    with pytest.raises(InputRejected) as caught:
        list(iter_pages(source, tight))  # 3.7 Mpx once made square at 200 dpi
    assert caught.value.code is ErrorCode.BOMB


def test_verify_pages_counts_decoded_pages(tmp_path: Path, settings: Settings) -> None:
    path = make_tiff(tmp_path / "fax.tif", pages=4, size=(400, 300))
    assert verify_pages(open_source(path, settings), settings) == 4


def test_memory_stays_flat_whatever_the_page_count(tmp_path: Path, settings: Settings) -> None:
    """Peak pixel memory while reading 30 fax pages is that of about one page."""
    import tracemalloc

    path = make_tiff(tmp_path / "long.tif", pages=30, size=(1728, 2200), dpi=(204, 196))
    source = open_source(path, settings)
    one_page = round(2200 * 200 / 196) * round(1728 * 200 / 204)  # bytes of one uint8 page
    tracemalloc.start()
    try:
        count = 0
        for page in iter_pages(source, settings):
            count += 1
            del page
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 30
    assert peak < 4 * one_page
