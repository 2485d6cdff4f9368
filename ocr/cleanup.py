"""Page and field-crop cleanup with OpenCV, one small function per step.

Each step is switched by ``settings.cleanup.<step>``; what each does to OCR accuracy is
measured in ``docs/ocr.md`` (``binarise`` hurt, so it is off by default).  Every function
takes and returns a 2-D uint8 grey image (0 black ink, 255 white paper) and never
modifies its input.

:func:`clean_page` composes the page steps; :func:`prepare_field_crop` readies a field crop
for :func:`ocr.tesseract.read_text`; :func:`ocr_image` turns a clean page into the image
Tesseract reads best (about 300 dpi, smooth outlines) with the scale to map boxes back.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import cv2
import numpy as np

from faxflow.model import CleanPage, PageImage
from faxflow.settings import Settings
from ocr.tesseract import Orientation, detect_orientation, read_words

OCR_DPI = 300
"""Resolution Tesseract's LSTM reads best at (text x-height of ~20 px for 10 pt)."""

OSD_DPI = 200
"""Orientation detection runs on a copy at this resolution: finer is slower and no more
accurate; coarser (150 dpi, or a 90 dpi scan as it is) made OSD misjudge small text."""

OSD_TRUSTED_CONFIDENCE = 5.0
"""At or above this OSD is trusted; below it a projection profile and a band OCR decide."""

MIN_READING_SCORE = 2.0
"""Least sum of word confidences for the band check to turn a page (about three words)."""

DESKEW_MAX_DEGREES = 6.0
DESKEW_MIN_DEGREES = 0.1
"""Skew below this is left alone: rotating costs sharpness for no OCR gain."""

INK = 128
"""Grey level below which a pixel counts as ink."""


@dataclass(frozen=True, slots=True)
class Rotation:
    """Degrees clockwise to turn a page upright, how sure, and which method decided."""

    degrees: int
    confidence: float
    method: str  # "osd", "profile+ocr" or "none"


# --------------------------------------------------------------------------------------
# Resolution
# --------------------------------------------------------------------------------------


def normalise_resolution(
    image: np.ndarray, *, source_dpi: tuple[float, float], target_dpi: int
) -> np.ndarray:
    """Resample to square pixels at ``target_dpi`` (a 204x98 fax doubles in height).

    Enlarging uses bicubic interpolation, which turns the staircase of a 1-bit fax into
    grey edges Tesseract thresholds more smoothly than pixel doubling; shrinking uses area
    averaging (no aliasing)."""
    xdpi, ydpi = source_dpi
    width = max(1, round(image.shape[1] * target_dpi / xdpi))
    height = max(1, round(image.shape[0] * target_dpi / ydpi))
    if (width, height) == (image.shape[1], image.shape[0]):
        return image.copy()
    shrinking = width * height < image.shape[0] * image.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    resized: np.ndarray = cv2.resize(image, (width, height), interpolation=interpolation)
    return resized


def ocr_image(image: np.ndarray, *, dpi: int, smooth: bool = True) -> tuple[np.ndarray, float]:
    """The image Tesseract should read, and the scale from ``image`` pixels to it.

    Pages below :data:`OCR_DPI` are enlarged bicubically; with ``smooth`` a slight blur
    and re-threshold then rounds off the jagged outlines of binary (fax) glyphs.  Divide
    OCR boxes by the returned scale to get ``image`` coordinates."""
    scale = OCR_DPI / dpi if dpi < OCR_DPI else 1.0
    out = image
    if scale > 1.0:
        out = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    if smooth and is_binary(image):
        blurred = cv2.GaussianBlur(out, (0, 0), sigmaX=0.5 * OCR_DPI / 200)
        out = np.where(blurred < INK, 0, 255).astype(np.uint8)
    return out, scale


# --------------------------------------------------------------------------------------
# Orientation and skew
# --------------------------------------------------------------------------------------


def detect_rotation(image: np.ndarray, *, dpi: int, settings: Settings) -> Rotation:
    """How many degrees clockwise (0/90/180/270) turn the page upright.

    Tesseract OSD decides when it is sure (confidence of at least
    :data:`OSD_TRUSTED_CONFIDENCE`, on a copy at :data:`OSD_DPI`).  Otherwise a projection
    profile tells whether text lines run across or down the page, and a cheap OCR of a
    middle band in the remaining turns (and as it came) picks the one that reads clearly
    best; when none does, the page stays as it came."""
    small = _resize_to(image, dpi=dpi, target=OSD_DPI)
    found: Orientation = detect_orientation(small, settings=settings)
    if found.confidence >= OSD_TRUSTED_CONFIDENCE:
        return Rotation(found.rotate, found.confidence, "osd")
    ink = _ink_at(image, dpi=dpi, target=50)
    if np.count_nonzero(ink) < 50:
        return Rotation(0, 0.0, "none")
    rows = _profile_sharpness(ink.sum(axis=1))
    cols = _profile_sharpness(ink.sum(axis=0))
    if cols > 1.5 * rows:
        sideways = True
    elif rows > 1.5 * cols or found.confidence == 0:
        sideways = False
    else:
        sideways = found.rotate in (90, 270)
    # Leaving the page as it came (0) is always a candidate: a form's boxes can make its
    # column profile look like sideways text.
    turns = (0, 90, 270) if sideways else (0, 180)
    scores = {turn: _reading_score(rotate_quarter(image, turn), dpi, settings) for turn in turns}
    best, other = sorted(turns, key=lambda turn: scores[turn], reverse=True)[:2]
    if scores[best] < MIN_READING_SCORE or scores[best] < 1.5 * scores[other]:
        # No turn reads clearly better (a chart, a photo): leave the page as it came.
        return Rotation(0, 0.0, "none")
    return Rotation(best, found.confidence if best == found.rotate else 0.5, "profile+ocr")


def _reading_score(image: np.ndarray, dpi: int, settings: Settings) -> float:
    """Sum of word confidences over a middle band of the page: text that is upright
    reads as confident words, upside-down text as a few unsure fragments."""
    h = image.shape[0]
    band = image[9 * h // 20 : 11 * h // 20]  # a tenth of the page: a few lines suffice
    words = read_words(band, settings=settings, psm=6, dpi=dpi)
    return float(sum(w.confidence for w in words if len(w.text) > 1))


def rotate_quarter(image: np.ndarray, degrees: int) -> np.ndarray:
    """Turn ``image`` clockwise by 0, 90, 180 or 270 degrees (lossless)."""
    if degrees % 90:
        raise ValueError(f"quarter turns only, not {degrees} degrees")
    return np.ascontiguousarray(np.rot90(image, k=-(degrees // 90) % 4))


def estimate_skew(image: np.ndarray, *, dpi: int) -> float:
    """Skew of the text lines in degrees, positive when the page is turned
    counter-clockwise; 0.0 when there is too little ink to tell.

    Projection-profile search: ink pixels (at ~100 dpi) are projected onto the vertical
    axis at trial angles; the angle whose row histogram is sharpest (largest sum of
    squared differences between neighbouring rows) aligns with the text lines and
    form rules.  Coarse 0.5 degree steps, then 0.05 degree steps around the best."""
    small = _ink_at(image, dpi=dpi, target=100)
    ys, xs = np.nonzero(small)
    if ys.size < 200:
        return 0.0
    if ys.size > 60_000:  # a fixed, evenly spread sample keeps the cost flat per page
        step = ys.size // 60_000 + 1
        ys, xs = ys[::step], xs[::step]
    ys_f = ys.astype(np.float64) - small.shape[0] / 2
    xs_f = xs.astype(np.float64) - small.shape[1] / 2

    def score(degrees: float) -> float:
        theta = math.radians(degrees)
        rows = np.round(ys_f * math.cos(theta) + xs_f * math.sin(theta)).astype(np.int64)
        hist = np.bincount(rows - rows.min())
        return _profile_sharpness(hist)

    coarse = np.arange(-DESKEW_MAX_DEGREES, DESKEW_MAX_DEGREES + 1e-9, 0.5)
    best = max(coarse, key=score)
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.05)
    best = max(fine, key=score)
    # With y pointing down, a page turned counter-clockwise by a has its lines level in
    # the coordinate y*cos(a) + x*sin(a), so the best trial angle is the skew itself.
    return round(float(best), 2)


def rotate_small(image: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate by ``degrees`` counter-clockwise about the centre, same size, white fill."""
    h, w = image.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    rotated: np.ndarray = cv2.warpAffine(
        image, matrix, (w, h), flags=cv2.INTER_CUBIC, borderValue=255
    )
    return rotated


def deskew(image: np.ndarray, *, dpi: int) -> tuple[np.ndarray, float]:
    """The straightened image and the skew (degrees, counter-clockwise positive) removed."""
    angle = estimate_skew(image, dpi=dpi)
    if abs(angle) < DESKEW_MIN_DEGREES:
        return image.copy(), 0.0
    out = rotate_small(image, -angle)
    if is_binary(image):
        out = np.where(out < INK, 0, 255).astype(np.uint8)
    return out, angle


# --------------------------------------------------------------------------------------
# Noise, background, binarisation, borders
# --------------------------------------------------------------------------------------


def despeckle(
    image: np.ndarray,
    *,
    dpi: int,
    max_area: float = 8.0,
    reach: float = 4.0,
    placement: bool = True,
) -> np.ndarray:
    """Remove specks: ink blobs of at most ``max_area`` pixels that are not punctuation.

    A speck far from any letter is noise.  One near a letter is kept only where
    punctuation sits (with ``placement``): above a letter (dots of i and j), at a
    neighbouring letter's baseline (period, comma) or at its top (apostrophe, quote).
    Specks at mid-height beside letters, which Tesseract reads as stray characters, go.
    ``max_area`` and ``reach`` are pixels at 200 dpi and scale with ``dpi``."""
    ink = _ink(image).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 1:
        return image.copy()
    scale = dpi / 200
    areas = stats[:, cv2.CC_STAT_AREA]
    small = areas <= max(2, round(max_area * scale * scale))
    small[0] = False  # background
    if not small.any():
        return image.copy()
    big_mask = ((~small)[labels] & (labels > 0)).astype(np.uint8)
    r = max(1, round(reach * scale))
    # The reach of the placement rules below: 3r above/below a letter, 2r beside it.
    near_big = cv2.dilate(big_mask, np.ones((6 * r + 1, 4 * r + 1), np.uint8)) > 0
    near = np.zeros(count, dtype=bool)
    near[np.unique(labels[near_big & small[labels]])] = True
    keep = near & small
    if placement:
        for label in np.flatnonzero(keep):
            keep[label] = _placed_like_punctuation(int(label), labels, stats, small, r)
    drop = small & ~keep
    out = image.copy()
    out[drop[labels]] = 255
    return out


def _placed_like_punctuation(
    label: int, labels: np.ndarray, stats: np.ndarray, small: np.ndarray, r: int
) -> bool:
    x, y, w, h = (int(v) for v in stats[label, :4])
    bottom, centre_x = y + h, x + w / 2
    y0, y1 = max(0, y - 3 * r), min(labels.shape[0], bottom + 3 * r)
    x0, x1 = max(0, x - 2 * r), min(labels.shape[1], x + w + 2 * r)
    for other in np.unique(labels[y0:y1, x0:x1]):
        if other == 0 or small[other]:
            continue
        bx, by, bw, bh = (int(v) for v in stats[other, :4])
        dot_above = bx - 1 <= centre_x <= bx + bw + 1 and 0 <= by - bottom <= 3 * r
        beside = -1 <= x - (bx + bw) <= 2 * r or -1 <= bx - (x + w) <= 2 * r
        on_baseline = -r <= bottom - (by + bh) <= 2 * r
        at_top = abs(y - by) <= r
        if dot_above or (beside and (on_baseline or at_top)):
            return True
    return False


def remove_blobs(image: np.ndarray, *, dpi: int) -> np.ndarray:
    """Whiten photographs and solid black areas: ink components of more than ~0.4 square
    inch that fill over a third of their box, with everything inside their outline.

    Tesseract reads halftone and black boxes as lines of junk characters; text, form
    rules and frames (a frame fills little of its box) are far below these limits."""
    ink = _ink(image).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    boxes = stats[1:, cv2.CC_STAT_WIDTH] * stats[1:, cv2.CC_STAT_HEIGHT]
    big = np.flatnonzero((areas > (0.65 * dpi) ** 2) & (areas > boxes / 3)) + 1
    out = image.copy()
    if big.size == 0:
        return out
    mask = np.isin(labels, big).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(mask)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    halo = max(1, round(dpi / 100))
    grown = cv2.dilate(filled, np.ones((2 * halo + 1, 2 * halo + 1), np.uint8))
    out[grown > 0] = 255
    return out


def normalise_background(image: np.ndarray, *, dpi: int) -> np.ndarray:
    """Flatten uneven paper (shadows, yellowing, JPEG tint): divide by the background.

    The background is the page after a grey closing wider than any stroke (ink vanishes,
    paper stays), smoothed; binary images are returned unchanged."""
    if is_binary(image):
        return image.copy()
    size = max(15, round(dpi / 10)) | 1
    small_kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    background = cv2.morphologyEx(image, cv2.MORPH_CLOSE, small_kernel)
    background = cv2.GaussianBlur(background, (0, 0), sigmaX=size / 2)
    flat = image.astype(np.float32) * 255.0 / np.maximum(background.astype(np.float32), 1.0)
    return np.clip(flat, 0, 255).astype(np.uint8)


def binarise(image: np.ndarray) -> np.ndarray:
    """Otsu threshold to 0/255 (after :func:`normalise_background` a global threshold is
    as good as a local one and far cheaper)."""
    if is_binary(image):
        return image.copy()
    _, out = cv2.threshold(image, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return out


def remove_border(image: np.ndarray, *, max_fraction: float = 0.06) -> np.ndarray:
    """Whiten dark bands along the edges (scanner lid, fax edge, photocopy shadow).

    Rows and columns within ``max_fraction`` of an edge that are more than half ink,
    and everything outside them, become white.  Text is never half ink along a whole row."""
    out = image.copy()
    ink = _ink(image)
    h, w = ink.shape
    row_dark = ink.mean(axis=1) > 0.5
    col_dark = ink.mean(axis=0) > 0.5
    limit_y, limit_x = max(1, round(h * max_fraction)), max(1, round(w * max_fraction))
    top = _last_true(row_dark[:limit_y])
    bottom = _last_true(row_dark[::-1][:limit_y])
    left = _last_true(col_dark[:limit_x])
    right = _last_true(col_dark[::-1][:limit_x])
    if top:
        out[:top] = 255
    if bottom:
        out[h - bottom :] = 255
    if left:
        out[:, :left] = 255
    if right:
        out[:, w - right :] = 255
    return out


def remove_lines(crop: np.ndarray, *, dpi: int = 200) -> np.ndarray:
    """Erase horizontal rules and comb-box walls from a field crop, keep the writing.

    Horizontal rules: ink runs longer than a quarter of the crop (and at least ~0.2 in),
    found after bridging the one- and two-pixel gaps fax noise punches into them.
    Vertical walls: runs taller than most of the crop (comb cells and box sides span it;
    letters, which sit inside, do not)."""
    ink = _ink(crop).astype(np.uint8)
    h, w = ink.shape
    if h < 3 or w < 3:
        return crop.copy()
    bridged = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((1, 3), np.uint8))
    run_x = min(w, max(round(dpi * 0.2), w // 4))
    horizontal = cv2.morphologyEx(bridged, cv2.MORPH_OPEN, np.ones((1, run_x), np.uint8))
    tall = max(3, round(h * 0.85))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((tall, 1), np.uint8))
    lines = np.maximum(
        cv2.dilate(horizontal, np.ones((3, 1), np.uint8)),
        cv2.dilate(vertical, np.ones((1, 3), np.uint8)),
    )
    out = crop.copy()
    out[lines > 0] = 255  # with the grey fringe a rule leaves after resampling
    # Strokes that crossed a rule lost a sliver; a small vertical closing bridges it.
    healed = cv2.morphologyEx(
        _ink(out).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 1), np.uint8)
    )
    out[(healed > 0) & (lines > 0)] = 0
    return _drop_rule_debris(out, horizontal)


def _drop_rule_debris(image: np.ndarray, horizontal: np.ndarray) -> np.ndarray:
    """Whiten leftover pieces of a broken rule: ink blobs lying wholly within the rows
    of a removed rule (two pixels either side).  Writing that crosses a rule reaches
    above it, so it stays; so do hyphens, which sit at mid-height."""
    rule_rows = np.flatnonzero(horizontal.any(axis=1))
    if rule_rows.size == 0:
        return image
    band = np.zeros(image.shape[0], dtype=bool)
    for row in rule_rows:
        band[max(0, row - 2) : row + 3] = True
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        _ink(image).astype(np.uint8), connectivity=8
    )
    debris = np.zeros(count, dtype=bool)
    for label in range(1, count):
        top, height = int(stats[label, cv2.CC_STAT_TOP]), int(stats[label, cv2.CC_STAT_HEIGHT])
        debris[label] = bool(band[top : top + height].all())
    out = image.copy()
    out[debris[labels]] = 255
    return out


# --------------------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------------------


def clean_page(page: PageImage, settings: Settings) -> CleanPage:
    """Upright, straight, clean page at the page's own dpi (boxes map to ``page.image``
    after the same rotation).  Steps follow ``settings.cleanup``."""
    started = time.perf_counter()
    switches = settings.cleanup
    dpi = page.dpi
    image = page.image
    if image.ndim != 2 or image.dtype != np.uint8:
        raise ValueError("clean_page needs a 2-D uint8 grey page image")
    if switches.border:
        image = remove_border(image)
    if switches.blobs:
        image = remove_blobs(image, dpi=dpi)
    rotation = 0
    if switches.orientation:
        rotation = detect_rotation(image, dpi=dpi, settings=settings).degrees
        image = rotate_quarter(image, rotation)
    skew = 0.0
    if switches.deskew:
        image, skew = deskew(image, dpi=dpi)
    if switches.normalise_background:
        image = normalise_background(image, dpi=dpi)
    if switches.binarise:
        image = binarise(image)
    if switches.despeckle:
        image = despeckle(image, dpi=dpi)
    return CleanPage(
        number=page.number,
        image=image,
        dpi=dpi,
        rotation=rotation,
        skew_degrees=skew,
        seconds=time.perf_counter() - started,
    )


def prepare_field_crop(crop: np.ndarray, *, dpi: int, settings: Settings) -> np.ndarray:
    """A field crop ready for :func:`ocr.tesseract.read_text`: rules and comb walls
    removed (``settings.cleanup.remove_lines``), specks removed
    (``settings.cleanup.despeckle``), enlarged to ~300 dpi, white margin."""
    if crop.ndim != 2 or crop.dtype != np.uint8 or crop.size == 0:
        raise ValueError("prepare_field_crop needs a non-empty 2-D uint8 crop")
    out = remove_lines(crop, dpi=dpi) if settings.cleanup.remove_lines else crop
    if settings.cleanup.despeckle:
        out = despeckle(out, dpi=dpi)
    out, _ = ocr_image(out, dpi=dpi, smooth=False)
    pad = max(8, round(0.05 * OCR_DPI))
    padded: np.ndarray = cv2.copyMakeBorder(out, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    return padded


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def is_binary(image: np.ndarray) -> bool:
    """Whether every pixel is 0 or 255 (a fax or an already binarised page)."""
    sample = image[:: max(1, image.shape[0] // 200)]
    return bool(np.isin(sample, (0, 255)).all())


def _ink(image: np.ndarray) -> np.ndarray:
    ink: np.ndarray = image < INK
    return ink


def _ink_at(image: np.ndarray, *, dpi: int, target: int) -> np.ndarray:
    """Ink mask at a lower resolution: a small pixel counts if a fifth of it was ink, so
    thin strokes survive the reduction (thresholding a shrunk grey image loses them)."""
    mask = _ink(image).astype(np.uint8) * 255
    small: np.ndarray = _resize_to(mask, dpi=dpi, target=target) > 50
    return small


def _resize_to(image: np.ndarray, *, dpi: int, target: int) -> np.ndarray:
    if dpi == target:
        return image
    return normalise_resolution(image, source_dpi=(dpi, dpi), target_dpi=target)


def _profile_sharpness(profile: np.ndarray) -> float:
    diffs = np.diff(profile.astype(np.float64))
    return float(np.dot(diffs, diffs))


def _last_true(flags: np.ndarray) -> int:
    """How many leading entries to clear: up to and including the last True."""
    hits = np.flatnonzero(flags)
    return int(hits[-1]) + 1 if hits.size else 0
