"""Whole-page OCR: clean a page, read it once at OCR resolution, map boxes back.

The pipeline mostly reads field crops (cheap); this is for debugging (``faxflow ocr
page``), page classification and the measurements in ``docs/ocr.md``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from faxflow.model import CleanPage, OcrWord, PageImage
from faxflow.settings import Settings
from ocr.cleanup import clean_page, ocr_image
from ocr.tesseract import read_words


@dataclass(frozen=True, slots=True)
class PageWords:
    """A cleaned page, its words (boxes in ``clean.image`` pixels) and the seconds spent
    cleaning and in Tesseract."""

    clean: CleanPage
    words: tuple[OcrWord, ...]
    cleanup_seconds: float
    ocr_seconds: float


def read_page(
    page: PageImage, settings: Settings, *, psm: int = 3, smooth: bool = True
) -> PageWords:
    """Clean ``page`` and OCR all of it once (``psm`` 3: automatic layout)."""
    clean = clean_page(page, settings)
    return read_clean_page(clean, settings, psm=psm, smooth=smooth)


def read_clean_page(
    clean: CleanPage, settings: Settings, *, psm: int = 3, smooth: bool = True
) -> PageWords:
    """OCR an already cleaned page at :data:`ocr.cleanup.OCR_DPI`; boxes come back in
    ``clean.image`` pixels."""
    image, scale = ocr_image(clean.image, dpi=clean.dpi, smooth=smooth)
    started = time.perf_counter()
    words = read_words(image, settings=settings, psm=psm, dpi=round(clean.dpi * scale))
    seconds = time.perf_counter() - started
    if scale != 1.0:
        words = [
            OcrWord(
                text=w.text,
                confidence=w.confidence,
                bbox=(
                    int(w.bbox[0] / scale),
                    int(w.bbox[1] / scale),
                    round(w.bbox[2] / scale),
                    round(w.bbox[3] / scale),
                ),
                line_key=w.line_key,
            )
            for w in words
        ]
    return PageWords(
        clean=clean, words=tuple(words), cleanup_seconds=clean.seconds, ocr_seconds=seconds
    )
