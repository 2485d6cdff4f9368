"""Synthetic pages for OCR tests: text drawn with PIL in DejaVu fonts, so tests need no
real data and know exactly what the page says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

PARAGRAPH = (
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Patients under investigation were reported to the county office.",
    "Please fax the completed form to the health department today.",
    "Symptoms included fever, cough and shortness of breath in March.",
    "Specimens were collected and shipped to the state laboratory.",
    "All fields marked with an asterisk must be completed in full.",
    "Return this page with the signed consent of the applicant.",
    "Keep a copy of every page for your own records and files.",
)


def font(size: int, *, mono: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSansMono.ttf" if mono else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONT_DIR / name), size)


def text_page(
    lines: tuple[str, ...] = PARAGRAPH,
    *,
    dpi: int = 200,
    size_pt: float = 11.0,
    width_in: float = 8.5,
    height_in: float = 11.0,
) -> np.ndarray:
    """A white letter-size page at ``dpi`` with ``lines`` of black text from the top."""
    w, h = round(width_in * dpi), round(height_in * dpi)
    page = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(page)
    px = round(size_pt * dpi / 72)
    face = font(px)
    y = round(1.0 * dpi)
    for line in lines:
        draw.text((round(0.8 * dpi), y), line, font=face, fill=0)
        y += round(px * 1.8)
    return np.asarray(page, dtype=np.uint8).copy()


@pytest.fixture(scope="session")
def synthetic_page() -> np.ndarray:
    return text_page()
