"""Rasterise a checked input file one page at a time, at square pixels.

Memory stays flat whatever the page count: PDF pages are rendered by poppler one page per
call (``first_page == last_page``), TIFF frames are decoded one at a time, and nothing of a
page survives the next ``yield``. Fax resolutions are not square (204x98 "normal" mode
doubles every pixel's height), so each page is resampled to ``settings.page_dpi`` in both
directions and the resolution the file declared (or implied) is kept as ``source_dpi``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence

import cv2
import numpy as np
from PIL import Image, ImageOps

from faxflow.errors import ErrorCode, InputRejected, MissingDependency
from faxflow.model import FileKind, PageImage, SourceDocument
from faxflow.settings import Settings
from ingest.source import short_reason

log = logging.getLogger(__name__)

RENDER_TIMEOUT_S = 120
"""Longest poppler may take to render one PDF page before the file counts as hostile."""

ASSUMED_DPI = 200.0
"""Resolution assumed for an image that declares none and is not shaped like a page."""

# (short side, long side) in inches of the paper sizes health centres fax.
PAPER_SIZES_IN: tuple[tuple[float, float], ...] = ((8.5, 11.0), (8.27, 11.69), (8.5, 14.0))
_PAPER_RATIO_TOLERANCE = 0.04

FAX_X_DPI = 204.0
"""Horizontal resolution of every Group 3/4 fax: 1728 pixels over 215 mm (ITU-T T.4)."""
FAX_LINE_PIXELS = frozenset({1728, 2048, 2432})
"""T.4 scan-line lengths (A4, B4, A3 widths at the fax resolution)."""
_PLAUSIBLE_PAGE_IN = (2.0, 20.0)  # shortest and longest believable page side, inches


def iter_pages(
    source: SourceDocument, settings: Settings, *, pages: Sequence[int] | None = None
) -> Iterator[PageImage]:
    """Yield the pages of ``source`` (all, or the 1-based ``pages`` in that order) as 8-bit
    grey images with square pixels at ``settings.page_dpi``.

    A page that cannot be decoded raises ``InputRejected(E_CORRUPT)`` naming the page; a
    page that would be too large raises ``E_BOMB``; a missing poppler raises
    :class:`MissingDependency`.
    """
    numbers = list(range(1, source.page_count + 1)) if pages is None else list(pages)
    for number in numbers:
        if not 1 <= number <= source.page_count:
            raise ValueError(f"page {number} is outside 1..{source.page_count}")
    if source.kind is FileKind.PDF:
        yield from _pdf_pages(source, settings, numbers)
    else:
        yield from _image_pages(source, settings, numbers)


def verify_pages(source: SourceDocument, settings: Settings) -> int:
    """Decode every page and discard it (intake without the OCR pipeline); returns the
    number of pages. Raises like :func:`iter_pages`."""
    decoded = 0
    for _page in iter_pages(source, settings):
        decoded += 1
    return decoded


# --------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------


def _pdf_pages(
    source: SourceDocument, settings: Settings, numbers: Sequence[int]
) -> Iterator[PageImage]:
    from pdf2image import convert_from_path
    from pdf2image.exceptions import (
        PDFInfoNotInstalledError,
        PDFPopplerTimeoutError,
        PopplerNotInstalledError,
    )

    dpi = settings.page_dpi
    for number in numbers:
        try:
            rendered = convert_from_path(
                source.path,
                dpi=dpi,
                first_page=number,
                last_page=number,
                grayscale=True,
                timeout=RENDER_TIMEOUT_S,
            )
        except (PDFInfoNotInstalledError, PopplerNotInstalledError) as exc:
            raise MissingDependency(
                "poppler (pdftoppm, pdfinfo) is not installed; install poppler-utils"
            ) from exc
        except PDFPopplerTimeoutError as exc:
            raise InputRejected(
                ErrorCode.BOMB,
                f"page {number} of '{source.source_name}' took longer than "
                f"{RENDER_TIMEOUT_S} s to render",
            ) from exc
        except Exception as exc:  # poppler's failures surface as many exception types
            raise _undecodable(source, number, exc) from exc
        if not rendered:
            raise InputRejected(
                ErrorCode.CORRUPT,
                f"page {number} of '{source.source_name}' cannot be decoded: "
                "the renderer produced no image",
            )
        page = rendered[0]
        del rendered
        _check_output_pixels(source, number, page.width, page.height, settings)
        grey = _to_grey(page)
        page.close()
        yield PageImage(number=number, image=grey, dpi=dpi, source_dpi=(float(dpi), float(dpi)))


# --------------------------------------------------------------------------------------
# TIFF, PNG, JPEG
# --------------------------------------------------------------------------------------


def _image_pages(
    source: SourceDocument, settings: Settings, numbers: Sequence[int]
) -> Iterator[PageImage]:
    target = float(settings.page_dpi)
    try:
        container = Image.open(source.path)
    except Exception as exc:  # hostile input can make any parser raise anything
        raise _undecodable(source, numbers[0] if numbers else 1, exc) from exc
    with container:
        for number in numbers:
            try:
                container.seek(number - 1)
                frame: Image.Image = container
                width, height = frame.size
                source_dpi = page_resolution(frame, width, height)
                scale = (target / source_dpi[0], target / source_dpi[1])
                out_w = max(1, round(width * scale[0]))
                out_h = max(1, round(height * scale[1]))
                _check_output_pixels(source, number, out_w, out_h, settings)
                if source.kind is FileKind.JPEG and max(scale) < 0.5:
                    # Decode a big photo at 1/2, 1/4 or 1/8 size directly (libjpeg DCT
                    # scaling): same result after resampling, a fraction of the memory.
                    frame.draft("L", (math.ceil(width * scale[0]), math.ceil(height * scale[1])))
                frame.load()
                if source.kind is FileKind.JPEG and _turns_sideways(frame):
                    source_dpi = (source_dpi[1], source_dpi[0])
                    out_w, out_h = out_h, out_w
                if source.kind is FileKind.JPEG:
                    # Phone photos of forms carry the camera's orientation in EXIF.
                    frame = ImageOps.exif_transpose(frame)
                grey = _to_grey(frame)
            except InputRejected:
                raise
            except Image.DecompressionBombError as exc:
                raise InputRejected(
                    ErrorCode.BOMB, f"page {number} of '{source.source_name}' is enormous"
                ) from exc
            except MemoryError as exc:
                raise InputRejected(
                    ErrorCode.BOMB,
                    f"page {number} of '{source.source_name}' needs too much memory",
                ) from exc
            except Exception as exc:  # hostile input can make any decoder raise anything
                raise _undecodable(source, number, exc) from exc
            image = _resize(grey, out_w, out_h)
            del grey
            yield PageImage(
                number=number, image=image, dpi=settings.page_dpi, source_dpi=source_dpi
            )


def page_resolution(frame: Image.Image, width: int, height: int) -> tuple[float, float]:
    """The (x, y) resolution of one image page: as declared when it describes a believable
    page, else inferred from the page's shape (Letter, A4, Legal), else ``ASSUMED_DPI``."""
    declared = frame.info.get("dpi")
    if declared is not None and _usable_pair(declared):
        x_dpi, y_dpi = float(declared[0]), float(declared[1])
        if frame.mode == "1" and width in FAX_LINE_PIXELS and _far_from(x_dpi, FAX_X_DPI):
            # A fax line is 1728 pixels over 215 mm whatever the tag says (ITU-T T.4);
            # fax software that writes 300 dpi on such a page would shrink it to 5.8 in.
            return (FAX_X_DPI, y_dpi * FAX_X_DPI / x_dpi)
        if _believable_page(width / x_dpi, height / y_dpi):
            return (x_dpi, y_dpi)
    # Only an aspect ratio (TIFF resolution unit "none", PNG pHYs unit unknown, JFIF 0).
    aspect = frame.info.get("resolution") or frame.info.get("aspect")
    y_per_x = (
        float(aspect[1]) / float(aspect[0]) if aspect is not None and _usable_pair(aspect) else 1.0
    )
    square_height = height / y_per_x
    x_dpi = _dpi_from_paper_shape(width, square_height) or ASSUMED_DPI
    return (x_dpi, x_dpi * y_per_x)


def _far_from(value: float, expected: float, tolerance: float = 0.05) -> bool:
    return abs(value - expected) > tolerance * expected


def _usable_pair(value: object) -> bool:
    if not isinstance(value, tuple | list) or len(value) != 2:
        return False
    try:
        return all(math.isfinite(float(v)) and float(v) > 0 for v in value)
    except (TypeError, ValueError):
        return False


def _believable_page(width_in: float, height_in: float) -> bool:
    low, high = _PLAUSIBLE_PAGE_IN
    return low <= min(width_in, height_in) and max(width_in, height_in) <= high


def _dpi_from_paper_shape(width: float, height: float) -> float | None:
    """The resolution at which an image of this size is a whole Letter/A4/Legal page, if
    its shape is one of them (portrait or landscape)."""
    short, long_ = min(width, height), max(width, height)
    if short <= 0:
        return None
    for paper_short, paper_long in PAPER_SIZES_IN:
        if abs(long_ / short - paper_long / paper_short) <= _PAPER_RATIO_TOLERANCE:
            return short / paper_short
    return None


_EXIF_ORIENTATION = 0x0112
_SIDEWAYS_ORIENTATIONS = frozenset({5, 6, 7, 8})


def _turns_sideways(frame: Image.Image) -> bool:
    """Whether the EXIF orientation turns the picture by 90 degrees (width <-> height)."""
    return frame.getexif().get(_EXIF_ORIENTATION, 1) in _SIDEWAYS_ORIENTATIONS


# --------------------------------------------------------------------------------------
# pixels
# --------------------------------------------------------------------------------------


def _to_grey(image: Image.Image) -> np.ndarray:
    """8-bit grey pixels, whatever the mode: bilevel faxes, 16-bit scans, palettes, RGBA
    (transparent areas become white paper)."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        brightest = float(values.max()) if values.size else 0.0
        # 16-bit data spans 0..65535, but some converters store 8-bit values in 16 bits.
        top = 65535.0 if mode.startswith("I;16") and brightest > 255 else max(brightest, 255.0)
        return np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        paper.alpha_composite(rgba)
        image = paper
    if image.mode != "L":
        image = image.convert("L")
    return np.array(image, dtype=np.uint8)  # a writable copy the caller owns


def _resize(grey: np.ndarray, out_w: int, out_h: int) -> np.ndarray:
    height, width = grey.shape[:2]
    if (width, height) == (out_w, out_h):
        return grey
    shrinking = out_w <= width and out_h <= height
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    resized: np.ndarray = cv2.resize(grey, (out_w, out_h), interpolation=interpolation)
    return resized


def _check_output_pixels(
    source: SourceDocument, number: int, width: int, height: int, settings: Settings
) -> None:
    if width * height > settings.max_page_pixels:
        raise InputRejected(
            ErrorCode.BOMB,
            f"page {number} of '{source.source_name}' would be {width}x{height} pixels at "
            f"{settings.page_dpi} dpi; the limit is {settings.max_page_pixels / 1e6:.0f} "
            "megapixels",
        )


def _undecodable(source: SourceDocument, number: int, exc: BaseException) -> InputRejected:
    log.debug("page %d undecodable: %s", number, type(exc).__name__)
    return InputRejected(
        ErrorCode.CORRUPT,
        f"page {number} of '{source.source_name}' cannot be decoded: {short_reason(exc)}",
    )
