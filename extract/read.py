"""Field reading: zonal OCR of text fields and comb (box-per-character) fields.

The page has been warped into its template page's frame, so the blank form itself can be
subtracted: the *residue* (ink the blank does not print there) is exactly what somebody
wrote or typed. Reading the residue instead of the raw page removes underlines, comb
walls, printed slashes of ``__/__/____`` and neighbouring labels in one step, for every
font and every form, without per-field tuning. The residue decides *where* the writing
is; what Tesseract is shown there is the page's own grey pixels around it, since
subtraction also cuts the strokes that touch the form's print.

People do not shrink their writing to fit a box: a zone takes the ink a little past its
template box, and beyond that follows its writing along the line up to the next printed
label, the page's edge or writing it does not reach (:func:`_follow_writing`). Writing
that still runs on there is reported cut (:attr:`ZoneInk.cut`; the engine's issue
``truncated``), since its reading lacks the end.

Speed: one Tesseract call per page reads every text zone at once. The residue of each
zone (its template box and the writing it follows past it) is pasted
on a white canvas, the canvas is read with sparse-text segmentation, and each word goes
to the zone its box overlaps most. Zones without ink are never OCR'd; zones whose reading
looks doubtful are read again on their own with a character whitelist for their kind
(:func:`reread_zone`). The rereads a page will ask for are planned before its fields are
decided (:func:`plan_rereads`), and the first one asked for reads every planned one of its
group (language, whitelist, segmentation, rule or not) in the same Tesseract process,
each zone's crop a page of its own (:func:`ocr.tesseract.read_words_batch`): each zone
still gets what reading it alone gives, for one process start per group, not per zone.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import cv2
import numpy as np

from extract.japanese import is_japanese_lang, without_rule_debris, zone_lang
from extract.reference import POINTS_PER_INCH, points_to_pixels
from extract.template import FieldKind, FieldSpec
from faxflow.model import BBox, OcrWord
from faxflow.settings import Settings

if TYPE_CHECKING:
    from extract.digits import DigitGuess

INK_LEVEL = 160
MAX_INK_LEVEL = 200  # never call paper ink, however pale the scan


def ink_level(aligned: np.ndarray) -> int:
    """The grey level below which a pixel of ``aligned`` is ink: Otsu's threshold of the
    page, but at least :data:`INK_LEVEL`. Faxes are black and white (Otsu ~155, so 160);
    grey scans print pale (typed values at 140-170 where paper is 250), and a fixed 160
    keeps only specks of their strokes (Otsu 170-205 there)."""
    otsu, _ = cv2.threshold(aligned, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return int(min(MAX_INK_LEVEL, max(INK_LEVEL, otsu)))


MIN_INK_PIXELS = 30  # fewer new-ink pixels than this in a zone: the zone is blank
SPECK_AREA = 3  # connected components this small (px at 200 dpi) are fax noise; a period is ~9

# How far past the template box a written value may reach, in PDF points.
REACH_X = 14.0
REACH_UP = 5.0
REACH_DOWN = 6.0

KIND_WHITELIST: dict[FieldKind, str] = {
    FieldKind.DATE: "0123456789/-.",
    FieldKind.PHONE: "0123456789()-+.",
    FieldKind.SSN: "0123456789-",
    FieldKind.ZIP: "0123456789-",
    FieldKind.INTEGER: "0123456789",
    FieldKind.MONEY: "0123456789$,.",
    # Japanese kinds (extract/japanese.py): digits, and for era dates what is written
    # around them when the form prints no era (元年, 年月日, the era's kanji or initial).
    FieldKind.ERA_DATE: "0123456789/-.元年月日明治大正昭和平成令和MTSHR",
    FieldKind.JP_POSTAL: "0123456789-",
    FieldKind.JP_PHONE: "0123456789()-",
    FieldKind.BANK_ACCOUNT: "0123456789",
    FieldKind.MY_NUMBER: "0123456789",
}


DIGIT_COMB_KINDS = frozenset(
    {FieldKind.JP_POSTAL, FieldKind.JP_PHONE, FieldKind.BANK_ACCOUNT, FieldKind.MY_NUMBER}
)
"""Kinds whose comb boxes hold one digit each (a postal code's 7, an account's 7, a My
Number's 12): their boxes are read digits only, so the digit classifier reads them too."""


def safe_whitelist(chars: str | None) -> str | None:
    """A template whitelist as Tesseract's config accepts it (no spaces, quotes or
    backslashes: the space is always allowed between words anyway)."""
    if not chars:
        return None
    kept = "".join(dict.fromkeys(c for c in chars if not c.isspace() and c not in "\"'\\"))
    return kept or None


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
    printed: np.ndarray | None = None  # bool, the blank's ink as printed (not grown)


GROW_PX = 2
STREAK_PX = 150  # vertical runs longer than this (0.75 in) that the form lacks: fax streaks
STREAK_DRIFT_PX = 1  # ... allowing this many columns' drift either side
STREAK_GAP_PX = 12  # ... and gaps this long: dirt on the glass inks it on and off
RULE_RUN_PX = 50  # horizontal new-ink runs this long (0.25 in) are rule remnants, not writing


def blank_masks(reference: np.ndarray) -> BlankMasks:
    """The masks of one reference page (compute once per reference and reuse)."""
    ink = (reference < INK_LEVEL).astype(np.uint8)
    size = 2 * GROW_PX + 1
    grown = cv2.dilate(ink, np.ones((size, size), np.uint8)) > 0
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, 40), np.uint8))
    rules_grown = cv2.dilate(rules, np.ones((size, size), np.uint8)) > 0
    return BlankMasks(grown, rules_grown & grown, ink > 0)


def new_ink(aligned: np.ndarray, masks: BlankMasks, *, level: int | None = None) -> np.ndarray:
    """Ink on ``aligned`` that the blank form does not print: what was written or marked
    (:func:`find_new_ink`'s ``written``)."""
    return find_new_ink(aligned, masks, level=level).written


@dataclass(frozen=True, slots=True)
class NewInk:
    """A page's new ink (:func:`find_new_ink`): what was written, and the streaks taken
    out of it (for :func:`streak_crossed`)."""

    written: np.ndarray  # bool: what was written or marked
    streaks: np.ndarray  # bool: the page's ink taken for fax streaks (crossing strokes kept)
    specks: np.ndarray  # bool: new ink in pieces of SPECK_AREA or less, left out of written


def find_new_ink(aligned: np.ndarray, masks: BlankMasks, *, level: int | None = None) -> NewInk:
    """Ink on ``aligned`` that the blank form does not print: what was written or marked.

    The blank's print is subtracted with its grown mask, except on printed rules: there
    only the rows the page's own rule occupies are erased (found from the ink profile of
    each short stretch of rule), so letters sitting on an underline keep their bottoms
    and descenders crossing it lose only the rule's thickness. Long straight runs the
    form does not have (fax streaks, rule remnants) and specks are dropped."""
    page = aligned < (ink_level(aligned) if level is None else level)
    new = page & ~(masks.ink & ~masks.rules)
    new &= ~_page_rule_rows(page, masks.rules)
    # A streak drifts sideways a column every few dozen rows (the paper feeds askew): it
    # is looked for with that much slack.
    slack = np.ones((1, 2 * STREAK_DRIFT_PX + 1), np.uint8)
    drift = cv2.dilate(page.astype(np.uint8), slack)
    unbroken = cv2.morphologyEx(drift, cv2.MORPH_OPEN, np.ones((STREAK_PX, 1), np.uint8)) > 0
    # Dirt inks a streak on and off: its runs between the gaps are each too short to be
    # told from writing, and stayed in the residue, where a piece joined to a letter
    # stretched its zone over the rules above and below (a zone then read as nothing).
    # Gaps are bridged off the print only: bridged, the walls of boxes stacked a few
    # rows apart would make a column as long as a streak.
    loose = cv2.dilate((page & ~masks.ink).astype(np.uint8), slack)
    bridged = cv2.morphologyEx(loose, cv2.MORPH_CLOSE, np.ones((STREAK_GAP_PX + 1, 1), np.uint8))
    flickering = cv2.morphologyEx(bridged, cv2.MORPH_OPEN, np.ones((STREAK_PX, 1), np.uint8)) > 0
    streaks = cv2.dilate(
        ((unbroken | flickering) & page & ~masks.ink).astype(np.uint8), np.ones((1, 3), np.uint8)
    )
    remnants = cv2.morphologyEx(
        new.astype(np.uint8), cv2.MORPH_OPEN, np.ones((1, RULE_RUN_PX), np.uint8)
    )
    new &= ~((streaks > 0) | (remnants > 0))
    new |= _across_streaks(new, streaks > 0)
    new &= ~_dashed_rules(new)
    new = _keep_attached(new, masks.rules)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(new.astype(np.uint8), connectivity=8)
    keep = np.zeros(count, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] > SPECK_AREA
    specks = ~keep
    specks[0] = False
    return NewInk(keep[labels], (streaks > 0) & page, specks[labels])


STREAK_BRIDGE_PX = 9  # a streak's band is 3-5 px wide: a letter's stroke spans it within this


def _across_streaks(new: np.ndarray, streaks: np.ndarray) -> np.ndarray:
    """The streak pixels a letter's stroke crosses: where writing goes on, on the same row,
    on both sides of the streak. Erasing the whole streak cut the letters it ran through
    in two (an S, a 3 read as nothing: `ephen`, `1 80.37`)."""
    if not streaks.any():
        return np.zeros_like(new)
    closed = cv2.morphologyEx(
        new.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((1, STREAK_BRIDGE_PX), np.uint8)
    )
    return (closed > 0) & streaks


RULE_PIECE_PX = 4  # a rule a fax broke into dashes: pieces at most this tall ...
RULE_PIECE_GAP_PX = 14  # ... and at most this far apart along their line


def _dashed_rules(new: np.ndarray) -> np.ndarray:
    """Flat pieces of ink in a row that together run RULE_RUN_PX or more: a line the form's
    filled copy prints where the blank has none (a fillable field's edge) or a rule off
    its band, which a fax breaks into dashes too short for the long-run test. Writing has
    no such row: its flat strokes (hyphens, full stops) stand between letters."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(new.astype(np.uint8), connectivity=8)
    flat = stats[:, cv2.CC_STAT_HEIGHT] <= RULE_PIECE_PX
    flat[0] = False
    # A fax's dropped row slices the tops off a line of writing into flat pieces in a row
    # too: pieces with writing just above or below them are the writing's.
    tall = (new & ~flat[labels]).astype(np.uint8)
    beside = cv2.dilate(tall, np.ones((2 * RULE_PIECE_PX + 1, 1), np.uint8)) > 0
    flat[np.unique(labels[beside & flat[labels]])] = False
    pieces = flat[labels]
    if not pieces.any():
        return pieces
    closed = cv2.morphologyEx(
        pieces.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, RULE_PIECE_GAP_PX + 1), np.uint8)
    )
    runs = cv2.morphologyEx(closed, cv2.MORPH_OPEN, np.ones((1, RULE_RUN_PX), np.uint8))
    dashed = np.zeros(count, dtype=bool)
    dashed[np.unique(labels[(runs > 0) & pieces])] = True
    dashed[0] = False
    return dashed[labels] & flat[labels]


def _keep_attached(new: np.ndarray, bands: np.ndarray) -> np.ndarray:
    """Inside rule bands keep only ink that hangs off writing outside the band (a letter's
    foot, a descender); loose slivers of the rule itself go."""
    seed = new & ~bands
    inside = new & bands
    if not inside.any():
        return new
    kept = seed.copy()
    for _ in range(2 * GROW_PX + 6):
        grown = kept.copy()
        grown[1:] |= kept[:-1] & inside[1:]
        grown[:-1] |= kept[1:] & inside[:-1]
        if np.array_equal(grown, kept):
            break
        kept = grown
    return kept


RULE_STRETCH_PX = 60  # rules are examined in stretches this long (tolerates slight tilt)


def _page_rule_rows(page: np.ndarray, bands: np.ndarray) -> np.ndarray:
    """Mask of the page's own rule pixels inside the blank's rule bands: in each stretch
    of band, the rows where most columns carry ink."""
    out = np.zeros_like(page)
    count, _, stats, _ = cv2.connectedComponentsWithStats(bands.astype(np.uint8), connectivity=8)
    for label in range(1, count):
        x, y, w, h, _ = (int(v) for v in stats[label])
        for sx in range(x, x + w, RULE_STRETCH_PX):
            ex = min(x + w, sx + RULE_STRETCH_PX)
            window = page[y : y + h, sx:ex]
            if window.size == 0:
                continue
            rows = window.mean(axis=1) > 0.45
            if not rows.any():
                continue
            band = bands[y : y + h, sx:ex]
            erase = rows[:, None] & band
            # Columns where writing touches the rule (ink just above or just below it)
            # keep their pixels: letters sitting on the line keep their feet (their
            # bottom stroke *is* on the rule) and descenders through it stay whole.
            top = y + int(np.argmax(rows))
            bottom = y + h - 1 - int(np.argmax(rows[::-1]))
            if top >= 2 and bottom + 2 < page.shape[0]:
                above = page[top - 2 : top, sx:ex].any(axis=0)
                below = page[bottom + 1 : bottom + 3, sx:ex].any(axis=0)
                erase[:, above | below] = False
            out[y : y + h, sx:ex] |= erase
    return out


def underline_ink(
    aligned: np.ndarray, masks: BlankMasks, *, level: int | None = None
) -> np.ndarray:
    """The page's ink on the blank's printed rules (given back under writing for OCR)."""
    return (aligned < (ink_level(aligned) if level is None else level)) & masks.rules


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


def _union(boxes: Sequence[BBox]) -> BBox:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


InkColumns = tuple[int, np.ndarray]
"""A zone's ink seen from above: the first column's x on the page, and per column whether
the zone owns ink there (bool)."""


def ink_columns(split: ZoneInk, zone: int) -> InkColumns | None:
    """Which columns of zone ``zone``'s extent hold its own ink (None without ink)."""
    extent = split.extents[zone]
    if extent is None:
        return None
    x0, y0, x1, y1 = extent
    owned = split.owner[split.labels[y0:y1, x0:x1]] == zone
    return x0, owned.any(axis=0)


STREAK_CROSS_SHARE = 0.5
"""A fax streak taken out of the page's ink over this share of a zone's writing's rows,
within its writing or a character's width (the writing's height) beside it, ran through
it: any stroke lying under it went with it."""


def streak_crossed(split: ZoneInk, streaks: np.ndarray) -> frozenset[str]:
    """The zones whose writing a fax streak ran through (:data:`STREAK_CROSS_SHARE`):
    ``streaks`` is the page's ink taken for streaks, of which only the strokes crossing
    them were given back, so a stroke along one went with it (a typed one on the streak
    gone, and the number read without it, surely) and the reading may lack a stroke or a
    character."""
    crossed: set[str] = set()
    for zone, extent in enumerate(split.extents):
        if extent is None:
            continue
        x0, y0, x1, y1 = extent
        reach = y1 - y0
        left, right = max(0, x0 - reach), x1 + reach
        taken = streaks[y0:y1, left:right] & (split.labels[y0:y1, left:right] == 0)
        if np.count_nonzero(taken.any(axis=1)) >= STREAK_CROSS_SHARE * reach:
            crossed.add(split.names[zone])
    return frozenset(crossed)


UNREAD_INK_SHARE = 0.5
"""Writing no word of a reading covers, as wide as this share of the reading's character
height, is a character the reading lost (山本　加奈 read as 山本 加, with 奈 printed as
plainly as the rest; Elkhart Co. HD read as Elkhart). Fax specks and the gaps inside a
character are far narrower."""


WRITTEN_SYMBOLS = frozenset({"&"})
"""Words of no letter or digit that are writing, not debris: an ampersand is written
between words (Health & Human Services) and no fax mark or rule reads as one. Everything
else without a letter or digit (—, _, |, a lone stop or quote) is a rule's or a speck's."""


def is_writing(word: OcrWord) -> bool:
    """Whether an OCR word is writing: it holds a letter or a digit, or is a symbol
    people write as a word (:data:`WRITTEN_SYMBOLS`)."""
    return any(ch.isalnum() for ch in word.text) or word.text in WRITTEN_SYMBOLS


def unread_ink(split: ZoneInk, zone: int, words: Sequence[OcrWord]) -> bool:
    """Whether zone ``zone`` holds writing that none of ``words`` (those that are
    writing, :func:`is_writing`) covers: a stretch of its own inked columns, gaps inside a
    character closed, at least :data:`UNREAD_INK_SHARE` of the words' median height wide."""
    extent = split.extents[zone]
    kept = [w for w in words if is_writing(w)]
    if extent is None or not kept:
        return False
    x0, y0, x1, y1 = extent
    owned = split.owner[split.labels[y0:y1, x0:x1]] == zone
    height = float(np.median([w.bbox[3] - w.bbox[1] for w in kept]))
    inked = owned.sum(axis=0) >= 2
    for word in kept:
        inked[max(0, word.bbox[0] - x0 - 2) : max(0, word.bbox[2] - x0 + 2)] = False
    gap = max(1, round(0.15 * height))
    closed = cv2.morphologyEx(
        inked.astype(np.uint8)[np.newaxis, :], cv2.MORPH_CLOSE, np.ones((1, gap), np.uint8)
    )
    _, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=4)
    longest = int(stats[1:, cv2.CC_STAT_WIDTH].max(initial=0))
    return longest >= UNREAD_INK_SHARE * height


def join_words(
    words: Sequence[OcrWord], *, cjk: bool = False, ink: InkColumns | None = None
) -> str:
    """Words in reading order: rows by vertical overlap, then left to right. Words that are
    no writing (:func:`is_writing`: rule debris read as ``—`` or ``_``) are left out.
    Words Tesseract put on one line stay in one row: a word whose box took in a speck
    below it ('Box' of 'PO Box 7962', twice as tall as its neighbours) has its centre off
    their row.

    ``cjk`` (zones read in Japanese): Tesseract's jpn model splits a line into runs of a
    character or two ('ヤマ', 'ダ', 'タロ', 'ウ'); Japanese puts no space between words,
    so runs are joined as they stand and a space is kept only where the gap is a written
    one (:data:`CJK_SPACE_PITCH`), measured on the zone's ``ink`` when it is given."""
    kept = [w for w in words if is_writing(w)]
    ordered = sorted(kept, key=lambda w: (w.bbox[1] + w.bbox[3]) / 2)
    rows: list[list[OcrWord]] = []
    for word in ordered:
        centre = (word.bbox[1] + word.bbox[3]) / 2
        same_line = [row for row in rows if any(w.line_key == word.line_key for w in row)]
        if same_line:
            same_line[0].append(word)
            continue
        if rows:
            last = rows[-1]
            top = min(w.bbox[1] for w in last)
            bottom = max(w.bbox[3] for w in last)
            overlap = min(bottom, word.bbox[3]) - max(top, word.bbox[1])
            height = min(bottom - top, word.bbox[3] - word.bbox[1])
            if top <= centre <= bottom or overlap >= ROW_OVERLAP * height:
                last.append(word)
                continue
        rows.append([word])
    ordered_rows = [sorted(row, key=lambda w: w.bbox[0]) for row in rows]
    if not cjk:
        return " ".join(_join_row(row) for row in ordered_rows)
    joined = (without_rule_debris(_join_cjk_row(row, ink)) for row in ordered_rows)
    return " ".join(row for row in joined if row)


CJK_SPACE_PITCH = 0.7
"""Two runs of a Japanese row are two words when the blank between them is wider than
this share of the row's character pitch: typed characters sit about a tenth of a pitch
apart, the hand-printed Seto face's up to about 0.6, and a written space (the full-width
one between family and given name) leaves a whole pitch and more. Measured on the zone's
own ink (:func:`_ink_gap`): Tesseract's jpn boxes are no measure of it (a 郡 boxed 35 px
wide among 56 px neighbours, single kana boxed 97 px tall at 44, as they take in a rule)."""


def _units(text: str) -> float:
    """Width of ``text`` in full-width characters: digits and Latin letters count half."""
    return sum(0.5 if ch.isascii() else 1.0 for ch in text)


def _join_cjk_row(row: Sequence[OcrWord], ink: InkColumns | None) -> str:
    """A Japanese row's runs joined, a space only where the blank between two runs is a
    written space. In a row without a Japanese character (the digits in the gaps of a
    printed 令和　年　月　日) the measure is the digits' height, not the row's pitch: the
    gaps hold the form's print (subtracted), and the jpn model splits numbers ('1', '1'
    for 11) that a space must not part."""
    if any(not ch.isascii() for w in row for ch in w.text):
        left, right = row[0].bbox[0], max(w.bbox[2] for w in row)
        inked = _inked_span(ink, left, right)
        span = inked if inked is not None else (left, right)
        # A written space is blank inside the span, not a character's width: the widest
        # blank between two runs is left out of the pitch it is measured against.
        widest = max(
            (
                _ink_gap(ink, (a.bbox[0] + a.bbox[2]) // 2, (b.bbox[0] + b.bbox[2]) // 2) or 0
                for a, b in itertools.pairwise(row)
            ),
            default=0,
        )
        pitch = (span[1] - span[0] - widest) / max(1.0, _units("".join(w.text for w in row)))
    else:
        pitch = float(np.median([w.bbox[3] - w.bbox[1] for w in row]))
    out = row[0].text
    for before, word in itertools.pairwise(row):
        middle_a = (before.bbox[0] + before.bbox[2]) // 2
        middle_b = (word.bbox[0] + word.bbox[2]) // 2
        gap = _ink_gap(ink, middle_a, middle_b)
        if gap is None:
            gap = word.bbox[0] - before.bbox[2]
        out += (" " if gap > CJK_SPACE_PITCH * pitch else "") + word.text
    return out


def _inked_span(ink: InkColumns | None, left: int, right: int) -> tuple[int, int] | None:
    """The first and last inked columns between ``left`` and ``right``, if any."""
    if ink is None:
        return None
    x0, cols = ink
    lo, hi = max(0, left - x0), min(len(cols), right - x0)
    found = np.flatnonzero(cols[lo:hi]) if hi > lo else np.empty(0, dtype=np.int64)
    if found.size == 0:
        return None
    return x0 + lo + int(found[0]), x0 + lo + int(found[-1]) + 1


def _ink_gap(ink: InkColumns | None, a: int, b: int) -> int | None:
    """The widest run of blank columns of the zone's ink between x ``a`` and ``b``."""
    if ink is None or b <= a:
        return None
    x0, cols = ink
    lo, hi = max(0, a - x0), min(len(cols), b - x0)
    if hi <= lo:
        return None
    widest = run = 0
    for filled in cols[lo:hi]:
        run = 0 if filled else run + 1
        widest = max(widest, run)
    return widest


ROW_OVERLAP = 0.5
"""A word whose box overlaps a row's by this share of the lower of their heights is on
that row, wherever its centre: 'Berrien' boxed with the rule under it has its centre
below 'Co. HD' beside it, and came after them."""
JOIN_GAP_PITCH = 0.6
"""Sparse-text mode splits letter-spaced words ('Jer emy', 'Britta ny'); two words of a
row whose gap is narrower than this share of their letter pitch are one word when the
second starts lower-case (dev set: +3 of 1440 text fields, none lost)."""


def _join_row(row: Sequence[OcrWord]) -> str:
    """One row's words left to right, re-joining words sparse-text mode split apart."""
    out = row[0].text
    for before, word in itertools.pairwise(row):
        gap = word.bbox[0] - before.bbox[2]
        pitch = min(
            (before.bbox[2] - before.bbox[0]) / max(1, len(before.text)),
            (word.bbox[2] - word.bbox[0]) / max(1, len(word.text)),
        )
        glued = before.text[-1:].isalpha() and word.text[:1].isalpha() and word.text[:1].islower()
        out += word.text if glued and gap < JOIN_GAP_PITCH * pitch else " " + word.text
    return out


RereadKey = tuple[str, str | None, int, bool]
"""One reading of a zone on its own: (zone name, whitelist, psm, underline)."""


@dataclass(frozen=True, slots=True, eq=False)
class ZoneInk:
    """A page's new ink split into connected components, each given to at most one zone:
    the zone whose box is nearest the component's centre, among the zones whose reach
    covers it. Neighbouring zones that overlap (lines 11 pt apart) thus never share a
    stroke, and a zone's crop holds its own writing only."""

    labels: np.ndarray  # int32 component label per pixel (0 = paper)
    owner: np.ndarray  # int32 zone index per component label, -1 when unowned
    names: tuple[str, ...]
    zones: tuple[BBox, ...]  # template boxes in pixels
    ink: tuple[int, ...]  # owned pixels per zone
    extents: tuple[BBox | None, ...]  # union of owned components per zone

    def index(self, name: str) -> int:
        return self.names.index(name)

    def foreign_ink(self, name: str) -> int:
        """Pixels inside zone ``name``'s own box that went to other zones: a neighbour's
        writing crossing it, to which this zone's own writing may be joined (large letters
        touching the line above) and with which it went. 0 for a zone the split does not
        hold (a comb field, read box by box)."""
        if name not in self.names:
            return 0
        zone = self.index(name)
        x0, y0, x1, y1 = self.zones[zone]
        owned = self.owner[self.labels[y0:y1, x0:x1]]
        return int(((owned >= 0) & (owned != zone)).sum())

    underlines: np.ndarray | None = None  # the page's own rule ink (bool), or None
    page: np.ndarray | None = None  # the aligned page (grey), or None for a binary image
    # reread_zone's readings by (zone, whitelist, psm, underline): the doubtful-zone
    # reread, the rule-free reread and the ID vote ask for the same crop more than once.
    rereads: dict[RereadKey, ZoneReading] = field(default_factory=dict, repr=False)
    planned: set[RereadKey] = field(default_factory=set, repr=False)
    """Rereads the page's fields are expected to ask for (:func:`plan_rereads`), read
    together with the first of their group that is asked for."""
    printed: dict[tuple[str, str | None], ZoneReading] = field(default_factory=dict, repr=False)
    """:func:`read_as_printed`'s readings by (zone, whitelist)."""
    printed_planned: set[tuple[str, str | None]] = field(default_factory=set, repr=False)
    cut: dict[str, str] = field(default_factory=dict)
    """Zones whose writing runs on past what they could be given, by name, with what
    stopped it: ``print`` (a printed label or wall), ``writing`` (another zone's
    writing), ``page`` (the page's edge). Their reading lacks the rest of the writing."""
    langs: tuple[str | None, ...] = ()
    """Each zone's Tesseract language (:func:`extract.japanese.zone_lang`; None: the
    settings'), so that every reading of a zone is made in its language."""

    dust_rows: tuple[int, ...] = ()
    """Per zone that holds only dust: the most pieces of it in one row (see
    :data:`DUST_ROW_PIECES`); 0 for every other zone."""

    def lang(self, zone: int) -> str | None:
        return self.langs[zone] if zone < len(self.langs) else None

    def dust_row(self, name: str) -> int:
        """:attr:`dust_rows` of zone ``name``; 0 for a zone the split does not hold."""
        if name not in self.names:
            return 0
        zone = self.index(name)
        return self.dust_rows[zone] if zone < len(self.dust_rows) else 0

    def image(
        self, zone: int | Sequence[int] | None = None, *, underline: bool = True
    ) -> np.ndarray:
        """Image of the owned ink (of one zone, of some, or of every zone), with the rule the
        writing sits on given back under it: Tesseract reads underlined text well, while
        a rule cut out of the letters it touches takes their feet along.

        With the aligned ``page`` known, the page's own grey pixels are shown within
        :data:`GREY_REACH_PX` of that ink and white elsewhere: subtracting the blank cuts
        strokes where writing crosses or touches the form's print, and binarising loses
        faint strokes of grey scans; the grey neighbourhood gives both back (measured on
        40 generated documents: text fields read right 77 % -> 81 %)."""
        owned = self.owner[self.labels]
        if zone is None:
            mask, zones = owned >= 0, list(range(len(self.names)))
        elif isinstance(zone, int):
            mask, zones = owned == zone, [zone]
        else:
            mask, zones = np.isin(owned, list(zone)), list(zone)
        if self.underlines is not None and underline:
            for i in zones:
                extent = self.extents[i]
                if extent is None or self.ink[i] < MIN_INK_PIXELS:
                    continue
                x0, y0, x1, y1 = extent
                y0, y1 = max(0, y0 - 2), y1 + 4
                mask[y0:y1, x0:x1] |= self.underlines[y0:y1, x0:x1]
        if self.page is not None:
            return grey_near(mask, self.page)
        return np.where(mask, 0, 255).astype(np.uint8)


def grey_near(ink: np.ndarray, page: np.ndarray) -> np.ndarray:
    """``page``'s own grey pixels within :data:`GREY_REACH_PX` of ``ink`` (bool, same
    shape), white elsewhere: what Tesseract is shown of text zones and comb boxes."""
    size = 2 * GREY_REACH_PX + 1
    near = cv2.dilate(ink.astype(np.uint8), np.ones((size, size), np.uint8)) > 0
    return np.where(near, page, 255).astype(np.uint8)


DUST_PT = 3.0  # ink no wider and no taller than this is dust, not a glyph (a full stop)
DUST_WRITING = 3  # ... unless a zone holds this many MIN_INK_PIXELS of it and nothing else
DUST_ROW_PIECES = 4
"""Pieces of dust this many or more whose centres lie within :data:`DUST_PT` of one
piece's height, each within :data:`DUST_ROW_GAP_PT` of the next along it, more than the
page's own dust puts there by chance (:data:`DUST_ROW_EXCESS`), in a zone that holds
nothing else: a row of them. A thin or pale face the fax broke up leaves its strokes
as such a row along the writing line, too little ink to be read as writing; a fax's own
dust lies anywhere (docs/extraction.md, "Writing a fax broke into dust", has how often
each happens)."""
DUST_ROW_EXCESS = 3.0
"""A row of dust holds this many times the pieces the page's own dust (its specks and
dust per pixel, over the page) would put in its stretch of row by chance: a bad fax's
speckle lies thick enough everywhere to line up by chance."""
DUST_ROW_GAP_PT = 10.0
"""Pieces of a row of dust lie at most this far apart along it (centre to centre): a
letter's width at most, so that a wide zone's scattered fax dust, which may fall at one
height by chance, makes no row (Courier at 10 pt is 6 pt a letter)."""


def split_ink(
    clean: np.ndarray,
    specs: Sequence[FieldSpec],
    *,
    dpi: int,
    underlines: np.ndarray | None = None,
    page: np.ndarray | None = None,
    printed: np.ndarray | None = None,
    specks: np.ndarray | None = None,
) -> ZoneInk:
    """Give each connected component of the residue ``clean`` to one text zone;
    ``underlines`` (the page's ink on the blank's rules) and ``page`` (the aligned grey
    page) are kept for :meth:`ZoneInk.image`. ``printed`` is the blank's own print other
    than rules (labels, walls, boxes): writing is never followed across it
    (:func:`_follow_writing`), and writing that crosses it is reported cut
    (:attr:`ZoneInk.cut`). ``specks`` (bool, :attr:`NewInk.specks`) count towards a zone's
    :attr:`ZoneInk.dust_rows` where they lie in its box."""
    shape = (clean.shape[0], clean.shape[1])
    names = tuple(spec.name for spec in specs)
    zones = tuple(zone_box(spec, dpi, shape) for spec in specs)
    reaches = [reach_box(box, dpi, shape) for box in zones]
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(
        (clean < 128).astype(np.uint8), connectivity=8
    )
    owner = np.full(count, -1, dtype=np.int32)
    ink = [0] * len(zones)
    extents: list[BBox | None] = [None] * len(zones)
    for label in range(1, count):
        cx, cy = float(centroids[label][0]), float(centroids[label][1])
        best, best_key = -1, (float("inf"), float("inf"))
        for i, (zone, reach) in enumerate(zip(zones, reaches, strict=True)):
            if not (reach[0] <= cx <= reach[2] and reach[1] <= cy <= reach[3]):
                continue
            gap_x = max(zone[0] - cx, 0.0, cx - zone[2])
            gap_y = max(zone[1] - cy, 0.0, cy - zone[3])
            key = (gap_x + gap_y, abs(cy - (zone[1] + zone[3]) / 2))
            if key < best_key:
                best, best_key = i, key
        if best >= 0:
            owner[label] = best
    links = _line_links(stats, printed)
    _follow_writing(owner, stats, centroids, reaches, links)
    merged = _keep_phrases_together(owner, stats, zones, links)
    # Dust (a fax's specks) away from writing is no zone's writing: it neither makes a
    # zone inked nor stretches its extent, within which the rule under the writing is
    # given back to Tesseract (a speck at a zone's far corner had a stretch of broken rule
    # read as 'ee ee ey' or 'orl' after a name).
    dust_px = DUST_PT * dpi / POINTS_PER_INCH
    row_gap = DUST_ROW_GAP_PT * dpi / POINTS_PER_INCH
    dust = (stats[:, cv2.CC_STAT_WIDTH] <= dust_px) & (stats[:, cv2.CC_STAT_HEIGHT] <= dust_px)
    dust_area = [0] * len(zones)
    speck_extents: list[BBox | None] = [None] * len(zones)
    for found in np.nonzero(owner >= 0)[0]:
        index = int(owner[found])
        x, y, w, h, area = (int(v) for v in stats[found])
        box = (x, y, x + w, y + h)
        if dust[found]:
            dust_area[index] += area
            speck_extents[index] = _union([b for b in (speck_extents[index], box) if b])
            continue
        ink[index] += area
        extents[index] = box if extents[index] is None else _union([extents[index], box])  # type: ignore[list-item]
    near = int(dust_px)
    for found in np.nonzero((owner >= 0) & dust[: owner.size])[0]:
        # Dust at the writing (a dakuten, a full stop, a dot a fax broke off) is the
        # writing's.
        index = int(owner[found])
        extent = extents[index]
        x, y, w, h, area = (int(v) for v in stats[found])
        if extent is not None and (
            extent[0] - near <= x + w
            and x <= extent[2] + near
            and extent[1] - near <= y + h
            and y <= extent[3] + near
        ):
            ink[index] += area
            extents[index] = _union([extent, (x, y, x + w, y + h)])
    dust_rows = [0] * len(zones)
    speck_points = _speck_centres(specks, ~dust[labels] & (labels > 0), near)
    # the page's own dust, pieces per pixel: what a row of specks must stand out of
    density = (int(np.count_nonzero(dust[1:])) + len(speck_points)) / float(shape[0] * shape[1])
    for index, extent in enumerate(extents):
        if extent is None and dust_area[index] >= DUST_WRITING * MIN_INK_PIXELS:
            # Much dust and nothing else is writing a fax broke up, not a few specks.
            ink[index], extents[index] = dust_area[index], speck_extents[index]
        elif extent is None:
            pieces = np.nonzero(owner == index)[0]
            # A thin face faxed at standard resolution breaks into specks too small for
            # the residue, which drops them: they count towards the row all the same.
            x0, y0, x1, y1 = zones[index]
            inside = (
                (speck_points[:, 0] >= x0)
                & (speck_points[:, 0] < x1)
                & (speck_points[:, 1] >= y0)
                & (speck_points[:, 1] < y1)
            )
            points = np.concatenate([centroids[pieces], speck_points[inside]])
            dust_rows[index] = _fullest_row(points, dust_px, row_gap, density)
            owner[owner == index] = -1
    cut = _cut_zones(owner, stats, zones, ink, extents, links, printed, shape[1])
    cut.update({zone: "writing" for zone in merged if zone not in cut})
    return ZoneInk(
        labels,
        owner,
        names,
        zones,
        tuple(ink),
        tuple(extents),
        underlines,
        page,
        cut={names[i]: why for i, why in cut.items()},
        langs=tuple(zone_lang(spec) for spec in specs),
        dust_rows=tuple(dust_rows),
    )


def _speck_centres(specks: np.ndarray | None, glyphs: np.ndarray, near: int) -> np.ndarray:
    """(x, y) centres of the pieces of ``specks`` (bool), an (n, 2) array, but for those
    within ``near`` of ``glyphs`` (bool: ink larger than dust), which are bits of their
    edges that the fax broke off; none for None."""
    if specks is None or not specks.any():
        return np.zeros((0, 2))
    _, _, _, centres = cv2.connectedComponentsWithStats(specks.astype(np.uint8), connectivity=8)
    points = np.asarray(centres[1:], dtype=float)
    size = 2 * near + 1
    beside = cv2.dilate(glyphs.astype(np.uint8), np.ones((size, size), np.uint8)) > 0
    rows = np.clip(np.rint(points[:, 1]).astype(int), 0, glyphs.shape[0] - 1)
    columns = np.clip(np.rint(points[:, 0]).astype(int), 0, glyphs.shape[1] - 1)
    return points[~beside[rows, columns]]


def _fullest_row(points: np.ndarray, reach: float, gap: float, density: float) -> int:
    """The most of ``points`` (pieces' centres, x and y) in one row: centres within
    ``reach`` of one piece's height, each within ``gap`` along the row of the next, and
    :data:`DUST_ROW_EXCESS` times as many as the page's own dust (``density``, pieces
    per pixel) puts in that stretch of row by chance."""
    best = 0
    for height in points[:, 1]:
        xs = np.sort(points[np.abs(points[:, 1] - height) <= reach, 0])
        breaks = np.nonzero(np.diff(xs) > gap)[0]
        for first, last in zip(
            np.concatenate([[0], breaks + 1]), np.concatenate([breaks, [xs.size - 1]]), strict=True
        ):
            count = int(last - first + 1)
            chance = density * 2 * reach * (xs[last] - xs[first] + gap)
            if count >= DUST_ROW_EXCESS * chance:
                best = max(best, count)
    return best


@dataclass(frozen=True, slots=True, eq=False)
class _Links:
    """Pairs of residue components that follow one another on a written line: their
    heights overlap by half the lower one and the gap between them is under
    :data:`FOLLOW_GAP` of the taller one (components taller than
    :data:`PHRASE_MAX_HEIGHT_PX` take no part). ``left`` is the one further left."""

    left: np.ndarray  # component labels
    right: np.ndarray
    gap: np.ndarray  # px of paper between them (negative when their boxes overlap)
    barrier: np.ndarray  # x of printed ink (not rules) in the gap on their line, -1 if none
    phrase: np.ndarray  # bool: near enough to be one phrase (:data:`PHRASE_GAP`)

    def pairs(self) -> Iterator[tuple[int, int, int, int]]:
        """(left, right, gap, barrier) of every link, as plain ints."""
        columns = (self.left, self.right, self.gap, self.barrier)
        yield from zip(*(c.tolist() for c in columns), strict=True)


def _line_links(stats: np.ndarray, printed: np.ndarray | None) -> _Links:
    labels = np.nonzero(stats[:, cv2.CC_STAT_HEIGHT] <= PHRASE_MAX_HEIGHT_PX)[0]
    labels = labels[labels > 0]
    empty = np.zeros(0, dtype=np.int64)
    if labels.size < 2:
        return _Links(empty, empty, empty, empty, empty.astype(bool))
    order = labels[np.argsort(stats[labels, cv2.CC_STAT_LEFT], kind="stable")]
    left = stats[order, cv2.CC_STAT_LEFT].astype(np.int64)
    top = stats[order, cv2.CC_STAT_TOP].astype(np.int64)
    right = left + stats[order, cv2.CC_STAT_WIDTH]
    height = stats[order, cv2.CC_STAT_HEIGHT].astype(np.int64)
    bottom = top + height
    reach = right + int(FOLLOW_GAP * PHRASE_MAX_HEIGHT_PX)
    ends = np.searchsorted(left, reach, side="right")  # glyphs that may follow each one
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    for i in range(order.size):
        window = slice(i + 1, int(ends[i]))
        overlap = np.minimum(bottom[i], bottom[window]) - np.maximum(top[i], top[window])
        gap = left[window] - right[i]
        near = (overlap >= 0.5 * np.minimum(height[i], height[window])) & (
            gap <= FOLLOW_GAP * np.maximum(height[i], height[window])
        )
        found = np.nonzero(near)[0] + i + 1
        if found.size:
            firsts.append(np.full(found.size, i))
            seconds.append(found)
    if not firsts:
        return _Links(empty, empty, empty, empty, empty.astype(bool))
    a = np.concatenate(firsts)
    b = np.concatenate(seconds)
    # Sorted by left edge, the second may still end before the first: keep left/right
    # as they lie on the line.
    swap = right[b] < right[a]
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    gaps = left[b] - right[a]
    barrier = np.full(a.size, -1, dtype=np.int64)
    if printed is not None:
        for k in np.nonzero(gaps > 0)[0]:
            i, j = int(a[k]), int(b[k])
            y0, y1 = max(top[i], top[j]), min(bottom[i], bottom[j])
            if y1 <= y0:
                continue
            columns = printed[y0:y1, right[i] : left[j]].any(axis=0)
            if columns.any():
                barrier[k] = right[i] + int(np.argmax(columns))
    phrase = gaps <= PHRASE_GAP * np.maximum(height[a], height[b])
    return _Links(order[a], order[b], gaps, barrier, phrase)


FOLLOW_GAP = 1.5
"""Writing past a zone's reach is followed glyph by glyph while the gap to the next is
under this share of the zone's typical glyph height (about 0.8 em): a space between
words, typed monospace (0.6 em) or written, not the gap to writing that belongs to
nothing written in the zone."""


def _glyph_height(stats: np.ndarray, members: np.ndarray) -> float:
    """The typical height of a zone's writing: the median of its components that take
    part in lines (specks included: they are few beside the letters)."""
    heights = stats[members, cv2.CC_STAT_HEIGHT]
    heights = heights[heights <= PHRASE_MAX_HEIGHT_PX]
    return float(np.median(heights)) if heights.size else 0.0


def _follow_writing(
    owner: np.ndarray,
    stats: np.ndarray,
    centroids: np.ndarray,
    reaches: Sequence[BBox],
    links: _Links,
) -> None:
    """People do not shrink their writing to fit a box: glyphs beyond every zone's reach
    that continue a zone's writing along its line (a space apart at most, their centres
    within the zone's band of rows) are that zone's, up to printed ink (a label, a
    wall), the page's edge, or writing the zone does not reach. A long health
    department's name, an e-mail address or an 11-character ID is read whole."""
    if links.left.size == 0:
        return
    heights = {
        int(zone): _glyph_height(stats, np.nonzero(owner == zone)[0])
        for zone in np.unique(owner)
        if zone >= 0
    }
    neighbours: dict[int, list[tuple[int, int]]] = {}
    for a, b, gap, barrier in links.pairs():
        if barrier < 0:
            neighbours.setdefault(a, []).append((b, gap))
            neighbours.setdefault(b, []).append((a, gap))
    queue = deque(int(label) for label in np.nonzero(owner >= 0)[0] if int(label) in neighbours)
    while queue:
        label = queue.popleft()
        zone = int(owner[label])
        _, top, _, bottom = reaches[zone]
        for other, gap in neighbours.get(label, ()):
            if owner[other] >= 0 or gap > FOLLOW_GAP * heights[zone]:
                continue
            if not top <= float(centroids[other][1]) <= bottom:
                continue  # not on the zone's line
            owner[other] = zone
            queue.append(other)


def _writing_of(
    owner: np.ndarray,
    stats: np.ndarray,
    zones: Sequence[BBox],
    heights: Mapping[int, float],
    links: _Links,
) -> np.ndarray:
    """Per component, whether it is part of its zone's writing: on the zone's rows (its
    centre within the box's height: a comb's digit under a date zone is not), and in a
    group of the zone's ink linked a word space apart that holds a letter's worth of
    ink (:data:`MIN_INK_PIXELS`): a fax speck or a stub of a wall beside a label is not."""
    parent = np.arange(owner.size)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    for a, b, gap, _ in links.pairs():
        zone = int(owner[a])
        if zone in heights and owner[b] == zone and gap <= FOLLOW_GAP * heights[zone]:
            parent[root(b)] = root(a)
    roots = np.array([root(i) for i in range(owner.size)])
    area = np.bincount(roots, weights=stats[: owner.size, cv2.CC_STAT_AREA], minlength=owner.size)
    centre = stats[: owner.size, cv2.CC_STAT_TOP] + stats[: owner.size, cv2.CC_STAT_HEIGHT] / 2
    # Only the zones given a glyph height have writing to judge: a zone whose ink is under
    # a letter's worth may still own one component of that size (its count is taken
    # within the zone), and has no height to measure it by.
    writing = np.isin(owner, list(heights)) & (area[roots] >= MIN_INK_PIXELS)
    for zone in heights:
        _, y0, _, y1 = zones[zone]
        mine = owner == zone
        writing[mine] &= (centre[mine] >= y0) & (centre[mine] <= y1)
    return writing


def _stop_after(
    stats: np.ndarray,
    members: np.ndarray,
    box: BBox,
    printed: np.ndarray | None,
    height: float,
    width: int,
) -> str | None:
    """What the end of a zone's writing ran into, when it ends past the zone's box:
    ``print`` when printed ink lies within :data:`AT_PRINT_SHARE` of a glyph's height
    after it on the rows of its letters, ``page`` when it reaches the page's right
    edge; else None. The end is that of any of its ink, a letter's stub too: writing
    over a label is erased with the label's print but for stubs between the label's
    strokes. Only the right end: writing runs on to the right, and a value's start
    beside its label is how people begin."""
    if members.size == 0:
        return None
    rights = stats[members, cv2.CC_STAT_LEFT] + stats[members, cv2.CC_STAT_WIDTH]
    end = int(rights.max())
    if end >= width - PAGE_EDGE_PX:
        return "page"  # even a hyphen's worth: followed writing is no speck
    if printed is None or end <= box[2]:
        return None
    glyphs = members[stats[members, cv2.CC_STAT_HEIGHT] >= CUT_SHARE * height]
    if glyphs.size == 0:
        return None
    top = int(np.median(stats[glyphs, cv2.CC_STAT_TOP]))
    bottom = int(np.median(stats[glyphs, cv2.CC_STAT_TOP] + stats[glyphs, cv2.CC_STAT_HEIGHT]))
    window = printed[top:bottom, end : end + GROW_PX + int(AT_PRINT_SHARE * height)]
    return "print" if window.any() else None


AT_PRINT_SHARE = 0.6
"""Writing past its box that ends this share of its glyph height (plus :data:`GROW_PX`)
before printed ink ran into it: writing over a label is erased with the label's grown
print, and the letter that met the label's first stroke goes with it."""
CUT_SHARE = 0.3
"""Ink beyond a zone's writing counts as the writing's rest when it is at least this
share of the zone's glyph height (strokes of letters cut by a label's print are short;
fax specks are dropped before)."""
PAGE_EDGE_PX = 8
"""Writing that ends this close to the page's edge (1 mm) ran off it: the residue loses a
glyph's last columns at the edge (the paper's border, speck removal)."""


def _cut_zones(
    owner: np.ndarray,
    stats: np.ndarray,
    zones: Sequence[BBox],
    ink: Sequence[int],
    extents: Sequence[BBox | None],
    links: _Links,
    printed: np.ndarray | None,
    width: int,
) -> dict[int, str]:
    """Zones whose writing runs on past where it could be given to them (see
    :attr:`ZoneInk.cut`): it ends past the zone's box against printed ink (writing over
    a label is erased with the label's print: what is left of it stops at the label),
    a glyph of it is a space away from writing beyond the zone's box that it was not
    given, or it reaches the page's edge. Only the zone's writing counts
    (:func:`_writing_of`): specks and a comb's digits its reach took in do not."""
    cut: dict[int, str] = {}
    heights: dict[int, float] = {}
    for zone, extent in enumerate(extents):
        if extent is not None and ink[zone] >= MIN_INK_PIXELS:
            heights[zone] = _glyph_height(stats, np.nonzero(owner == zone)[0])
    writing = _writing_of(owner, stats, zones, heights, links)
    for zone, height in heights.items():
        members = np.nonzero(writing & (owner == zone))[0]
        stop = _stop_after(stats, members, zones[zone], printed, height, width)
        if stop is not None:
            cut[zone] = stop
    for a, b, gap, barrier in links.pairs():
        for mine, other in ((a, b), (b, a)):
            zone = int(owner[mine])
            if not writing[mine] or zone in cut or owner[other] == zone:
                continue
            x0, _, x1, _ = zones[zone]
            height = heights[zone]
            size = stats[other, cv2.CC_STAT_HEIGHT]
            centre = stats[other, cv2.CC_STAT_LEFT] + stats[other, cv2.CC_STAT_WIDTH] / 2
            if size < CUT_SHARE * height or gap > PHRASE_GAP * height or x0 <= centre < x1:
                continue
            if barrier >= 0:
                cut[zone] = "print"
            elif owner[other] >= 0:
                cut[zone] = "writing"
    return cut


WRITING_SHARE = 0.5  # components shorter than this share of a phrase's glyphs are specks
PHRASE_GAP = 0.8  # glyphs closer than this share of their height belong to one phrase
PHRASE_MAX_HEIGHT_PX = 80  # taller components (streaks, signatures) join no phrase


def _keep_phrases_together(
    owner: np.ndarray, stats: np.ndarray, zones: Sequence[BBox], links: _Links
) -> set[int]:
    """Glyphs of one written phrase that fell to two zones side by side on a line go to
    one of them (:func:`_phrase_zone`). A date written from under the label of its column
    ('08/26/1951' starting left of the birth-date zone) must not leave its first digits
    to the name zone before it. Glyphs are of one phrase when they are linked on a line
    (:func:`_line_links`) with no print between them: a label or a wall parts two
    zones' writing however close it comes.

    Returns the zones of phrases that filled two zones' boxes and left one of them
    without writing: one zone's value ran on into the next one's (nothing printed
    between them), and which glyphs are whose is a guess (:attr:`ZoneInk.cut`)."""
    keep = links.phrase & (owner[links.left] >= 0) & (owner[links.right] >= 0) & (links.barrier < 0)
    if not keep.any():
        return set()
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        parent.setdefault(i, i)
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(links.left[keep].tolist(), links.right[keep].tolist(), strict=True):
        parent[root(b)] = root(a)
    phrases: dict[int, list[int]] = {}
    for label in parent:
        phrases.setdefault(root(label), []).append(label)
    moved: list[tuple[int, set[int], list[int]]] = []
    for members in phrases.values():
        zones_of = {int(owner[m]) for m in members}
        if len(zones_of) < 2 or not _side_by_side([zones[z] for z in zones_of]):
            continue  # zones above one another part their lines by the centre rule
        winner = _phrase_zone(members, zones_of, owner, stats)
        owner[members] = winner
        moved.append((winner, zones_of - {winner}, members))
    merged: set[int] = set()
    for winner, losers, members in moved:
        for loser in losers:
            if _fills(zones[loser], stats, members) and not np.any(owner == loser):
                merged |= {winner, loser}
    return merged


def _fills(box: BBox, stats: np.ndarray, members: list[int]) -> bool:
    """Whether glyphs of a phrase stand inside ``box`` (their centres)."""
    left = stats[members, cv2.CC_STAT_LEFT]
    top = stats[members, cv2.CC_STAT_TOP]
    cx = left + stats[members, cv2.CC_STAT_WIDTH] / 2
    cy = top + stats[members, cv2.CC_STAT_HEIGHT] / 2
    inside = (box[0] <= cx) & (cx < box[2]) & (box[1] <= cy) & (cy < box[3])
    return bool(inside.any())


def _side_by_side(boxes: Sequence[BBox]) -> bool:
    """Whether zones share one line: each pair overlaps by half the lower one's height."""
    return all(
        min(a[3], b[3]) - max(a[1], b[1]) >= 0.5 * min(a[3] - a[1], b[3] - b[1])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
    )


def _phrase_zone(
    members: list[int], zones_of: set[int], owner: np.ndarray, stats: np.ndarray
) -> int:
    """The zone a phrase split between ``zones_of`` belongs to: the one whose other
    writing on the phrase's line is nearest to it (none at all counts as nearest). A
    date's first digits left in the name zone are far from the name written at the
    zone's start and next to the rest of the date."""
    x0 = int(stats[members, cv2.CC_STAT_LEFT].min())
    x1 = int((stats[members, cv2.CC_STAT_LEFT] + stats[members, cv2.CC_STAT_WIDTH]).max())
    y0 = int(stats[members, cv2.CC_STAT_TOP].min())
    y1 = int((stats[members, cv2.CC_STAT_TOP] + stats[members, cv2.CC_STAT_HEIGHT]).max())
    inside = np.zeros(owner.size, dtype=bool)
    inside[members] = True
    # Writing, not specks: a fax's dots beside the phrase decided for the wrong zone.
    glyph_height = float(np.median(stats[members, cv2.CC_STAT_HEIGHT]))
    writing = stats[: owner.size, cv2.CC_STAT_HEIGHT] >= WRITING_SHARE * glyph_height
    distance: dict[int, float] = {}
    for zone in zones_of:
        others = np.nonzero((owner == zone) & ~inside & writing)[0]
        if others.size == 0:
            distance[zone] = 0.0
            continue
        left = stats[others, cv2.CC_STAT_LEFT]
        right = left + stats[others, cv2.CC_STAT_WIDTH]
        top = stats[others, cv2.CC_STAT_TOP]
        bottom = top + stats[others, cv2.CC_STAT_HEIGHT]
        on_line = (np.minimum(bottom, y1) - np.maximum(top, y0)) > 0
        if not on_line.any():
            distance[zone] = 0.0
            continue
        gaps = np.maximum(np.maximum(left - x1, x0 - right), 0)[on_line]
        distance[zone] = float(gaps.min())
    return min(zones_of, key=lambda zone: (distance[zone], -int(np.sum(owner[members] == zone))))


def read_text_zones(
    clean: np.ndarray,
    specs: Sequence[FieldSpec],
    *,
    settings: Settings,
    dpi: int,
    underlines: np.ndarray | None = None,
    page: np.ndarray | None = None,
    printed: np.ndarray | None = None,
    specks: np.ndarray | None = None,
) -> tuple[dict[str, ZoneReading], ZoneInk]:
    """Read every text zone of one aligned page with a single Tesseract call per language.

    ``clean`` is the page's residue (see :func:`residue`); ``page`` the aligned page it
    came from (optional: without it the residue itself is read); ``printed`` the blank's
    print other than rules and ``specks`` the ink too small for the residue (see
    :func:`split_ink`).

    Zones read in another language than the settings' (a field's ``lang``, or its kind's:
    :func:`extract.japanese.zone_lang`) cannot share that call: the zones of each
    language are read together on a canvas of their own ink, so a page costs one call
    per language it holds, not one per zone."""
    split = split_ink(
        clean, specs, dpi=dpi, underlines=underlines, page=page, printed=printed, specks=specks
    )
    readings: dict[str, ZoneReading] = {}
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(split.names):
        if split.ink[i] >= MIN_INK_PIXELS and split.extents[i] is not None:
            groups.setdefault(split.lang(i) or settings.tesseract_lang, []).append(i)
        else:
            readings[name] = ZoneReading("", 0.0, split.zones[i], split.ink[i], (), "blank")
    for lang, inked in groups.items():
        # One language on the page: every zone's ink, as before languages were grouped.
        canvas = split.image() if len(groups) == 1 else split.image(inked)
        assigned = _read_canvas(canvas, split, inked, settings=settings, dpi=dpi, lang=lang)
        for i in inked:
            readings[split.names[i]] = _zone_reading(
                split, i, assigned[i], cjk=is_japanese_lang(lang)
            )
    return readings, split


def _read_canvas(
    canvas: np.ndarray,
    split: ZoneInk,
    inked: Sequence[int],
    *,
    settings: Settings,
    dpi: int,
    lang: str,
) -> dict[int, list[OcrWord]]:
    """One Tesseract call on the part of ``canvas`` around the ``inked`` zones; each word
    goes to the zone among them whose ink its box overlaps most."""
    from ocr.tesseract import read_words

    cx0, cy0, cx1, cy1 = _union([split.extents[i] for i in inked])  # type: ignore[misc]
    pad = 16
    cx0, cy0 = max(0, cx0 - pad), max(0, cy0 - pad)
    cx1, cy1 = min(canvas.shape[1], cx1 + pad), min(canvas.shape[0], cy1 + pad)
    crop = canvas[cy0:cy1, cx0:cx1]
    scale = zone_scale(lang)
    words = read_words(_upscale(crop, scale), settings=settings, psm=11, dpi=dpi * scale, lang=lang)
    owned = split.owner[split.labels]
    assigned: dict[int, list[OcrWord]] = {i: [] for i in inked}
    ours = np.array(sorted(inked))
    for word in words:
        box = _from_upscaled(word.bbox, cx0, cy0, scale)
        region = owned[box[1] : box[3], box[0] : box[2]]
        votes = region[np.isin(region, ours)]
        if votes.size == 0:
            continue
        zone = int(np.bincount(votes).argmax())
        assigned[zone].append(OcrWord(word.text, word.confidence, box, word.line_key))
    return assigned


def _zone_reading(split: ZoneInk, i: int, found: list[OcrWord], *, cjk: bool) -> ZoneReading:
    """The reading of inked zone ``i`` from the words the page's call gave it."""
    if not found:
        return ZoneReading("", 0.0, split.zones[i], split.ink[i], (), "page")
    text = join_words(found, cjk=cjk, ink=ink_columns(split, i) if cjk else None)
    conf = float(np.mean([w.confidence for w in found]))
    bbox = _union([w.bbox for w in found])
    return ZoneReading(text, conf, bbox, split.ink[i], tuple(found))


UPSCALE = 2
"""Zones are read at twice the working resolution: Tesseract is most accurate with
x-heights above ~20 px, and 9-10 pt writing at 200 dpi gives about 12 (three times
measured worse than two)."""
GREY_REACH_PX = 2
"""How far around the residue's ink the page's own grey pixels are shown to Tesseract
(1 px: 80.7 %, 2 px: 81.2 % of text fields right on the 40-document dev set)."""


CJK_SCALE = 1
"""Japanese zones are read at the working resolution: a kanji or kana written at 9-10 pt
is already about 28 px tall at 200 dpi, the size Tesseract's ``jpn`` model reads best.
Upscaled like Latin writing, it read fewer fields right (tune documents:
docs/benchmarks.md, "Form packs")."""


def zone_scale(lang: str) -> int:
    """How many times larger than the working resolution zones in ``lang`` are read."""
    return CJK_SCALE if is_japanese_lang(lang) else UPSCALE


def _resized(image: np.ndarray, scale: int) -> np.ndarray:
    if scale == 1:
        return image
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def _upscale(image: np.ndarray, scale: int = UPSCALE) -> np.ndarray:
    # Kept grey: Tesseract's own binarisation of smooth edges reads better than ours
    # of jagged ones (fax_fine text 84 % -> 88 % when this stopped thresholding).
    return _resized(stretch(image), scale)


def stretch(image: np.ndarray) -> np.ndarray:
    """Grey levels stretched so the darkest pixel is black and white stays white: pale
    scans' strokes (140-180) would otherwise look like paper to every ink test."""
    darkest = int(image.min()) if image.size else 0
    if darkest <= 0 or darkest >= 250:
        return image
    scaled = (image.astype(np.float32) - darkest) * (255.0 / (255 - darkest))
    return np.clip(scaled, 0, 255).astype(np.uint8)


def _from_upscaled(box: BBox, dx: int, dy: int, scale: int = UPSCALE) -> BBox:
    return (
        box[0] // scale + dx,
        box[1] // scale + dy,
        -(-box[2] // scale) + dx,
        -(-box[3] // scale) + dy,
    )


def read_zone_digits(
    split: ZoneInk, name: str, *, max_glyphs: int = 4, separated: bool = False
) -> ZoneReading | None:
    """A number (an age, a count of days, a numeric date) read glyph by glyph by the
    digit classifier (:mod:`extract.digits`), or None when the zone's ink does not look
    like at most ``max_glyphs`` separate marks the classifier is sure of.

    Tesseract drops or garbles short numbers on a rule ('5' read as nothing, '76' as
    '{6') and the parts of dates written over the form's printed ``__/__/____``; the
    zone's own ink, cut into glyphs where columns of paper separate them, gives the
    classifier what it reads best: one digit at a time. With ``separated``, slashes,
    hyphens and wide gaps become spaces between the parts ('03 15 2020'); otherwise
    only digits are kept together."""
    from extract.digits import read_digit_cells

    i = split.index(name)
    extent = split.extents[i]
    if extent is None or split.ink[i] < MIN_INK_PIXELS:
        return None
    x0, y0, x1, y1 = extent
    owned = split.owner[split.labels[y0:y1, x0:x1]] == i
    # Column runs of ink, left to right: where a run starts and where it stops.
    edges = np.flatnonzero(np.diff(np.concatenate([[0], owned.any(axis=0), [0]]).astype(np.int8)))
    glyphs = [(int(a), int(b)) for a, b in zip(edges[0::2], edges[1::2], strict=True)]
    zone_height = split.zones[i][3] - split.zones[i][1]
    kept: list[tuple[int, int]] = []
    bars: list[tuple[int, int]] = []
    for a, b in glyphs:
        height = _tallest_block(owned[:, a:b])
        pixels = int(owned[:, a:b].sum())
        if height < MIN_DIGIT_HEIGHT * zone_height or pixels < MIN_INK_PIXELS // 2:
            continue  # a speck or a dash, not a digit
        if b - a < GLYPH_MIN_ASPECT * height:
            if b - a > STREAK_WIDTH_PX and height <= MAX_DIGIT_HEIGHT * zone_height:
                bars.append((a, b))  # a slash, or a 1 printed by hand as a bare stroke
            continue  # not read as a digit (a fax streak's remnant is one column wide)
        if height > MAX_DIGIT_HEIGHT * zone_height:
            return None  # a fax streak or a rule crossing the zone
        if b - a > GLYPH_MAX_ASPECT * height:
            return None  # touching digits (or a word): one run is no single digit
        kept.append((a, b))
    glyphs = kept
    if not glyphs or len(glyphs) > max_glyphs:
        return None
    if split.page is not None:
        image = grey_near(owned, split.page[y0:y1, x0:x1])
    else:
        image = np.where(owned, 0, 255).astype(np.uint8)
    if bars and not _all_other_marks(read_digit_cells([_glyph_cell(image, a, b) for a, b in bars])):
        # A bar that may be a 1 printed as a bare stroke: read without it, the number
        # would be short of a digit yet look sure ('07 4 2020' for 7/14/2020).
        return None
    guesses = read_digit_cells([_glyph_cell(image, a, b) for a, b in glyphs])
    glyphs, guesses = _rejoin_split_digits(image, glyphs, guesses)
    if any(g is None or g.probability < DIGIT_SURE for g in guesses):
        return None
    widths = sorted(b - a for (a, b), g in zip(glyphs, guesses, strict=True) if g and g.digit)
    if not widths or (not separated and len(widths) < len(glyphs)):
        return None  # no digit at all, or a mark inside a plain number
    gap_limit = SEPARATING_GAP * widths[len(widths) // 2]
    words: list[OcrWord] = []
    text = ""
    for k, (guess, (a, b)) in enumerate(zip(guesses, glyphs, strict=True)):
        assert guess is not None
        if separated and k and (not guess.digit or a - glyphs[k - 1][1] > gap_limit):
            text = text.rstrip() + " "
        if guess.digit:
            text += guess.digit
            words.append(
                OcrWord(guess.digit, guess.probability, (x0 + a, y0, x0 + b, y1), (0, 0, 0))
            )
    text = text.strip()
    confidence = float(np.mean([w.confidence for w in words]))
    extent = _union([w.bbox for w in words])
    return ZoneReading(text, confidence, extent, split.ink[i], tuple(words), "digits")


def _all_other_marks(guesses: list[DigitGuess | None]) -> bool:
    """Whether the classifier is sure that each of these glyphs is no digit (a slash)."""
    return all(g is not None and not g.digit and g.probability >= DIGIT_SURE for g in guesses)


def _rejoin_split_digits(
    image: np.ndarray, glyphs: list[tuple[int, int]], guesses: list[DigitGuess | None]
) -> tuple[list[tuple[int, int]], list[DigitGuess | None]]:
    """Neighbouring glyphs that are no sure digit alone but are one together: a fax breaks
    a 0 into '(' and ')' with a column of paper between them."""
    from extract.digits import read_digit_cells

    def doubtful(guess: DigitGuess | None) -> bool:
        return guess is None or not guess.digit or guess.probability < DIGIT_SURE

    out_glyphs, out_guesses = list(glyphs), list(guesses)
    k = 0
    while k + 1 < len(out_glyphs):
        (a, b), (c, d) = out_glyphs[k], out_glyphs[k + 1]
        if doubtful(out_guesses[k]) and doubtful(out_guesses[k + 1]) and c - b <= REJOIN_GAP_PX:
            joined = read_digit_cells([_glyph_cell(image, a, d)])[0]
            if not doubtful(joined):
                out_glyphs[k : k + 2] = [(a, d)]
                out_guesses[k : k + 2] = [joined]
                continue
        k += 1
    return out_glyphs, out_guesses


def _glyph_cell(image: np.ndarray, left: int, right: int) -> np.ndarray:
    """Columns ``left:right`` of a zone's image with a white frame, as the classifier
    expects a box cell."""
    return cv2.copyMakeBorder(image[:, left:right], 4, 4, 4, 4, cv2.BORDER_CONSTANT, value=255)


REJOIN_GAP_PX = 3
SEPARATING_GAP = 0.6  # a gap wider than this share of a digit's width parts a date
GLYPH_MAX_ASPECT = 0.95  # a digit is narrower than it is tall; a wider run is two touching
GLYPH_MIN_ASPECT = 0.18  # a typed 1 has a flag or serif; a thinner run is a streak or a bar
STREAK_WIDTH_PX = 1  # a fax streak's remnant is one column wide; a wider bar may be a 1
MIN_DIGIT_HEIGHT = 0.3  # share of the zone's height a written digit reaches at least
MAX_DIGIT_HEIGHT = 1.6  # ... and at most


def _tallest_block(ink: np.ndarray) -> int:
    """Height of the tallest run of inked rows (a speck above a digit is not its height)."""
    rows = np.nonzero(ink.any(axis=1))[0]
    if rows.size == 0:
        return 0
    breaks = np.nonzero(np.diff(rows) > 1)[0]
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [rows.size - 1]])
    return int(max(rows[e] - rows[b] + 1 for b, e in zip(starts, ends, strict=True)))


def plan_rereads(
    split: ZoneInk,
    keys: Sequence[RereadKey],
    printed: Sequence[tuple[str, str | None]] = (),
) -> None:
    """Rereads (zone, whitelist, psm, underline) and readings as printed (zone,
    whitelist) the page's fields are expected to ask for: the first of a group that
    :func:`reread_zone` or :func:`read_as_printed` is asked for reads the group's planned
    ones with it, in one Tesseract process. A planned reading never asked for costs its
    crop's recognition only if another of its group is asked for, never a call."""
    split.planned.update(key for key in keys if key not in split.rereads)
    split.printed_planned.update(key for key in printed if key not in split.printed)


def reread_zone(
    split: ZoneInk,
    name: str,
    *,
    settings: Settings,
    dpi: int,
    whitelist: str | None = None,
    psm: int = 7,
    underline: bool = True,
) -> ZoneReading:
    """Read one zone's own ink on its own (single line, optional character whitelist;
    without the rule it sits on when ``underline`` is False). Each distinct reading is
    made once per page (``split.rereads``), together with the planned rereads of its
    group (:func:`plan_rereads`): same language, whitelist, psm and underline."""
    key = (name, whitelist, psm, underline)
    if key not in split.rereads:
        group = _group_of(split, key, split.planned, split.rereads)
        split.rereads.update(_reread_zones(split, group, settings=settings, dpi=dpi))
        split.planned.difference_update(group)
    return split.rereads[key]


_Key = TypeVar("_Key", bound=tuple[Any, ...])


def _group_of(
    split: ZoneInk, key: _Key, planned: set[_Key], done: Mapping[_Key, ZoneReading]
) -> list[_Key]:
    """``key`` (zone name first) and the planned keys not read yet that differ from it
    in the zone only, of zones in its language: what one Tesseract call reads."""
    lang = split.lang(split.index(key[0]))
    others = (
        other
        for other in planned
        if other[1:] == key[1:]
        and other != key
        and other not in done
        and split.lang(split.index(other[0])) == lang
    )
    return [key, *sorted(others, key=lambda other: split.index(other[0]))]


def read_as_printed(
    split: ZoneInk,
    name: str,
    page: np.ndarray,
    *,
    settings: Settings,
    dpi: int,
    whitelist: str | None,
) -> ZoneReading:
    """A zone of the aligned ``page`` as it is (form print included), read as one line:
    writing that crosses the form's own print (digits over the printed slashes of
    ``__/__/____``) loses strokes in the residue. Read once per page, together with the
    planned ones of its whitelist and language (:func:`plan_rereads`)."""
    key = (name, whitelist)
    if key not in split.printed:
        group = _group_of(split, key, split.printed_planned, split.printed)
        split.printed.update(_printed_zones(split, group, page, settings=settings, dpi=dpi))
        split.printed_planned.difference_update(group)
    return split.printed[key]


def _printed_zones(
    split: ZoneInk,
    keys: Sequence[tuple[str, str | None]],
    page: np.ndarray,
    *,
    settings: Settings,
    dpi: int,
) -> dict[tuple[str, str | None], ZoneReading]:
    """The readings of ``keys`` (one whitelist and language) as printed: each zone's box
    of the page, a little wider at its end, read alone in one Tesseract process."""
    s = dpi / POINTS_PER_INCH
    out: dict[tuple[str, str | None], ZoneReading] = {}
    crops: list[np.ndarray] = []
    boxes: list[tuple[tuple[str, str | None], BBox]] = []
    for key in keys:
        x0, y0, x1, y1 = split.zones[split.index(key[0])]
        box = (
            max(0, int(x0 - 2 * s)),
            max(0, int(y0 - 2 * s)),
            min(page.shape[1], int(x1 + 8 * s)),
            min(page.shape[0], int(y1 + 2 * s)),
        )
        crop = page[box[1] : box[3], box[0] : box[2]]
        if crop.size == 0:
            out[key] = ZoneReading("", 0.0, box, 0, (), "raw")
            continue
        crops.append(crop)
        boxes.append((key, box))
    if not crops:
        return out
    lang = split.lang(split.index(boxes[0][0][0]))
    scale = zone_scale(lang or settings.tesseract_lang)
    crops = [_resized(crop, scale) for crop in crops]
    found = _read_crops(crops, settings=settings, whitelist=keys[0][1], dpi=dpi * scale, lang=lang)
    cjk = is_japanese_lang(lang or settings.tesseract_lang)
    for (key, box), words in zip(boxes, found, strict=True):
        out[key] = _printed_reading(words, box, cjk=cjk, scale=scale)
    return out


def _printed_reading(words: Sequence[OcrWord], box: BBox, *, cjk: bool, scale: int) -> ZoneReading:
    """A zone's reading as printed from the words of its crop (``scale`` times as large,
    its corner at box)."""
    kept = [
        OcrWord(w.text, w.confidence, tuple(v // scale for v in w.bbox), w.line_key)  # type: ignore[arg-type]
        for w in words
        if is_writing(w)
    ]
    if not kept:
        return ZoneReading("", 0.0, box, 0, (), "raw")
    placed = tuple(
        OcrWord(
            w.text,
            w.confidence,
            (w.bbox[0] + box[0], w.bbox[1] + box[1], w.bbox[2] + box[0], w.bbox[3] + box[1]),
            w.line_key,
        )
        for w in kept
    )
    text = join_words(placed, cjk=True) if cjk else " ".join(w.text for w in placed)
    conf = float(np.mean([w.confidence for w in placed]))
    return ZoneReading(text, conf, box, len(text), placed, "raw")


def _read_crops(
    crops: Sequence[np.ndarray],
    *,
    settings: Settings,
    whitelist: str | None,
    dpi: int,
    lang: str | None,
    psm: int = 7,
) -> list[list[OcrWord]]:
    """Words of each crop read alone (``dpi``: the crops' own, upscaled): one crop by
    :func:`read_words`, several as the pages of one call
    (:func:`ocr.tesseract.read_words_batch`)."""
    from ocr.tesseract import read_words, read_words_batch

    if len(crops) == 1:
        return [
            read_words(
                crops[0],
                settings=settings,
                psm=psm,
                whitelist=whitelist,
                dpi=dpi,
                lang=lang,
            )
        ]
    return read_words_batch(
        crops, settings=settings, psm=psm, whitelist=whitelist, dpi=dpi, lang=lang
    )


def _reread_zones(
    split: ZoneInk, keys: Sequence[RereadKey], *, settings: Settings, dpi: int
) -> dict[RereadKey, ZoneReading]:
    """The readings of ``keys`` (one language, whitelist, psm and underline), each zone's
    crop read alone: one Tesseract process for all of them."""
    out: dict[RereadKey, ZoneReading] = {}
    crops: list[np.ndarray] = []
    placed_at: list[tuple[RereadKey, int, int, int]] = []
    lang = split.lang(split.index(keys[0][0]))
    scale = zone_scale(lang or settings.tesseract_lang)
    for key in keys:
        name, _, _, underline = key
        i = split.index(name)
        extent = split.extents[i]
        if extent is None or split.ink[i] < MIN_INK_PIXELS:
            out[key] = ZoneReading("", 0.0, split.zones[i], split.ink[i], (), "blank")
            continue
        pad = 12
        x0, y0 = max(0, extent[0] - pad), max(0, extent[1] - pad)
        x1, y1 = extent[2] + pad, extent[3] + pad
        crops.append(_upscale(split.image(i, underline=underline)[y0:y1, x0:x1], scale))
        placed_at.append((key, i, x0, y0))
    if not crops:
        return out
    _, whitelist, psm, _ = keys[0]
    found = _read_crops(
        crops, settings=settings, whitelist=whitelist, dpi=dpi * scale, lang=lang, psm=psm
    )
    cjk = is_japanese_lang(lang or settings.tesseract_lang)
    for (key, i, x0, y0), words in zip(placed_at, found, strict=True):
        out[key] = _reread_reading(split, i, words, x0, y0, cjk=cjk, scale=scale)
    return out


def _reread_reading(
    split: ZoneInk,
    i: int,
    words: Sequence[OcrWord],
    x0: int,
    y0: int,
    *,
    cjk: bool,
    scale: int,
) -> ZoneReading:
    """Zone ``i``'s reading from the words of its crop (``scale`` times as large, its
    corner at x0, y0)."""
    placed = tuple(
        OcrWord(w.text, w.confidence, _from_upscaled(w.bbox, x0, y0, scale), w.line_key)
        for w in words
    )
    if not placed:
        return ZoneReading("", 0.0, split.zones[i], split.ink[i], (), "zone")
    conf = float(np.mean([w.confidence for w in placed]))
    text = join_words(placed, cjk=cjk, ink=ink_columns(split, i) if cjk else None)
    return ZoneReading(text, conf, _union([w.bbox for w in placed]), split.ink[i], placed, "zone")


REREAD_GAP_PX = 40
"""White rows between the zones stacked for one reread call (upscaled pixels)."""


def reread_together(
    split: ZoneInk, zones: Mapping[str, str | None], *, settings: Settings, dpi: int
) -> None:
    """Read several zones again at once (``zones``: name → its whitelist), as
    :func:`reread_zone` would read each alone (own ink, upscaled), stacked one under
    another on one canvas: one Tesseract call per language and whitelist instead of one
    per zone. A call costs mostly Tesseract's start and its model's loading, and jpn's
    model is large (0.3 s a call). The readings are stored where :func:`reread_zone`
    finds them."""
    groups: dict[tuple[str | None, str | None], list[int]] = {}
    for name, whitelist in zones.items():
        i = split.index(name)
        if (name, whitelist, 7, True) in split.rereads:
            continue
        if split.extents[i] is None or split.ink[i] < MIN_INK_PIXELS:
            continue
        groups.setdefault((split.lang(i), whitelist), []).append(i)
    for (lang, whitelist), group in groups.items():
        zones_read = _reread_stacked(split, group, lang, whitelist, settings=settings, dpi=dpi)
        for i, reading in zones_read.items():
            split.rereads[(split.names[i], whitelist, 7, True)] = reading


def _reread_stacked(
    split: ZoneInk,
    zones: Sequence[int],
    lang: str | None,
    whitelist: str | None,
    *,
    settings: Settings,
    dpi: int,
) -> dict[int, ZoneReading]:
    """The readings of ``zones`` stacked on one canvas and read in one call (psm 4), of
    the zones it read anything in."""
    from ocr.tesseract import read_words

    if len(zones) < 2:
        return {}  # alone, it is read alone when asked for
    pad = 12
    scale = zone_scale(lang or settings.tesseract_lang)
    pieces: list[tuple[int, int, int, np.ndarray]] = []  # zone, x0, y0, upscaled crop
    for i in zones:
        extent = split.extents[i]
        assert extent is not None
        x0, y0 = max(0, extent[0] - pad), max(0, extent[1] - pad)
        crop = split.image(i)[y0 : extent[3] + pad, x0 : extent[2] + pad]
        pieces.append((i, x0, y0, _upscale(crop, scale)))
    height = sum(p[3].shape[0] + REREAD_GAP_PX for p in pieces) + REREAD_GAP_PX
    width = max(p[3].shape[1] for p in pieces) + 2 * REREAD_GAP_PX
    canvas = np.full((height, width), 255, dtype=np.uint8)
    bands: list[tuple[int, int, int, int, int]] = []  # top, bottom, zone, x0, y0
    top = REREAD_GAP_PX
    for i, x0, y0, big in pieces:
        h, w = big.shape[:2]
        canvas[top : top + h, REREAD_GAP_PX : REREAD_GAP_PX + w] = big
        bands.append((top, top + h, i, x0, y0))
        top += h + REREAD_GAP_PX
    words = read_words(
        canvas, settings=settings, psm=4, dpi=dpi * scale, lang=lang, whitelist=whitelist
    )
    found: dict[int, list[OcrWord]] = {i: [] for i in zones}
    for word in words:
        centre = (word.bbox[1] + word.bbox[3]) // 2
        for band_top, band_bottom, i, x0, y0 in bands:
            if band_top <= centre < band_bottom:
                local = (
                    word.bbox[0] - REREAD_GAP_PX,
                    word.bbox[1] - band_top,
                    word.bbox[2] - REREAD_GAP_PX,
                    word.bbox[3] - band_top,
                )
                box = _from_upscaled(local, x0, y0, scale)
                found[i].append(OcrWord(word.text, word.confidence, box, word.line_key))
                break
    cjk = is_japanese_lang(lang or settings.tesseract_lang)
    readings: dict[int, ZoneReading] = {}
    for i in zones:
        placed = tuple(found[i])
        if not placed:
            continue  # a lone character a block read passed over: read alone if asked
        conf = float(np.mean([w.confidence for w in placed]))
        text = join_words(placed, cjk=cjk, ink=ink_columns(split, i) if cjk else None)
        readings[i] = ZoneReading(
            text, conf, _union([w.bbox for w in placed]), split.ink[i], placed, "zone"
        )
    return readings


def read_comb(
    clean: np.ndarray,
    spec: FieldSpec,
    *,
    settings: Settings,
    dpi: int,
    page: np.ndarray | None = None,
) -> ZoneReading:
    """A comb field (one box per character): the inked boxes' insides are laid side by
    side on a strip (walls already gone from the residue) and read as one line by
    Tesseract, while the digit classifier (:mod:`extract.digits`) reads each box alone.

    Per box, a digit the classifier is sure of (``DIGIT_SURE``) wins; otherwise
    Tesseract's. When the line's character count disagrees with the inked boxes, the line
    cannot be lined up with the boxes, and the boxes the classifier is unsure of are read
    by Tesseract one at a time. Each box becomes one word whose confidence says whether
    the two readers agreed.

    With the aligned ``page`` given, the strip shows the page's grey pixels near the
    residue's ink, as :meth:`ZoneInk.image` does (comb fields read right 82 % -> 90 % on
    the dev set together with :func:`ink_level` and :func:`stretch`)."""
    from extract.digits import read_digit_cells
    from ocr.tesseract import read_text

    assert spec.boxes
    default = "0123456789" if spec.kind in DIGIT_COMB_KINDS else None
    whitelist = safe_whitelist(
        spec.whitelist or default or KIND_WHITELIST.get(spec.kind, "0123456789")
    )
    boxes = [points_to_pixels(b, dpi) for b in spec.boxes]
    zone = _union(boxes)
    source, ox, oy = clean, 0, 0  # what cells are cut from, and where it sits on the page
    if page is not None:
        ox, oy, x1, y1 = reach_box(zone, dpi, (clean.shape[0], clean.shape[1]))
        source = grey_near(clean[oy:y1, ox:x1] < 128, page[oy:y1, ox:x1])
    cells: list[np.ndarray] = []
    used: list[BBox] = []
    height = max(b[3] - b[1] for b in boxes) + 8
    for x0, y0, x1, y1 in boxes:
        ry0, ry1 = max(0, y0 - 4), min(clean.shape[0], y1 + 4)
        if np.count_nonzero(clean[ry0:ry1, x0:x1] < 128) < MIN_INK_PIXELS // 3:
            continue
        cell = cv2.copyMakeBorder(
            source[ry0 - oy : ry1 - oy, x0 - ox : x1 - ox],
            0,
            height - (ry1 - ry0),
            0,
            0,
            cv2.BORDER_CONSTANT,
            value=255,
        )
        cells.append(cell)
        used.append((x0, y0, x1, y1))
    ink = sum(_ink(clean, b) for b in boxes)
    if not cells:
        return ZoneReading("", 0.0, zone, ink, (), "blank")
    digits_only = whitelist is not None and set(whitelist) <= set("0123456789")
    guesses = read_digit_cells(cells, digits_only=True) if digits_only else [None] * len(cells)
    gap = np.full((height, COMB_GAP_PX), 255, dtype=np.uint8)
    strip = np.hstack([part for cell in cells for part in (cell, gap)])
    strip = cv2.copyMakeBorder(strip, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=255)
    lang = zone_lang(spec)
    line = read_text(
        _upscale(strip), settings=settings, psm=7, whitelist=whitelist, dpi=dpi * UPSCALE, lang=lang
    )
    chars = "".join(ch for ch in line.text if not ch.isspace())
    lined_up = len(chars) == len(cells)
    words: list[OcrWord] = []
    for index, (cell, guess, box) in enumerate(zip(cells, guesses, used, strict=True)):
        if lined_up:
            ocr_char, ocr_confidence = chars[index], line.confidence
        elif guess is not None and guess.probability >= DIGIT_SURE:
            ocr_char, ocr_confidence = "", 0.0  # no need to ask Tesseract about this box
        else:
            ocr_char, ocr_confidence = _read_comb_box(cell, settings, whitelist, dpi, lang)
        char, confidence = _comb_vote(guess, ocr_char, ocr_confidence)
        words.append(OcrWord(char, confidence, box, (0, 0, 0)))
    text = "".join(w.text for w in words)
    mean = float(np.mean([w.confidence for w in words]))
    return ZoneReading(text, mean, _union(used), ink, tuple(words), "comb")


DIGIT_SURE = 0.7
"""A box's digit from the classifier wins over Tesseract's at this probability or more
(box cells of the 40-document dev set: Tesseract alone 97.7 %, classifier alone 99.1 %,
the classifier when sure and Tesseract otherwise 99.6 %; 0.6-0.9 measured alike)."""
DISAGREE_DOUBT = 0.7  # a box's confidence is scaled by this when the two readers differ


def _comb_vote(guess: DigitGuess | None, ocr_char: str, ocr_confidence: float) -> tuple[str, float]:
    """One box's character and confidence from the classifier's guess and Tesseract's."""
    if guess is None:
        return ocr_char, ocr_confidence * DISAGREE_DOUBT if ocr_char else 0.0
    if ocr_char == guess.digit:
        # Two independent readers agree: each one's doubt must be wrong for the box to be.
        return ocr_char, 1.0 - (1.0 - guess.probability) * (1.0 - ocr_confidence)
    if guess.probability >= DIGIT_SURE or not ocr_char:
        doubt = DISAGREE_DOUBT if ocr_char else 1.0
        return guess.digit, guess.probability * doubt
    return ocr_char, ocr_confidence * DISAGREE_DOUBT


def _read_comb_box(
    cell: np.ndarray, settings: Settings, whitelist: str | None, dpi: int, lang: str | None
) -> tuple[str, float]:
    """Tesseract's reading of one box alone: single-character mode first; it returns
    nothing on some clear digits, which single-word mode then reads."""
    from ocr.tesseract import read_text

    framed = _upscale(cv2.copyMakeBorder(cell, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=255))
    for psm in (10, 8):
        single = read_text(
            framed, settings=settings, psm=psm, whitelist=whitelist, dpi=dpi * UPSCALE, lang=lang
        )
        text = "".join(ch for ch in single.text if not ch.isspace())
        if text:
            return text[:1], single.confidence if len(text) == 1 else 0.0
    return "", 0.0


COMB_GAP_PX = 8  # white between the boxes of a comb strip (6-10 read alike, 24 worse)
