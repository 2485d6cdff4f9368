"""Make clean page images look like they went through a fax machine or an office scanner.

One function, :func:`degrade_page`, turns a clean grey page (rendered at about 300 dpi)
into what a receiving machine stores, and :func:`write_document` writes the pages as the
file a health centre would drop in the watched folder, with the true resolution in it:

=============== ================================ ==========================================
profile         pages                            file
=============== ================================ ==========================================
``fax_fine``    1-bit, 204 x 196 dpi, 1728 wide  multi-page TIFF, CCITT Group 4
``fax_standard`` 1-bit, 204 x 98 dpi (anisotropic) multi-page TIFF, CCITT Group 3
``scan_grey``   8-bit grey, 200-300 dpi, skewed  PDF with one JPEG image per page
``scan_rotated`` like ``scan_grey``, page turned   PDF with one JPEG image per page
``with_cover``  like ``fax_fine``                multi-page TIFF, CCITT Group 4
=============== ================================ ==========================================

Fax pages carry the sending machine's header line, threshold noise from binarisation,
speckle, streaks from dirty scanner glass and (standard resolution) dropped scan lines.
The amounts were set by looking at the real faxes in ``../shared/realdata/fax_tiff``
(``fax2d.tif``, ``g3test.tif``, ``CCITT_*.TIF``): the synthetic ones are no cleaner.

The OCR package uses :func:`degrade_page` to re-fax the UNLV ground-truth pages, so it
takes any grey page, not only form pages.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from faxflow.errors import ConfigError

FAX_PROFILES = ("fax_fine", "fax_standard", "with_cover")
SCAN_PROFILES = ("scan_grey", "scan_rotated")
PROFILES = ("fax_fine", "fax_standard", "scan_grey", "scan_rotated", "with_cover")

FAX_WIDTH_PX = 1728  # every ITU-T T.4 machine scans a 215 mm line into 1728 pixels
FAX_XDPI = 204.0
FAX_YDPI = {"fax_fine": 196.0, "fax_standard": 98.0, "with_cover": 196.0}
SCAN_DPI_CHOICES = (200, 200, 200, 240, 300, 300)  # office scanners default to 200 dpi
SCAN_JPEG_QUALITY = 40  # moderate: text stays legible, a 21-page application stays small
FIXED_PDF_DATE = time.gmtime(1_577_836_800)  # 2020-01-01 UTC, as Pillow's PDF writer wants it
HEADER_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")

_FAX_SENDERS = (
    "COUNTY HEALTH DEPT",
    "FAMILY CLINIC",
    "COMMUNITY HEALTH CTR",
    "URGENT CARE EAST",
    "DHHS FIELD OFFICE",
    "MERCY MEDICAL GRP",
)


@dataclass(frozen=True, slots=True, eq=False)
class DegradedPage:
    """One page as the receiving machine stores it.

    ``image`` is uint8: only 0 and 255 for fax profiles, grey for scan profiles.
    ``dpi`` is the true (x, y) resolution of ``image``; ``turned`` is how many degrees
    clockwise the page was turned on the scanner glass (0, 90, 180 or 270), and
    ``skew_degrees`` the small tilt added (positive = counter-clockwise).
    """

    image: np.ndarray
    dpi: tuple[float, float]
    turned: int = 0
    skew_degrees: float = 0.0


def check_profile(profile: str) -> str:
    """``profile`` if it is one of :data:`PROFILES`, else a :class:`ConfigError`."""
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    return profile


def is_fax(profile: str) -> bool:
    return check_profile(profile) in FAX_PROFILES


def fax_header(rng: np.random.Generator, *, page: int = 1, sender: str | None = None) -> str:
    """A synthetic sending-machine header such as
    ``03/14/2020 09:41  FROM COUNTY HEALTH DEPT  555 0142  P.01``. The number is in the
    fictional 555-01xx range; the date is free of meaning."""
    month, day = int(rng.integers(1, 13)), int(rng.integers(1, 29))
    hour, minute = int(rng.integers(7, 19)), int(rng.integers(0, 60))
    name = sender or _FAX_SENDERS[int(rng.integers(len(_FAX_SENDERS)))]
    number = f"{int(rng.integers(200, 990))} 555 01{int(rng.integers(0, 100)):02d}"
    stamp = f"{month:02d}/{day:02d}/2020 {hour:02d}:{minute:02d}"
    return f"{stamp}   FROM {name}   {number}   P.{page:02d}"


def degrade_page(
    image: np.ndarray,
    *,
    profile: str,
    dpi: int,
    rng: np.random.Generator,
    header: str | None = None,
    turn: int | None = None,
    scan_dpi: int | None = None,
) -> DegradedPage:
    """Degrade one clean grey page (uint8, white paper, rendered at ``dpi``) as ``profile``.

    Fax profiles get ``header`` (default: a random :func:`fax_header`) printed along the
    top edge. ``turn`` (degrees clockwise) applies to ``scan_rotated``; by default a
    random 90, 180 or 270. ``scan_dpi`` fixes the scan resolution (default: one of
    :data:`SCAN_DPI_CHOICES`), so all pages of one document share it.
    """
    check_profile(profile)
    if image.ndim != 2 or image.dtype != np.uint8:
        raise ConfigError("degrade_page needs a 2-D uint8 grey image")
    if not 72 <= dpi <= 1200:
        raise ConfigError(f"input resolution {dpi} dpi is outside 72-1200")
    if profile in FAX_PROFILES:
        return _fax(image, profile=profile, dpi=dpi, rng=rng, header=header)
    if profile == "scan_rotated" and turn is None:
        turn = int(rng.choice([90, 180, 270]))
    return _scan(
        image,
        dpi=dpi,
        rng=rng,
        turn=turn or 0,
        scan_dpi=scan_dpi or int(rng.choice(SCAN_DPI_CHOICES)),
    )


# --------------------------------------------------------------------------------------
# Fax
# --------------------------------------------------------------------------------------


def _fax(
    image: np.ndarray, *, profile: str, dpi: int, rng: np.random.Generator, header: str | None
) -> DegradedPage:
    ydpi = FAX_YDPI[profile]
    page = _with_header(image, header if header is not None else fax_header(rng), dpi=dpi)
    skew = float(rng.uniform(-0.8, 0.8))
    page = _rotate(page, skew, fill=255)
    # The sender's scanner: optics blur a little before sampling.
    page = cv2.GaussianBlur(page, (0, 0), sigmaX=0.6 * dpi / 300)
    width = round(page.shape[1] * FAX_XDPI / dpi)
    height = round(page.shape[0] * ydpi / dpi)
    grey = cv2.resize(page, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)
    grey = _fit_width(grey, FAX_WIDTH_PX)
    # Sensor noise, then a threshold that drifts across the page (uneven lamp, toner).
    grey += rng.standard_normal(grey.shape, dtype=np.float32) * 14.0
    threshold = 150.0 + _smooth_field(grey.shape, rng, cells=6, amplitude=28.0)
    black = grey < threshold
    _speckle(black, rng, density=float(rng.uniform(1.5e-4, 4e-4)))
    _streaks(black, rng)
    if profile == "fax_standard":
        _drop_lines(black, rng)
    out = np.where(black, 0, 255).astype(np.uint8)
    return DegradedPage(image=out, dpi=(FAX_XDPI, ydpi), skew_degrees=skew)


def _with_header(page: np.ndarray, text: str, *, dpi: int) -> np.ndarray:
    """Put the transmit header in a band above the page, as the sending machine does; the
    page slides down and its bottom edge is lost, so the size stays the same."""
    size = max(8, round(8 * dpi / 72))
    band = round(size * 1.6)
    strip = Image.new("L", (page.shape[1], band), 255)
    ImageDraw.Draw(strip).text(
        (round(0.25 * dpi), round(size * 0.3)), text, font=_font(size), fill=0
    )
    return np.vstack([np.asarray(strip), page[: page.shape[0] - band]])


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(HEADER_FONT), size)


def _fit_width(grey: np.ndarray, width: int) -> np.ndarray:
    """Centre the page on a fixed scan line: crop or pad with white."""
    have = grey.shape[1]
    if have >= width:
        left = (have - width) // 2
        return grey[:, left : left + width]
    pad = width - have
    return cv2.copyMakeBorder(
        grey, 0, 0, pad // 2, pad - pad // 2, cv2.BORDER_CONSTANT, value=255.0
    )


def _smooth_field(
    shape: tuple[int, ...], rng: np.random.Generator, *, cells: int, amplitude: float
) -> np.ndarray:
    """Low-frequency random surface in [-amplitude, amplitude] (bicubic upsampled grid)."""
    coarse = rng.uniform(-amplitude, amplitude, (cells, cells)).astype(np.float32)
    return cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _speckle(black: np.ndarray, rng: np.random.Generator, *, density: float) -> None:
    """Isolated black dots and small clumps (dust, toner) and a few white drop-outs."""
    h, w = black.shape
    count = int(density * h * w)
    ys = rng.integers(0, h - 3, count)
    xs = rng.integers(0, w - 3, count)
    sizes = rng.choice([1, 1, 1, 2, 2, 3], count)
    for y, x, s in zip(ys, xs, sizes, strict=True):
        black[y : y + s, x : x + s] = True
    holes = int(count * 0.6)
    black[rng.integers(0, h, holes), rng.integers(0, w, holes)] = False


def _streaks(black: np.ndarray, rng: np.random.Generator) -> None:
    """Vertical streaks (dirt on the scanner glass) and the odd horizontal smear."""
    h, w = black.shape
    for _ in range(int(rng.choice([0, 1, 1, 2]))):
        x = int(rng.integers(0, w - 3))
        width = int(rng.integers(1, 3))
        dirt = np.less(rng.random(h), rng.uniform(0.3, 0.9))
        # Dirt smears in runs, not single pixels: dilate the on/off pattern vertically.
        on: np.ndarray = np.convolve(dirt.astype(np.float32), np.ones(7, np.float32), "same") > 2
        if rng.random() < 0.5:  # some streaks start part-way down the page
            on[: int(rng.integers(0, h // 2))] = False
        black[on, x : x + width] = True
    for _ in range(int(rng.integers(0, 3))):
        y = int(rng.integers(0, h - 2))
        x0 = int(rng.integers(0, w // 2))
        length = int(rng.integers(w // 10, w // 2))
        keep = rng.random(length) < 0.7
        black[y, x0 : x0 + length] |= keep[: max(0, min(length, w - x0))]


def _drop_lines(black: np.ndarray, rng: np.random.Generator) -> None:
    """Line errors of a noisy phone line: a scan line lost (white) or repeated."""
    h = black.shape[0]
    for y in rng.choice(np.arange(1, h), size=max(1, int(h * 0.004)), replace=False):
        if rng.random() < 0.5:
            black[y] = False
        else:
            black[y] = black[y - 1]


# --------------------------------------------------------------------------------------
# Scanner
# --------------------------------------------------------------------------------------


def _scan(
    image: np.ndarray, *, dpi: int, rng: np.random.Generator, turn: int, scan_dpi: int
) -> DegradedPage:
    if turn not in (0, 90, 180, 270):
        raise ConfigError(f"a page can be turned by 0, 90, 180 or 270 degrees, not {turn}")
    skew = float(rng.uniform(-3.0, 3.0))
    scale = scan_dpi / dpi
    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    page = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    page = _rotate(page, skew, fill=255)
    page = cv2.GaussianBlur(page, (0, 0), sigmaX=float(rng.uniform(0.5, 1.2)))
    h, w = page.shape
    # Paper is never white and ink never black; the lamp lights the glass unevenly. Both
    # vary slowly, so they are drawn on a coarse grid and stretched (fast at 300 dpi).
    coarse = (max(4, h // 16), max(4, w // 16))
    paper = float(rng.uniform(215, 242)) + _smooth_field(
        coarse, rng, cells=4, amplitude=float(rng.uniform(6, 16))
    )
    paper -= _edge_shadow(coarse, rng)
    ink = float(rng.uniform(20, 60))
    span = cv2.resize((paper - ink) / 255.0, (w, h), interpolation=cv2.INTER_LINEAR)
    out = cv2.multiply(page, span, dtype=cv2.CV_32F) + ink
    # Sensor noise is mild after the scanner's own smoothing; a repeated 256 px tile of it
    # is indistinguishable from fresh noise and much cheaper.
    tile = rng.standard_normal((256, 256), dtype=np.float32) * float(rng.uniform(1.0, 2.5))
    out += np.tile(tile, (h // 256 + 1, w // 256 + 1))[:h, :w]
    result = cv2.convertScaleAbs(out)  # saturates to 0..255
    if turn:
        result = np.ascontiguousarray(np.rot90(result, k=-(turn // 90)))
    return DegradedPage(
        image=result, dpi=(float(scan_dpi), float(scan_dpi)), turned=turn, skew_degrees=skew
    )


def _edge_shadow(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Darkening along one edge where the lid did not close on the book spine."""
    h, w = shape
    depth = float(rng.uniform(0, 45))
    reach = max(1.0, float(rng.uniform(0.02, 0.06)) * w)
    ramp = np.exp(-np.arange(w, dtype=np.float32) / reach) * depth
    if rng.random() < 0.5:
        ramp = ramp[::-1]
    return np.broadcast_to(ramp[None, :], (h, w))


# --------------------------------------------------------------------------------------
# Shared helpers and file output
# --------------------------------------------------------------------------------------


def _rotate(image: np.ndarray, degrees: float, *, fill: int) -> np.ndarray:
    """Rotate about the centre, keeping the size (a tilted page on the glass)."""
    if abs(degrees) < 1e-3:
        return image
    h, w = image.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(
        image,
        matrix,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )


def file_suffix(profile: str) -> str:
    """``.tif`` for fax profiles, ``.pdf`` for scan profiles."""
    return ".tif" if is_fax(profile) else ".pdf"


def write_document(pages: Sequence[DegradedPage], profile: str, path: Path) -> Path:
    """Write ``pages`` as the profile's file type with the true resolution in it.

    Fax profiles: multi-page 1-bit TIFF (Group 4, or Group 3 for ``fax_standard``) with
    XResolution/YResolution of each page. Scan profiles: a PDF with one JPEG per page
    whose page size is the image size at its resolution. Returns ``path``.
    """
    if not pages:
        raise ConfigError("write_document needs at least one page")
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_fax(profile):
        frames = [Image.fromarray(p.image >= 128) for p in pages]
        compression = "group3" if profile == "fax_standard" else "group4"
        first, rest = frames[0], frames[1:]
        first.save(
            path,
            format="TIFF",
            save_all=True,
            append_images=rest,
            compression=compression,
            dpi=pages[0].dpi,
        )
        return path
    images = [Image.fromarray(p.image, mode="L") for p in pages]
    dpis = {p.dpi for p in pages}
    if len(dpis) != 1:
        raise ConfigError("all pages of a scanned PDF must share one resolution")
    xdpi, _ = dpis.pop()
    images[0].save(
        path,
        format="PDF",
        save_all=True,
        append_images=images[1:],
        resolution=xdpi,
        quality=SCAN_JPEG_QUALITY,
        optimize=True,
        # A fixed stamp instead of "now": the same seed gives the same bytes.
        creationDate=FIXED_PDF_DATE,
        modDate=FIXED_PDF_DATE,
    )
    return path


def page_inches(page: DegradedPage) -> tuple[float, float]:
    """Physical size (width, height) in inches the page's pixels and resolution imply."""
    h, w = page.image.shape
    return (w / page.dpi[0], h / page.dpi[1])


__all__ = [
    "FAX_PROFILES",
    "PROFILES",
    "SCAN_PROFILES",
    "DegradedPage",
    "check_profile",
    "degrade_page",
    "fax_header",
    "file_suffix",
    "is_fax",
    "page_inches",
    "write_document",
]
