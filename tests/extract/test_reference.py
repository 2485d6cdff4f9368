"""Reference renders: right size, cached on disk by content hash."""

from __future__ import annotations

from pathlib import Path

from extract.reference import points_to_pixels, reference_pages
from faxflow.model import FormType


def test_pages_render_at_the_working_dpi(cdc_pages) -> None:  # type: ignore[no-untyped-def]
    assert len(cdc_pages) == 2
    page = cdc_pages[0]
    assert page.image.shape == (2200, 1700)  # US Letter at 200 dpi
    assert page.key == (FormType.CDC_PUI_2020, 1)
    assert page.image.min() < 50 and page.image.max() == 255  # print on white paper


def test_disk_cache_is_written_and_reused(templates, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    template = templates[FormType.CDC_PUI_2020]
    first = reference_pages(template, dpi=100, cache_root=tmp_path)
    folders = list(tmp_path.iterdir())
    assert len(folders) == 1 and (folders[0] / "complete").is_file()
    assert len(list(folders[0].glob("page-*.png"))) == 2
    assert first[0].image.shape == (1100, 850)


def test_points_to_pixels_rounds_outwards() -> None:
    assert points_to_pixels((72.0, 36.0, 144.0, 72.5), 200) == (200, 100, 400, 202)
