"""Digits read one glyph at a time by a small classifier trained on rendered digits.

Comb fields (SSNs, phone numbers) put one digit in each printed box, so where each
character is is known and only *which* digit it is must be decided. Tesseract reads a
strip of such boxes as a line and slips on exactly what matters here: typewriter zeros
with a dot or slash read as 8, 6 or 9, and a dropped or doubled character shifts every
later digit. A classifier that sees one box at a time cannot shift: trained on the digits
of the machine's typed font faces and of the generator's tune-split hand-printed faces,
under fax-like damage and, for the hand faces, each writer's slant, pen and wobble, it
misreads fewer box cells than Tesseract, and :func:`extract.read.read_comb` asks both and
takes the classifier's digit where it is sure. The same classifier reads
short numbers and numeric dates in text zones glyph by glyph
(:func:`extract.read.read_zone_digits`); its eleventh class, :data:`NOT_A_DIGIT`, is any
other mark written among digits (slashes, hyphens, brackets, points).

The model is an ensemble of small multi-layer perceptrons stored as plain arrays in
``extract/models/digit_cells.npz`` (trained by ``faxflow digits train``, see
:mod:`extract.digit_training`); reading it needs NumPy only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

MODEL_PATH = Path(__file__).parent / "models" / "digit_cells.npz"
GLYPH_PX = 24  # the glyph is scaled to fit (GLYPH_PX - 4) px inside a GLYPH_PX square
HOG_CELL_PX = 6
HOG_BINS = 8
PIXEL_GRID = 12  # the glyph's grey levels, averaged down to a PIXEL_GRID square
NOT_A_DIGIT = 10  # the class of slashes, hyphens, brackets and points
MIN_GLYPH_PIXELS = 6  # a largest ink component smaller than this is a speck, not a digit


@dataclass(frozen=True, slots=True)
class Glyph:
    """A box's ink, cut to its bounding box and scaled into a square (ink = 1.0)."""

    image: np.ndarray  # float32, GLYPH_PX x GLYPH_PX
    aspect: float  # width / height of the ink before scaling (a 1 is narrow)


@dataclass(frozen=True, slots=True)
class DigitGuess:
    """The classifier's digit for one box and its probability (0..1); ``digit`` is ""
    when the box holds a mark that is no digit (a slash, hyphen, bracket or point)."""

    digit: str
    probability: float


def glyph_of(cell: np.ndarray) -> Glyph | None:
    """The digit-like ink of a grey box cell (dark ink on white), or None when the cell
    holds only specks.

    The largest ink component is the glyph's body; other components join it when they
    overlap its columns and sit near it (a fax breaks a 6 into pieces), so specks and
    leftovers beside it do not change the glyph's scale."""
    grey = np.asarray(cell, dtype=np.uint8)
    if grey.size == 0:
        return None
    level, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Otsu within the cell follows pale grey scans; clipped so that a clean white cell
    # (Otsu meaningless) and a very dark one keep a sensible level.
    ink = (grey < min(max(level, 120), 215)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 1:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    main = int(np.argmax(areas)) + 1
    if areas[main - 1] < MIN_GLYPH_PIXELS:
        return None
    mx0, my0, mw, mh = (int(v) for v in stats[main, :4])
    keep = np.zeros(count, dtype=bool)
    keep[main] = True
    for k in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[k])
        if k == main or area < max(3, 0.04 * areas[main - 1]):
            continue
        beside = min(x + w, mx0 + mw + 3) - max(x, mx0 - 3)  # > 0: columns overlap or touch
        rows = min(y + h, my0 + mh) - max(y, my0)  # rows shared with the body
        below_or_above = beside > 0 and y < my0 + mh + 4 and y + h > my0 - 4
        alongside = beside > -3 and rows > h / 2
        if below_or_above or alongside:
            keep[k] = True
    selected = keep[labels]
    ys, xs = np.nonzero(selected)
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    y0, y1 = _without_tails(selected[:, x0:x1], y0, y1)
    crop = np.where(selected[y0:y1, x0:x1], 255 - grey[y0:y1, x0:x1], 0).astype(np.float32)
    height, width = crop.shape
    scale = (GLYPH_PX - 4) / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    small = cv2.resize(crop, (new_w, new_h), interpolation=cv2.INTER_AREA)
    image = np.zeros((GLYPH_PX, GLYPH_PX), np.float32)
    left, top = (GLYPH_PX - new_w) // 2, (GLYPH_PX - new_h) // 2
    image[top : top + new_h, left : left + new_w] = small
    peak = float(image.max())
    if peak > 0:
        image /= peak
    return Glyph(image=image, aspect=width / height)


MAX_TAIL_SHARE = 0.3  # at most this share of the glyph's height is trimmed as tails
TAIL_WIDTH_PX = 1  # fax streaks are one pixel wide; a stroke is two or more


def _without_tails(selected: np.ndarray, top: int, bottom: int) -> tuple[int, int]:
    """Rows ``top:bottom`` less a thin vertical run sticking out above or below: the tail
    of a fax streak that crosses the box, which would otherwise shrink the digit when it
    is scaled to the glyph square (and make an 8 with a tail look like a 3)."""
    widths = np.count_nonzero(selected[top:bottom], axis=1)
    limit = int((bottom - top) * MAX_TAIL_SHARE)
    cut_top = 0
    while cut_top < limit and 0 < widths[cut_top] <= TAIL_WIDTH_PX:
        cut_top += 1
    cut_bottom = 0
    while cut_bottom < limit and 0 < widths[-1 - cut_bottom] <= TAIL_WIDTH_PX:
        cut_bottom += 1
    # A run shorter than 3 rows is a serif or a stroke's rounded end, not a tail.
    top += cut_top if cut_top >= 3 else 0
    bottom -= cut_bottom if cut_bottom >= 3 else 0
    return top, bottom


def glyph_features(glyph: Glyph) -> np.ndarray:
    """Histograms of gradient directions per 6 px cell, the coarse grey levels and the
    aspect ratio: what tells digits apart whatever the face, weight and size."""
    image = glyph.image
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.hypot(gx, gy)
    angle = (np.arctan2(gy, gx) % (2 * np.pi)) / (2 * np.pi) * HOG_BINS
    low = np.floor(angle)
    share = angle - low
    low_bin = low.astype(np.int64) % HOG_BINS
    cells = GLYPH_PX // HOG_CELL_PX
    # Soft binning: each pixel's magnitude is split between its two nearest directions.
    cell_index = (np.arange(GLYPH_PX) // HOG_CELL_PX)[:, None] * cells + (
        np.arange(GLYPH_PX) // HOG_CELL_PX
    )[None, :]
    flat_low = (cell_index * HOG_BINS + low_bin).ravel()
    flat_high = (cell_index * HOG_BINS + (low_bin + 1) % HOG_BINS).ravel()
    size = cells * cells * HOG_BINS
    hog = np.bincount(flat_low, weights=(magnitude * (1 - share)).ravel(), minlength=size).astype(
        np.float64
    )
    hog += np.bincount(flat_high, weights=(magnitude * share).ravel(), minlength=size)
    hog /= np.linalg.norm(hog) + 1e-6
    grid = cv2.resize(image, (PIXEL_GRID, PIXEL_GRID), interpolation=cv2.INTER_AREA).ravel()
    return np.concatenate([hog, grid * 0.5, [glyph.aspect]]).astype(np.float32)


@dataclass(frozen=True, slots=True, eq=False)
class DigitModel:
    """An ensemble of ReLU perceptrons with a softmax output over the digits 0-9 and, as
    class 10, any other mark (:data:`NOT_A_DIGIT`)."""

    members: tuple[tuple[tuple[np.ndarray, np.ndarray], ...], ...]  # per member: (W, b) per layer
    about: dict[str, object]

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Mean class probabilities of the members, one row per feature row."""
        classes = self.members[0][-1][1].shape[0]
        total = np.zeros((features.shape[0], classes), dtype=np.float64)
        for layers in self.members:
            activation = features.astype(np.float64)
            for index, (weights, bias) in enumerate(layers):
                activation = activation @ weights + bias
                if index < len(layers) - 1:
                    activation = np.maximum(activation, 0.0)
            activation -= activation.max(axis=1, keepdims=True)
            odds = np.exp(activation)
            total += odds / odds.sum(axis=1, keepdims=True)
        return total / len(self.members)


def save_digit_model(
    path: Path,
    members: Sequence[Sequence[tuple[np.ndarray, np.ndarray]]],
    about: dict[str, object],
) -> None:
    """Write an ensemble as named arrays (``m{member}_w{layer}``, ``m{member}_b{layer}``)
    plus ``about`` as JSON: no pickle, so loading never runs code."""
    arrays: dict[str, np.ndarray] = {"about": np.array(json.dumps(about, sort_keys=True))}
    for m, layers in enumerate(members):
        for i, (weights, bias) in enumerate(layers):
            arrays[f"m{m}_w{i}"] = np.asarray(weights, dtype=np.float32)
            arrays[f"m{m}_b{i}"] = np.asarray(bias, dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]  # stub's first keyword


def load_digit_model(path: Path = MODEL_PATH) -> DigitModel:
    """Read a model written by :func:`save_digit_model` (cached per path)."""
    return _load(path.resolve())


@lru_cache(maxsize=4)
def _load(path: Path) -> DigitModel:
    with np.load(path, allow_pickle=False) as data:
        about = json.loads(str(data["about"]))
        members = []
        m = 0
        while f"m{m}_w0" in data:
            layers = []
            i = 0
            while f"m{m}_w{i}" in data:
                layers.append((data[f"m{m}_w{i}"], data[f"m{m}_b{i}"]))
                i += 1
            members.append(tuple(layers))
            m += 1
    if not members:
        raise ValueError(f"{path} holds no digit model")
    return DigitModel(members=tuple(members), about=about)


def read_digit_cells(
    cells: Sequence[np.ndarray], model: DigitModel | None = None, *, digits_only: bool = False
) -> list[DigitGuess | None]:
    """The classifier's guess for each box cell; None where a cell holds only specks.
    With ``digits_only`` (a comb box holds a digit, whatever it looks like) the best
    digit is given even where another mark scores higher."""
    glyphs = [glyph_of(cell) for cell in cells]
    present = [g for g in glyphs if g is not None]
    if not present:
        return [None] * len(cells)
    model = model or load_digit_model()
    odds = model.probabilities(np.stack([glyph_features(g) for g in present]))
    guesses: list[DigitGuess | None] = []
    row = 0
    for glyph in glyphs:
        if glyph is None:
            guesses.append(None)
            continue
        best = int(np.argmax(odds[row, :NOT_A_DIGIT] if digits_only else odds[row]))
        digit = str(best) if best < NOT_A_DIGIT else ""
        guesses.append(DigitGuess(digit=digit, probability=float(odds[row, best])))
        row += 1
    return guesses
