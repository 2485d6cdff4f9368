"""Field reading: zonal OCR of text fields and comb (box-per-character) fields.

The page has been warped into its template page's frame, so the blank form itself can be
subtracted: the *residue* (ink the blank does not print there) is exactly what somebody
wrote or typed. Reading the residue instead of the raw page removes underlines, comb
walls, printed slashes of ``__/__/____`` and neighbouring labels in one step, for every
font and every form, without per-field tuning.

Speed: one Tesseract call per page reads every text zone at once. The residue of each
zone (a little wider than the template box, since people write past the line) is pasted
on a white canvas, the canvas is read with sparse-text segmentation, and each word goes
to the zone its box overlaps most. Zones without ink are never OCR'd; zones whose reading
looks doubtful are read again on their own with a character whitelist for their kind
(:func:`reread_zone`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from extract.reference import POINTS_PER_INCH, points_to_pixels
from extract.template import FieldKind, FieldSpec
from faxflow.model import BBox, OcrWord
from faxflow.settings import Settings

INK_LEVEL = 160
MIN_INK_PIXELS = 30  # fewer new-ink pixels than this in a zone: the zone is blank
SPECK_AREA = 6  # connected components this small (px at 200 dpi) are fax noise

# How far past the template box a written value may reach, in PDF points.
REACH_X = 14.0
REACH_UP = 5.0
REACH_DOWN = 3.0

KIND_WHITELIST: dict[FieldKind, str] = {
    FieldKind.DATE: "0123456789/-.",
    FieldKind.PHONE: "0123456789()-+.",
    FieldKind.SSN: "0123456789-",
    FieldKind.ZIP: "0123456789-",
    FieldKind.INTEGER: "0123456789",
    FieldKind.MONEY: "0123456789$,.",
}


@dataclass(frozen=True, slots=True)
class ZoneReading:
    """What a text or comb zone holds: text, mean OCR confidence 0..1 and where it is."""

    text: str
    confidence: float
    bbox: BBox  # pixels of the aligned page: the words' union, or the zone when empty
    ink_pixels: int  # new ink found in the zone (0 = nothing written)
    words: tuple[OcrWord, ...] = ()
    method: str = "page"  # page | zone | comb | blank

    @property
    def blank(self) -> bool:
        return self.ink_pixels < MIN_INK_PIXELS


@dataclass(frozen=True, slots=True, eq=False)
class BlankMasks:
    """What the blank form prints on a page, grown for alignment slack: all of its ink,
    and the part of that which belongs to long horizontal rules (underlines, comb
    floors), where written strokes that cross the rule must be given back."""

    ink: np.ndarray  # bool, the blank's ink grown by GROW_PX
    rules: np.ndarray  # bool, the grown ink that belongs to horizontal rules


GROW_PX = 2
STREAK_PX = 90  # straight new-ink runs longer than this (0.45 in) are fax streaks or rules


def blank_masks(reference: np.ndarray) -> BlankMasks:
    """The masks of one reference page (compute once per reference and reuse)."""
    ink = (reference < INK_LEVEL).astype(np.uint8)
    size = 2 * GROW_PX + 1
    grown = cv2.dilate(ink, np.ones((size, size), np.uint8)) > 0
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, 40), np.uint8))
    rules_grown = cv2.dilate(rules, np.ones((size, size), np.uint8)) > 0
    return BlankMasks(grown, rules_grown & grown)


def new_ink(aligned: np.ndarray, masks: BlankMasks) -> np.ndarray:
    """Ink on ``aligned`` that the blank form does not print: what was written or marked.

    Strokes crossing a printed rule are rebuilt through the rule (a descender through an
    underline stays whole); long straight runs (fax streaks, a misaligned rule) and specks
    are dropped."""
    page = aligned < INK_LEVEL
    new = page & ~masks.ink
    inside = page & masks.rules
    if inside.any():
        rebuilt = new.copy()
        for _ in range(2 * GROW_PX + 3):
            grown = rebuilt.copy()
            grown[1:] |= rebuilt[:-1] & inside[1:]
            grown[:-1] |= rebuilt[1:] & inside[:-1]
            if np.array_equal(grown, rebuilt):
                break
            rebuilt = grown
        new = rebuilt
    as_u8 = new.astype(np.uint8)
    vertical = cv2.morphologyEx(as_u8, cv2.MORPH_OPEN, np.ones((STREAK_PX, 1), np.uint8))
    horizontal = cv2.morphologyEx(as_u8, cv2.MORPH_OPEN, np.ones((1, 2 * STREAK_PX), np.uint8))
    streaks = np.maximum(vertical, horizontal)
    if streaks.any():
        new &= ~(cv2.dilate(streaks, np.ones((3, 3), np.uint8)) > 0)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(new.astype(np.uint8), connectivity=8)
    keep = np.zeros(count, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] > SPECK_AREA
    return keep[labels]


def residue(aligned: np.ndarray, masks: BlankMasks) -> np.ndarray:
    """Binary image (0 ink / 255 paper) of :func:`new_ink`: the page without the form."""
    return np.where(new_ink(aligned, masks), 0, 255).astype(np.uint8)


def residue_from_ink(ink: np.ndarray) -> np.ndarray:
    return np.where(ink, 0, 255).astype(np.uint8)


def zone_box(spec: FieldSpec, dpi: int, shape: tuple[int, int]) -> BBox:
    """The pixel box of a text zone (the union of its comb boxes for comb fields)."""
    if spec.region is not None:
        return points_to_pixels(spec.region, dpi)
    assert spec.boxes, f"{spec.name} has neither region nor boxes"
    boxes = [points_to_pixels(b, dpi) for b in spec.boxes]
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def reach_box(box: BBox, dpi: int, shape: tuple[int, int]) -> BBox:
    """``box`` grown by how far past it a written value may reach, clipped to the page."""
    s = dpi / POINTS_PER_INCH
    x0, y0, x1, y1 = box
    height, width = shape
    return (
        max(0, int(x0 - REACH_X * s)),
        max(0, int(y0 - REACH_UP * s)),
        min(width, int(x1 + REACH_X * s)),
        min(height, int(y1 + REACH_DOWN * s)),
    )


def _ink(image: np.ndarray, box: BBox) -> int:
    x0, y0, x1, y1 = box
    return int(np.count_nonzero(image[y0:y1, x0:x1] < 128))


def _overlap(word: BBox, box: BBox) -> float:
    """Share of the word's area inside ``box``."""
    ix = max(0, min(word[2], box[2]) - max(word[0], box[0]))
    iy = max(0, min(word[3], box[3]) - max(word[1], box[1]))
    area = max(1, (word[2] - word[0]) * (word[3] - word[1]))
    return ix * iy / area


def _union(boxes: Sequence[BBox]) -> BBox:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _join(words: Sequence[OcrWord]) -> str:
    """Words in reading order: rows by vertical overlap, then left to right."""
    ordered = sorted(words, key=lambda w: (w.bbox[1] + w.bbox[3]) / 2)
    rows: list[list[OcrWord]] = []
    for word in ordered:
        centre = (word.bbox[1] + word.bbox[3]) / 2
        if rows:
            last = rows[-1]
            top = min(w.bbox[1] for w in last)
            bottom = max(w.bbox[3] for w in last)
            if top <= centre <= bottom:
                last.append(word)
                continue
        rows.append([word])
    return " ".join(" ".join(w.text for w in sorted(row, key=lambda w: w.bbox[0])) for row in rows)


def read_text_zones(
    clean: np.ndarray, specs: Sequence[FieldSpec], *, settings: Settings, dpi: int
) -> dict[str, ZoneReading]:
    """Read every text zone of one aligned page with a single Tesseract call.

    ``clean`` is the page's residue (see :func:`residue`)."""
    from ocr.tesseract import read_words

    shape = (clean.shape[0], clean.shape[1])
    zones = {spec.name: zone_box(spec, dpi, shape) for spec in specs}
    reaches = {name: reach_box(box, dpi, shape) for name, box in zones.items()}
    inked = {name for name, reach in reaches.items() if _ink(clean, reach) >= MIN_INK_PIXELS}
    readings: dict[str, ZoneReading] = {
        name: ZoneReading("", 0.0, zones[name], _ink(clean, reaches[name]), (), "blank")
        for name in zones
        if name not in inked
    }
    if not inked:
        return readings
    canvas = np.full_like(clean, 255)
    for name in inked:
        x0, y0, x1, y1 = reaches[name]
        canvas[y0:y1, x0:x1] = clean[y0:y1, x0:x1]
    cx0, cy0, cx1, cy1 = _union([reaches[n] for n in inked])
    pad = 10
    cx0, cy0 = max(0, cx0 - pad), max(0, cy0 - pad)
    cx1, cy1 = min(shape[1], cx1 + pad), min(shape[0], cy1 + pad)
    words = read_words(canvas[cy0:cy1, cx0:cx1], settings=settings, psm=11, dpi=dpi)
    assigned: dict[str, list[OcrWord]] = {name: [] for name in inked}
    for word in words:
        box = (word.bbox[0] + cx0, word.bbox[1] + cy0, word.bbox[2] + cx0, word.bbox[3] + cy0)
        placed = OcrWord(word.text, word.confidence, box, word.line_key)
        best = max(inked, key=lambda n: (_overlap(box, zones[n]), _overlap(box, reaches[n])))
        if _overlap(box, reaches[best]) >= 0.5:
            assigned[best].append(placed)
    for name in inked:
        found = assigned[name]
        ink = _ink(clean, reaches[name])
        if found:
            text = _join(found)
            conf = float(np.mean([w.confidence for w in found]))
            readings[name] = ZoneReading(
                text, conf, _union([w.bbox for w in found]), ink, tuple(found)
            )
        else:
            readings[name] = ZoneReading("", 0.0, zones[name], ink, (), "page")
    return readings


def reread_zone(
    clean: np.ndarray,
    spec: FieldSpec,
    *,
    settings: Settings,
    dpi: int,
    whitelist: str | None = None,
    psm: int = 7,
) -> ZoneReading:
    """Read one zone on its own (single line, optional character whitelist)."""
    from ocr.tesseract import read_words

    shape = (clean.shape[0], clean.shape[1])
    zone = zone_box(spec, dpi, shape)
    x0, y0, x1, y1 = reach_box(zone, dpi, shape)
    crop = clean[y0:y1, x0:x1]
    ink = _ink(clean, (x0, y0, x1, y1))
    if ink < MIN_INK_PIXELS:
        return ZoneReading("", 0.0, zone, ink, (), "blank")
    tight = _tight(crop)
    words = read_words(tight.image, settings=settings, psm=psm, whitelist=whitelist, dpi=dpi)
    placed = tuple(
        OcrWord(
            w.text,
            w.confidence,
            (
                w.bbox[0] + x0 + tight.dx,
                w.bbox[1] + y0 + tight.dy,
                w.bbox[2] + x0 + tight.dx,
                w.bbox[3] + y0 + tight.dy,
            ),
            w.line_key,
        )
        for w in words
    )
    if not placed:
        return ZoneReading("", 0.0, zone, ink, (), "zone")
    conf = float(np.mean([w.confidence for w in placed]))
    return ZoneReading(_join(placed), conf, _union([w.bbox for w in placed]), ink, placed, "zone")


@dataclass(frozen=True, slots=True)
class _Tight:
    image: np.ndarray
    dx: int
    dy: int


def _tight(crop: np.ndarray, pad: int = 12) -> _Tight:
    """The crop trimmed to its ink plus a white border (Tesseract likes margins)."""
    ys, xs = np.nonzero(crop < 128)
    if len(xs) == 0:
        return _Tight(crop, 0, 0)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    inner = crop[y0:y1, x0:x1]
    padded = cv2.copyMakeBorder(inner, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    return _Tight(padded, int(x0) - pad, int(y0) - pad)


def read_comb(clean: np.ndarray, spec: FieldSpec, *, settings: Settings, dpi: int) -> ZoneReading:
    """A comb field (one box per character): the inked boxes' insides are laid side by
    side on a strip (walls already gone from the residue) and read as one line; when the
    character count disagrees with the inked boxes, each box is read on its own."""
    from ocr.tesseract import read_text

    assert spec.boxes
    whitelist = spec.whitelist or KIND_WHITELIST.get(spec.kind, "0123456789")
    boxes = [points_to_pixels(b, dpi) for b in spec.boxes]
    zone = _union(boxes)
    cells: list[np.ndarray] = []
    used: list[BBox] = []
    height = max(b[3] - b[1] for b in boxes) + 8
    for x0, y0, x1, y1 in boxes:
        ry0, ry1 = max(0, y0 - 4), min(clean.shape[0], y1 + 4)
        cell = clean[ry0:ry1, x0:x1]
        if np.count_nonzero(cell < 128) < MIN_INK_PIXELS // 3:
            continue
        cell = cv2.copyMakeBorder(
            cell, 0, height - cell.shape[0], 0, 0, cv2.BORDER_CONSTANT, value=255
        )
        cells.append(cell)
        used.append((x0, y0, x1, y1))
    ink = sum(_ink(clean, b) for b in boxes)
    if not cells:
        return ZoneReading("", 0.0, zone, ink, (), "blank")
    gap = np.full((height, 10), 255, dtype=np.uint8)
    strip = np.hstack([part for cell in cells for part in (cell, gap)])
    strip = cv2.copyMakeBorder(strip, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=255)
    line = read_text(strip, settings=settings, psm=7, whitelist=whitelist, dpi=dpi)
    chars = "".join(ch for ch in line.text if not ch.isspace())
    if len(chars) == len(cells):
        return ZoneReading(chars, line.confidence, _union(used), ink, line.words, "comb")
    # Box by box: slower, but a missing or doubled character cannot shift the others.
    out, confs = [], []
    for cell in cells:
        framed = cv2.copyMakeBorder(cell, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=255)
        single = read_text(framed, settings=settings, psm=10, whitelist=whitelist, dpi=dpi)
        text = "".join(ch for ch in single.text if not ch.isspace())
        out.append(text[:1])
        confs.append(single.confidence if len(text) == 1 else 0.0)
    return ZoneReading("".join(out), float(np.mean(confs)), _union(used), ink, (), "comb")
