"""Checkbox groups read comparatively, from new ink in and around each printed square.

People mark boxes in every way: an X, a tick (thick or thin), a fill, a slash, a circle
around the box, a mark off the centre or spilling across the printed border. So a box's
evidence is not "how much of its inside is covered" but the **new ink that belongs to
it**: ink the blank form does not print (the blank's print is subtracted, see
:func:`extract.read.new_ink`) inside the printed square *or* in a margin around it, when
that ink touches the square or surrounds it (a circle). Ink in the margin that does
neither — the descender of a name written above, a speck — is somebody else's.

* **The printed square** is found in the blank form's own ink (``BlankMasks.printed``):
  the closed paper area inside the print around the template box. Templates sometimes
  give a smaller box inside a larger printed square (the DHS-1171 person blocks print
  18 pt squares around 10 pt buttons); marks are made in the printed square.
* **Ink is measured in strokes**: pixels ÷ (the square's side × a 1 pt pen), so a line
  once across the box is about 1 whatever the dpi and box size; a thin tick is ~0.5-1,
  an X 2-3, a circle 3-5, a fill 5+. Fax specks surviving the residue are < 0.1.
* **The group decides together.** A single-choice group is read when one box carries a
  mark and every other box is at noise level; two boxes each carrying a mark are
  ``multiple_marks``; ink without such a winner (a near-tie, a mark beside faint ink) is
  ``ambiguous_mark``. Neither is ever guessed: value None, low confidence.
* **A mark a fax broke into specks** (:func:`faint_mark`): a single choice with no mark,
  one of whose boxes holds a broken stroke's specks in its core while the others are
  clean, reads that box as a suggestion a person confirms (FAINT_MARK_CONFIDENCE).
* **A mark run on across print** (:func:`_spilled`): a fill drawn across a border and
  the rule below it into the next row's square arrives cut in two by the subtracted
  print. A box whose mark is the smaller part of such a piece, lying along the side that
  faces the larger, keeps its reading at SPILLED_CONFIDENCE, and its raw text says
  ``spilled:<value>``: a person decides whose mark it was.
* A box the blank itself prints marked (the DHS-1171's Food Assistance tick) reads as
  marked: the spec's truth for it is ``true``, and nobody can unmark print.

Multi choice: the sorted list of boxes carrying a mark, None when none. Standalone box:
True / False.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import cv2
import numpy as np

from extract.read import GROW_PX
from extract.reference import POINTS_PER_INCH, points_to_pixels
from extract.template import FieldKind, FieldSpec

PxBox = tuple[int, int, int, int]
Ellipse = tuple[tuple[float, float], tuple[float, float], float]  # as cv2.fitEllipse gives

FAINT = 0.3
"""Strokes below which a box holds no mark: fax specks and slivers of a border that the
alignment left stay under ~0.15; the thinnest tick across a box is ~0.5."""
QUIET = 0.05
"""Strokes below which a box is sure to be empty: above it, a box may hold part of a mark
the reader could not see whole (a thin tick faded by the fax, a circle cut by print),
and emptiness is less sure."""
MARK = 0.5
"""Strokes from which ink is a mark on its own, even beside another mark (two of these
in one single-choice group are ``multiple_marks``)."""
CLEAR = 1.0
"""Strokes from which a lone mark is read with full confidence (an X, a fill, a circle)."""
DOMINANCE = 4.0
"""A winner carries at least this many times the ink of the group's next box."""
LOW_CONFIDENCE = 0.2  # several marks, or ink without a winner: a person decides
RING_RADIUS = 1.4
"""How far from a box's centre (in sides) ink may ring it: people circle a box with room
to spare, but a circle round the next box in a stacked column is farther."""
RING_BINS = 24  # directions seen from a box's centre
RING_COVERAGE = 0.5  # share of the directions a ring's arcs fill
RING_SIDE_BINS = 4  # directions a ring fills on each side of its box (_round_about)
RING_PARTIAL = 0.4
"""Share of the directions from which ink round a box that is not a ring (RING_COVERAGE)
may be one that lost its arcs under print: a circle drawn across labels. Such a box is
not read as marked, but an empty group is then not sure (PARTIAL_RING_CONFIDENCE)."""
PARTIAL_RING_CONFIDENCE = 0.7
EMPTY_CHOICE_CONFIDENCE = 0.85
"""How sure a single choice, or a multi choice, read as unanswered can be. A question the
writer was asked to answer shows no mark both when it was skipped and when its mark did
not reach the reader (a thin tick a fax erased, a tick drawn between two stacked boxes and
given to the other); nothing on the page tells the two apart (docs/extraction.md, "An
unanswered question"). A standalone box left unticked is an answer in itself, and stays
sure."""
FAINT_MARK_CONFIDENCE = 0.6
"""How sure a mark read from what a fax left of it is (:func:`faint_mark`): a person
checks it, and sees the reader's suggestion instead of an empty answer."""
ACROSS_PRINT = 0.75
"""Longest run across print (a border, the gap, a rule, the next border), in box sides,
that links two pieces of a mark when the page is dark all along it."""
COVERED = 0.4
"""A pixel a mark covers is darker than this share of the paper's level: a pen's ink,
not the paper of a one-pixel gap between two borders that a scan's blur greyed."""
SPILL_FAR_SHARE = 0.1
"""At most this share of a smaller part's ink may lie in the half of its square away from
the larger part for it to be a band along the near side (a fax's speck or a pixel of a
jagged edge lies anywhere)."""
SPILLED_CONFIDENCE = 0.6
"""Cap of a reading that rests on a box whose mark is one stroke with a larger mark in
another box (:func:`_spilled`): a fill or a long stroke run on across the gap into
the next square, or two marks a fax joined. The pixels cannot tell which, so a person
does; the value is read as before."""
SPILL_LEAD = 1.5
"""A single choice whose other marks are all spilled (:func:`_spilled`) reads the mark
that holds this many times the strokes of the largest of them, at SPILLED_CONFIDENCE; a
fill drawn across two squares about evenly stays two marks."""
CORE_INSET_PX = GROW_PX + 2
"""How far inside a printed square its core begins: past the slivers a fax leaves along
the inside of a border, where a thin tick's specks still lie."""
FAINT_CORE = 0.06
"""Strokes of ink, specks included, in a box's core from which the remains of a mark may
be there: an empty core holds next to none (docs/extraction.md, "A thin tick a fax broke
into specks")."""
FAINT_PIECES = 3
"""Pieces of such ink in one core that make a broken stroke. Two specks in a box are fax
dirt too often; one piece, however long, is a stroke reaching in from outside the box
(a circle round the next box, its arc along the border)."""
FAINT_QUIET = 0.02
"""Strokes of core ink every other box of the group stays below for a faint mark to be
read: faint ink in two boxes is nobody's answer."""
RING_BAND = 0.15
"""Half-width (in sides) of a fitted ring's course: the pen's width and the arcs' wobble
round the ellipse; a stroke across a square crosses that band, it does not run in it."""
RING_FIT = 0.6  # share of a box's ring arcs on the ellipse fitted to them
RING_MIN_PX = 12  # ring pixels to fit an ellipse to
RING_CENTRE = 0.6  # a ring's box's centre lies within this share of the ring's radius
RING_SOLID = 0.35
"""Ink this wide (in sides) inside a box is a fill, never a pen's line: a box so marked is
not one a person circled."""
FILLED = 0.6
"""Share of a square's inside that ink covers when the square is filled in: a fill, not
the arcs of circles round stacked boxes crossing in it, nor an X (:func:`_fills`)."""
RING_CLAIM = 0.6
"""Share of a square's ink that must lie on rings' courses for the rings to take it: a
square holding a mark of its own (an X whose arms a ring's course crosses) keeps all its
ink."""
RING_REACH = 1.0
"""How far beyond the printed squares (in sides) a group's window reaches: past any ring
(RING_RADIUS from the centre)."""
MARGIN = 0.35
"""Margin around the printed square searched for ink that spills over the border or rings
the box, as a share of the square's side (clipped half-way to the group's other boxes)."""
BRIDGE_PX = GROW_PX + 1
"""Gaps in a stroke this wide (on each side) are bridged: where it crossed print that
the residue subtracted with the print's grown mask."""
ALIGN_SLACK_PX = 3
"""Alignment error (pixels, beyond the residue's own GROW_PX) that a page may keep after
registration: ink this near the blank's print is not counted as a mark."""
BORDER_BAND_PX = GROW_PX + ALIGN_SLACK_PX  # how far off a border its fax copy may lie
LINE_SIDES = 1.5  # ink running straight this many box sides is a line, never a ring's arc
LINE_GAP_PX = 15  # ... across the gaps a fax breaks a line into (as extract.read's dashes)
STREAK_MAX_WIDTH_PX = 12  # a fax streak wandering sideways; a mark is wider
STREAK_WANDER_PX = 2
STREAK_SHARE = 0.75
"""Share of a column's visible rows a streak inks in the rows of a group's boxes and
margins; an upright stroke across a box inks ~0.6 of them."""
PAPER_PERCENTILE = 90  # most of a group's window is paper
MIN_CONTRAST = 24
"""Grey levels (of 255) below the blank's own shade from which a pixel is a mark's ink:
a thin pen stroke sent at fax resolution arrives 30-40 levels below white."""
NOISE_SIGMAS = 4.0  # on a noisy scan, ink must stand this far out of the paper's noise
BLACK_PRINT = 96  # blank grey levels below this are print no mark is seen through
SHADED = 250  # blank grey levels below this are print, a box's grey shading included
SPECK_AREA = 3  # pixels: components this small are fax noise (as extract.read drops)
PREPRINTED_SHARE = 0.07  # printed ink in a box's middle above which the blank marks it


@dataclass(frozen=True, slots=True)
class PrintedSquare:
    """A box as printed: its paper inside and its outer edge (page pixels)."""

    inside: PxBox
    outer: PxBox
    found: bool  # False: the template box, no closed square was found in the print

    @property
    def side(self) -> int:
        x0, y0, x1, y1 = self.outer
        return max(1, x1 - x0, y1 - y0)


@dataclass(frozen=True, slots=True)
class BoxScore:
    value: Any
    score: float  # new ink belonging to the box, in strokes (see module docstring)
    bbox: tuple[int, int, int, int]  # the printed square (page pixels)
    preprinted: bool = False
    partial_ring: bool = False  # ink partly round the box: a circle that print cut up?
    spilled: bool = False  # its mark is the lesser part of one another box marks too

    @property
    def marked(self) -> bool:
        return self.preprinted or self.score >= FAINT


@dataclass(frozen=True, slots=True)
class CheckboxReading:
    """The value of one checkbox field and its evidence."""

    value: Any
    confidence: float
    bbox: tuple[int, int, int, int]
    scores: tuple[BoxScore, ...]
    multiple_marks: bool = False
    ambiguous: bool = False
    faint: bool = False  # read from what a fax left of a mark (faint_mark)
    over_spill: bool = False  # read though other boxes hold its run-on (_single_choice)

    @property
    def raw_text(self) -> str:
        """Scores as text for the review screen (no personal data: box states only)."""
        scores = " ".join(f"{b.value}:{b.score:.2f}" for b in self.scores)
        spilled = ",".join(str(b.value) for b in self.scores if b.spilled and b.marked)
        if spilled:
            scores = f"{scores} spilled:{spilled}"
        return f"{scores} faint:{self.value}" if self.faint else scores


class Rings(NamedTuple):
    """Pixels of the rings (circles round boxes) seen in a group's window, courses
    through squares included; ``origin`` is the window's top left (page pixels)."""

    mask: np.ndarray
    origin: tuple[int, int]


class GroupInk(NamedTuple):
    """What :func:`group_strokes` finds in a group's window."""

    strokes: list[float]  # new ink belonging to each box, in strokes
    partial: list[bool]  # ink partly round a box without ringing it (RING_PARTIAL)
    rings: Rings | None
    spilled: list[bool]  # a mark that may be another box's run on across print (_spilled)


@dataclass(frozen=True, slots=True)
class FaintInk:
    """Ink in a box's core, specks included: what a fax may have left of a mark."""

    strokes: float
    pieces: int

    @property
    def broken_stroke(self) -> bool:
        return self.strokes >= FAINT_CORE and self.pieces >= FAINT_PIECES


def read_checkbox_field(
    spec: FieldSpec,
    page: np.ndarray,
    blank: np.ndarray,
    *,
    dpi: int,
    printed: np.ndarray | None = None,
    others: Sequence[tuple[float, float, float, float]] = (),
    written: np.ndarray | None = None,
    page_ink: np.ndarray | None = None,
) -> CheckboxReading:
    """Read a CHOICE, MULTI_CHOICE or CHECKBOX field from an aligned grey page and the
    blank form's grey page in the same frame (see :func:`mark_ink`); ``printed`` is the
    blank form's own ink, where the printed squares are found. ``others`` are the boxes
    (points) of the page's other checkbox fields: a mark or circle of a neighbouring
    group that reaches into this group's margins is that group's, not this one's.
    ``written`` is the page reader's new ink (:func:`extract.read.new_ink`), when the
    caller has it: ink either measure sees counts. ``page_ink`` is all of the page's ink,
    for boxes whose printed letter a mark covers (:func:`_darkening`)."""
    assert spec.options, f"{spec.name} has no options"
    boxes = [points_to_pixels(option.box, dpi) for option in spec.options]
    squares = [printed_square(printed, box) for box in boxes]
    neighbours = [
        printed_square(printed, box)
        for box in (points_to_pixels(other, dpi) for other in others)
        if box not in boxes and _near(box, squares)
    ]
    strokes, partial, rings, spilled = group_strokes(
        page, blank, [*squares, *neighbours], dpi=dpi, printed=printed, written=written
    )
    own = len(squares)  # the neighbours' boxes come after the group's own
    scores = tuple(
        BoxScore(option.value, ink, square.outer, _preprinted(printed, box), part, spill)
        for option, box, square, ink, part, spill in zip(
            spec.options, boxes, squares, strokes[:own], partial[:own], spilled[:own], strict=True
        )
    )
    union = (
        min(s.bbox[0] for s in scores),
        min(s.bbox[1] for s in scores),
        max(s.bbox[2] for s in scores),
        max(s.bbox[3] for s in scores),
    )
    if spec.kind is FieldKind.CHOICE:
        if len(scores) > 1 and all(s.preprinted for s in scores):
            # Print in every box of a single choice is the options' own labels ("Y | N"
            # cells to mark), not boxes ticked in advance: only new ink decides.
            scores = tuple(replace(s, preprinted=False) for s in scores)
            if page_ink is not None and printed is not None:
                scores = _darkening(scores, boxes, page_ink, printed, dpi=dpi)
        reading = _single_choice(scores, union)
        if reading.value is None and not (reading.multiple_marks or reading.ambiguous):
            return faint_mark(reading, faint_ink(page, blank, squares, dpi=dpi, rings=rings))
        if any(s.spilled and s.value == reading.value for s in scores):
            return replace(reading, confidence=min(reading.confidence, SPILLED_CONFIDENCE))
        return reading
    marked = [s for s in scores if s.marked]
    confidence = independent_confidence(scores)
    if any(s.spilled and not s.preprinted for s in marked):
        confidence = min(confidence, SPILLED_CONFIDENCE)
    if spec.kind is FieldKind.CHECKBOX:
        return CheckboxReading(bool(marked), confidence, union, scores)
    values = sorted(str(s.value) for s in marked) if marked else None
    if values is None:
        # No box of a multi choice marked: skipped, or a mark that did not reach us, as
        # for a single choice (docs/extraction.md, "An unanswered question").
        confidence = min(confidence, EMPTY_CHOICE_CONFIDENCE)
    return CheckboxReading(values, confidence, union, scores)


def _single_choice(scores: tuple[BoxScore, ...], union: PxBox) -> CheckboxReading:
    """One winner against quiet neighbours is read; anything else is left to a person."""
    ranked = sorted(scores, key=lambda s: (s.preprinted, s.score), reverse=True)
    top = ranked[0]
    second = ranked[1].score if len(ranked) > 1 else 0.0
    if not top.marked:
        confidence = min(empty_confidence(top.score), EMPTY_CHOICE_CONFIDENCE)
        if any(s.partial_ring for s in scores):
            confidence = min(confidence, PARTIAL_RING_CONFIDENCE)
        return CheckboxReading(None, confidence, union, scores)
    if len(ranked) > 1 and (ranked[1].preprinted or second >= MARK):
        rest = [s for s in ranked[1:] if s.preprinted or s.score >= MARK]
        if (
            not (top.spilled or top.preprinted)
            and all(s.spilled for s in rest)
            and top.score >= SPILL_LEAD * second
        ):
            # The other marks are this one's run over the print into the squares beside
            # it (_spilled): one answer, though the pixels cannot tell it surely from two
            # marks joined. A fill drawn half in each square is no one's to read.
            return CheckboxReading(top.value, SPILLED_CONFIDENCE, union, scores, over_spill=True)
        return CheckboxReading(None, LOW_CONFIDENCE, union, scores, multiple_marks=True)
    if top.score < DOMINANCE * second and not top.preprinted:
        return CheckboxReading(None, LOW_CONFIDENCE, union, scores, ambiguous=True)
    return CheckboxReading(top.value, winner_confidence(top, second), union, scores)


def faint_mark(empty: CheckboxReading, faint: Sequence[FaintInk]) -> CheckboxReading:
    """A single choice read as unanswered, given the ink in each box's core: one box
    holding a broken stroke while every other box is sure to be empty (QUIET, and a clean
    core) is read as marked, at FAINT_MARK_CONFIDENCE.

    A thin tick sent by fax arrives as specks of a pixel or three, each too small to tell
    from fax noise, which :func:`mark_ink` drops: the group reads as unanswered, and the
    answer the writer gave is lost without a sign. Specks lying together in one box's
    core, away from the border where alignment leaves slivers, are the tick's remains;
    fax noise rarely puts two there, and a streak or a moved rule runs across the whole
    core and is not counted. Dirt scattered over a group marks the other boxes too, and
    the group stays unanswered. A circle cut up by print (``partial_ring``) is left to a
    person as before."""
    if any(s.partial_ring for s in empty.scores):
        return empty
    broken = [index for index, ink in enumerate(faint) if ink.broken_stroke]
    if len(broken) != 1:
        return empty
    (index,) = broken
    others = [i for i in range(len(faint)) if i != index]
    if any(faint[i].strokes >= FAINT_QUIET or empty.scores[i].score >= QUIET for i in others):
        return empty
    value = empty.scores[index].value
    return replace(empty, value=value, confidence=FAINT_MARK_CONFIDENCE, faint=True)


def faint_ink(
    page: np.ndarray,
    blank: np.ndarray,
    squares: Sequence[PrintedSquare],
    *,
    dpi: int,
    rings: Rings | None = None,
) -> list[FaintInk]:
    """Each square's core ink (inside it, CORE_INSET_PX from its border), specks
    included; pieces running across the whole core (a fax streak, a rule the fax moved)
    and ink near a ring's course (``rings``: a circle round a stacked neighbour passes
    through the square, and a fax breaks its arc into specks too) left out. Paper and
    noise are measured over the group and a side around it."""
    side = max(s.side for s in squares)
    wx0, wy0, wx1, wy1 = _window(squares, [side] * len(squares), page.shape)
    if wx1 <= wx0 or wy1 <= wy0:
        return [FaintInk(0.0, 0) for _ in squares]
    ink = mark_ink(page, blank, (wx0, wy0, wx1, wy1), specks=True)
    if rings is not None and rings.mask.any():
        ink &= ~_near_rings(rings, (wx0, wy0, wx1, wy1))
    pen = dpi / POINTS_PER_INCH
    found: list[FaintInk] = []
    for square in squares:
        x0, y0, x1, y1 = square.inside
        core = ink[
            max(0, y0 + CORE_INSET_PX - wy0) : max(0, y1 - CORE_INSET_PX - wy0),
            max(0, x0 + CORE_INSET_PX - wx0) : max(0, x1 - CORE_INSET_PX - wx0),
        ].astype(np.uint8)
        if core.size == 0:
            found.append(FaintInk(0.0, 0))
            continue
        _count, _labels, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=8)
        across = (stats[:, cv2.CC_STAT_WIDTH] >= core.shape[1]) | (
            stats[:, cv2.CC_STAT_HEIGHT] >= core.shape[0]
        )
        across[0] = True  # the background
        pieces = np.flatnonzero(~across)
        pixels = int(stats[pieces, cv2.CC_STAT_AREA].sum())
        found.append(FaintInk(pixels / (square.side * pen), len(pieces)))
    return found


def _window(squares: Sequence[PrintedSquare], pads: Sequence[int], shape: tuple[int, ...]) -> PxBox:
    """The page pixels round ``squares``, each padded by its own of ``pads``, within the
    page (``shape``); empty (x1 <= x0 or y1 <= y0) when that leaves nothing."""
    height, width = shape[:2]
    pairs = list(zip(squares, pads, strict=True))
    return (
        max(0, min(s.outer[0] - pad for s, pad in pairs)),
        max(0, min(s.outer[1] - pad for s, pad in pairs)),
        min(width, max(s.outer[2] + pad for s, pad in pairs)),
        min(height, max(s.outer[3] + pad for s, pad in pairs)),
    )


def _near_rings(rings: Rings, window: PxBox) -> np.ndarray:
    """Pixels of ``window`` within BORDER_BAND_PX of a ring's pixels: the specks a fax
    broke off the ring's arc lie beside what was kept of it."""
    x0, y0, x1, y1 = window
    rx, ry = rings.origin
    size = 2 * BORDER_BAND_PX + 1
    grown = cv2.dilate(rings.mask.astype(np.uint8), np.ones((size, size), np.uint8)) > 0
    near = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    # the two windows' overlap, in each one's own coordinates
    ox0, oy0 = max(x0, rx), max(y0, ry)
    ox1, oy1 = min(x1, rx + grown.shape[1]), min(y1, ry + grown.shape[0])
    if ox1 > ox0 and oy1 > oy0:
        near[oy0 - y0 : oy1 - y0, ox0 - x0 : ox1 - x0] = grown[
            oy0 - ry : oy1 - ry, ox0 - rx : ox1 - rx
        ]
    return near


def winner_confidence(top: BoxScore, second: float) -> float:
    """How sure a lone mark is: in [0.5, 1], full for a clear mark (≥ CLEAR) beside boxes
    with next to nothing in them; a thin tick, or neighbours with some ink, weigh less."""
    if top.preprinted:
        return 1.0
    strength = min(1.0, (top.score - FAINT) / (CLEAR - FAINT))
    quiet = min(1.0, (FAINT - second) / (FAINT - QUIET))
    lead = min(1.0, (top.score / max(second, 1e-6) - DOMINANCE) / DOMINANCE)
    return 0.5 + 0.5 * max(0.0, min(strength, quiet, lead))


def empty_confidence(top: float) -> float:
    """How sure an empty group is: in [0.5, 1], lower as its strongest box nears a mark."""
    return 0.5 + 0.5 * min(1.0, max(0.0, (FAINT - top) / (FAINT - QUIET)))


def independent_confidence(scores: Sequence[BoxScore]) -> float:
    """Boxes read each on its own (multi choice, standalone): the least clear box decides;
    in [0.5, 1]."""
    worst = 1.0
    for s in scores:
        if s.preprinted:
            continue
        if s.score >= FAINT:
            worst = min(worst, (s.score - FAINT) / (CLEAR - FAINT))
        else:
            worst = min(worst, (FAINT - s.score) / (FAINT - QUIET))
            if s.partial_ring:
                worst = min(worst, 2 * PARTIAL_RING_CONFIDENCE - 1)
    return 0.5 + 0.5 * max(0.0, min(1.0, worst))


# --------------------------------------------------------------------------------------
# Where the boxes are, and whose ink is whose
# --------------------------------------------------------------------------------------


def printed_square(printed: np.ndarray | None, box: PxBox) -> PrintedSquare:
    """The printed square around a template box, from the blank form's own ink: the
    closed paper area the box's middle lies in, when it is square and of a box's size,
    grown by the printed border's thickness. The template box when there is none (a box
    printed already ticked, or a form printing no square)."""
    fallback = PrintedSquare(box, box, found=False)
    if printed is None:
        return fallback
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0)
    height, width = printed.shape
    wx0, wy0 = max(0, x0 - side), max(0, y0 - side)
    wx1, wy1 = min(width, x1 + side), min(height, y1 + side)
    paper = (~printed[wy0:wy1, wx0:wx1]).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(paper, connectivity=4)
    qx, qy = (x1 - x0) // 4, (y1 - y0) // 4
    middle = labels[y0 + qy - wy0 : y1 - qy - wy0, x0 + qx - wx0 : x1 - qx - wx0]
    found = np.bincount(middle[middle > 0].ravel(), minlength=count)
    if count < 2 or found.max() == 0:
        return fallback
    label = int(found.argmax())
    left, top, w, h, area = (int(v) for v in stats[label])
    closed = left > 0 and top > 0 and left + w < wx1 - wx0 and top + h < wy1 - wy0
    square = 0.6 <= w / h <= 1 / 0.6 and 0.4 * side <= max(w, h) <= 2.5 * side
    if not (closed and square and area >= 0.7 * w * h):
        return fallback
    inside = (wx0 + left, wy0 + top, wx0 + left + w, wy0 + top + h)
    border = _border_thickness(printed, inside, limit=max(1, side // 4))
    outer = (
        max(0, inside[0] - border),
        max(0, inside[1] - border),
        min(width, inside[2] + border),
        min(height, inside[3] + border),
    )
    return PrintedSquare(inside, outer, found=True)


def _border_thickness(printed: np.ndarray, inside: PxBox, *, limit: int) -> int:
    """The printed border's thickness: the run of ink outward from the middle of each
    side of the paper inside (a bevelled box's shading counts as border)."""
    x0, y0, x1, y1 = inside
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    height, width = printed.shape
    runs = (
        printed[max(0, y0 - limit) : y0, cx][::-1],
        printed[y1 : min(height, y1 + limit), cx],
        printed[cy, max(0, x0 - limit) : x0][::-1],
        printed[cy, x1 : min(width, x1 + limit)],
    )
    widths = []
    for run in runs:
        gaps = np.flatnonzero(~run)
        widths.append(int(gaps[0]) if gaps.size else run.size)
    # The median side: where boxes are stacked touching, a side's run goes on into the
    # next box's border and shading.
    return sorted(widths)[1]


def group_strokes(
    page: np.ndarray,
    blank: np.ndarray,
    squares: Sequence[PrintedSquare],
    *,
    dpi: int,
    printed: np.ndarray | None = None,
    written: np.ndarray | None = None,
) -> GroupInk:
    """New ink belonging to each box of a group, in strokes; which boxes ink partly
    surrounds without ringing them (RING_PARTIAL); and where rings run.

    The group's boxes share the page around them: each owns the pixels within its margin
    that are nearer to it than to the others. A stroke — ink connected once the gaps
    that subtracting the print cut into it are bridged (a stroke across the border, a
    circle across a label's letters) — counts for a box when it touches the printed
    square or surrounds it, and then wholly for the one such box holding most of it: an
    X spilling into the next box, or a circle crossing it, is still one mark. Ink near
    a box that does neither (a name's descender, a speck in the margin) is not counted.
    Outside the printed squares, ink within ALIGN_SLACK_PX of the blank's print other
    than the squares (``printed``: rules, labels) is not counted: there it is as likely
    a sliver of a rule that alignment left as a mark. Nor is a broken fax streak."""
    pen = dpi / POINTS_PER_INCH  # pixels of a 1 pt pen
    margins = np.array([max(2, round(MARGIN * s.side)) for s in squares])
    reaches = np.array([max(2, round(RING_REACH * s.side)) for s in squares])
    wx0, wy0, wx1, wy1 = _window(squares, [int(r) for r in reaches], page.shape)
    if wx1 <= wx0 or wy1 <= wy0:
        return GroupInk([0.0] * len(squares), [False] * len(squares), None, [False] * len(squares))
    ink = mark_ink(page, blank, (wx0, wy0, wx1, wy1))
    if written is not None:
        # The page reader's ink (a page-wide ink level, its own streak and rule checks)
        # still sees a dark stroke that runs close along print which the grey measure's
        # margin round black print hides.
        ink |= written[wy0:wy1, wx0:wx1]
    # Not a stroke (it may be a ring's arc where a circle hugs a border: rings see it).
    along = _along_borders(ink, squares, margins, (wx0, wy0))
    ys = np.arange(wy0, wy1)[:, None]
    xs = np.arange(wx0, wx1)[None, :]
    distances = np.stack([_distance_to(s.outer, xs, ys) for s in squares])
    print_window = (
        printed[wy0:wy1, wx0:wx1] if printed is not None else np.zeros_like(ink, dtype=bool)
    )
    # Streaks are looked for where the boxes and their margins are: a taller band would
    # take in the marks of the boxes above and below (a column of ticks in a table).
    top = max(0, min(s.outer[1] - int(m) for s, m in zip(squares, margins, strict=True)) - wy0)
    bottom = max(s.outer[3] + int(m) for s, m in zip(squares, margins, strict=True)) - wy0
    streaks = _streak_columns(ink[top:bottom], print_window[top:bottom])
    counted = ink & ~np.broadcast_to(streaks[:1], ink.shape)
    unstreaked = counted.copy()
    inside = distances.min(axis=0) == 0
    reach = 2 * (GROW_PX + ALIGN_SLACK_PX) + 1
    other_print = (print_window & ~inside).astype(np.uint8)
    near = cv2.dilate(other_print, np.ones((reach, reach), np.uint8))
    counted &= (near == 0) | inside
    bridge = np.ones((2 * BRIDGE_PX + 1, 2 * BRIDGE_PX + 1), np.uint8)
    # Rings first, pixel by pixel: two circles drawn round stacked boxes overlap and join
    # into one stroke, which neither surrounds alone. A fill run over its square's
    # borders is no ring's arc: the fills of the rows above and below, both spilling
    # round an empty square between them, read as a circle round it.
    arcs = unstreaked & ~_straight_lines(unstreaked, squares)
    arcs &= ~_fills(unstreaked, page, (wx0, wy0, wx1, wy1), squares, bridge)
    rung, coverage = _ring_pixels(arcs, squares, distances, (wx0, wy0))
    # A ring's own course through the squares it crosses (a stacked neighbour's, or its
    # own box's when drawn tight) is the ring's too, not a stroke in that square.
    shaded = _print_near(np.ascontiguousarray(blank[wy0:wy1, wx0:wx1], dtype=np.uint8))
    rung = _ring_courses(rung, unstreaked, shaded, squares, distances, (wx0, wy0))
    totals = np.bincount(rung[rung > 0].ravel() - 1, minlength=len(squares)).astype(float)
    counted &= (rung == 0) & ~along
    joined = cv2.dilate(counted.astype(np.uint8), bridge)
    count, labels, _stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    labels = np.where(counted, labels, 0)
    nearest = distances.argmin(axis=0)
    owns = [(nearest == i) & (distances[i] <= margins[i]) for i in range(len(squares))]
    within = [_distance_to(s.inside, xs, ys) == 0 for s in squares]
    held = np.zeros((len(squares), count), dtype=np.int64)  # pixels of each stroke per box
    claims = np.zeros((len(squares), count), dtype=bool)  # strokes touching a box
    for index in range(len(squares)):
        held[index] = np.bincount(labels[owns[index]].ravel(), minlength=count)
        claims[index, labels[distances[index] <= GROW_PX + 1]] = True
    claims[:, 0] = False
    # A stroke touching several boxes (an X spilling into the next) goes to the one
    # holding most of it, unless two or more of them hold a mark's worth of it inside
    # their own printed squares: then it is two marks that print or a border's fax
    # sliver (the page reader's ink along print) joined, and each box keeps its own.
    deep = np.zeros_like(held)  # pixels of each stroke inside each box's printed square
    for index in range(len(squares)):
        deep[index] = np.bincount(labels[within[index]].ravel(), minlength=count)
    marks = np.array([MARK * s.side * pen for s in squares])
    for stroke in np.flatnonzero(claims.any(axis=0)):
        marked = claims[:, stroke] & (deep[:, stroke] >= marks)
        if marked.sum() > 1:
            share = np.where(marked, held[:, stroke], 0)
            share[int(np.argmax(share))] += held[~marked, stroke].sum()
            totals += share
            continue
        owner = int(np.argmax(np.where(claims[:, stroke], held[:, stroke], -1)))
        totals[owner] += held[:, stroke].sum()
    strokes = [float(t) / (s.side * pen) for t, s in zip(totals, squares, strict=True)]
    partial = [RING_PARTIAL <= c < RING_COVERAGE for c in coverage]
    spilled = _spilled(counted, page, (wx0, wy0, wx1, wy1), squares, owns, within, marks, bridge)
    return GroupInk(strokes, partial, Rings(rung > 0, (wx0, wy0)), spilled)


def _fills(
    ink: np.ndarray,
    page: np.ndarray,
    window: PxBox,
    squares: Sequence[PrintedSquare],
    bridge: np.ndarray,
) -> np.ndarray:
    """The ink (window pixels) of the pieces that fill a printed square: ink over
    FILLED of its inside, with all that joins it across the print it covers
    (:func:`_across_print`) or the gaps the print cut (bridged): its run over the borders
    and the rule beside them."""
    insides = [
        (
            slice(max(0, y0 - window[1]), max(0, y1 - window[1])),
            slice(max(0, x0 - window[0]), max(0, x1 - window[0])),
        )
        for x0, y0, x1, y1 in (square.inside for square in squares)
    ]
    full = [box for box in insides if ink[box].size and ink[box].mean() >= FILLED]
    if not full:
        return np.zeros(ink.shape, dtype=bool)  # no square filled: nothing to link
    count, labels = _linked_pieces(ink, page, window, squares, bridge)
    filled = np.zeros(count, dtype=bool)
    for box in full:
        filled[labels[box][ink[box]]] = True
    filled[0] = False
    return filled[labels]


def _linked_pieces(
    ink: np.ndarray,
    page: np.ndarray,
    window: PxBox,
    squares: Sequence[PrintedSquare],
    bridge: np.ndarray,
) -> tuple[int, np.ndarray]:
    """``ink``'s pieces (window pixels), joined across the print a mark covers
    (:func:`_across_print`) and across gaps ``bridge`` spans: their count (0 included)
    and each ink pixel's piece (0 elsewhere)."""
    linking = ink | _across_print(ink, page, window, squares)
    count, labels = cv2.connectedComponents(cv2.dilate(linking.astype(np.uint8), bridge))
    return count, np.where(ink, labels, 0)


def _ring_pixels(
    counted: np.ndarray,
    squares: Sequence[PrintedSquare],
    distances: np.ndarray,
    origin: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Ink that rings a box: 0 where none, else the box's index + 1; and each box's share
    of the directions ink round it fills. Seen from a box's centre, ink outside the
    printed squares within RING_RADIUS sides of the centre rings
    it when it fills RING_COVERAGE of the directions, in at least three quarters. A
    circle arrives in arcs wherever it crossed print (a label, a rule, a stacked
    neighbour's border), so no single stroke need surround the box; the arcs together
    do. Ink beside a box (a mark spilling out, a circle round the neighbour, writing
    above) fills a narrow fan of directions, not the round. Where two boxes' rings
    overlap, a pixel goes to the box it is seen round most fully from."""
    owner = np.zeros(counted.shape, dtype=np.int32)
    best = np.zeros(counted.shape, dtype=np.int32)
    coverage = np.zeros(len(squares))
    outside = counted & (distances > 0).all(axis=0)
    ys, xs = np.nonzero(outside)
    if ys.size == 0:
        return owner, coverage
    for index, square in enumerate(squares):
        x0, y0, x1, y1 = square.inside
        cx, cy = (x0 + x1) / 2 - origin[0], (y0 + y1) / 2 - origin[1]
        dx, dy = xs - cx, ys - cy
        near = np.hypot(dx, dy) <= RING_RADIUS * square.side
        if not near.any():
            continue
        angles = np.arctan2(dy[near], dx[near])
        bins = np.unique(((angles + np.pi) / (2 * np.pi) * RING_BINS).astype(int) % RING_BINS)
        quarters = np.unique(bins * 4 // RING_BINS)
        if quarters.size < 3:
            continue
        coverage[index] = bins.size / RING_BINS
        if coverage[index] < RING_COVERAGE or not _round_about(bins):
            continue
        py, px = ys[near], xs[near]
        better = best[py, px] < bins.size
        owner[py[better], px[better]] = index + 1
        best[py[better], px[better]] = bins.size
    return owner, coverage


def _round_about(bins: np.ndarray) -> bool:
    """Whether the directions ink fills round a box (``bins`` of RING_BINS, counted from
    the left, clockwise through up) lie on every side of it: at least RING_SIDE_BINS in
    each half, above, below, left and right. Writing in the line above fills the whole
    upper half and a speck one more direction: half the round, in three quarters, but
    all on one side."""
    half = RING_BINS // 2
    quarter = RING_BINS // 4
    above = np.count_nonzero(bins < half)
    right = np.count_nonzero((bins >= quarter) & (bins < quarter + half))
    return bool(min(above, bins.size - above, right, bins.size - right) >= RING_SIDE_BINS)


def _ring_courses(
    rung: np.ndarray,
    ink: np.ndarray,
    shaded: np.ndarray,
    squares: Sequence[PrintedSquare],
    distances: np.ndarray,
    origin: tuple[int, int],
) -> np.ndarray:
    """``rung`` with each ring's pixels given by its course: an ellipse is fitted to the
    arcs seen round a box (refitted on the arcs lying on it), and every ring pixel goes
    to the ring whose course it lies on; ink inside a printed square lying on a ring's
    course (within RING_BAND sides) is that ring's too. Two circles round stacked boxes
    cross, and an arc of one seen more fully from the other box's centre went to the
    wrong ring; a circle round one of the CDC's stacked boxes passes through its
    neighbours' squares, where it read as a stroke: a second mark (``multiple_marks``) or,
    in a multi choice, a wrong box. Only ellipses round their box and of a ring's size are
    used: arcs of writing or another mark fit none, and their ink stays where it is. A
    square whose ink lies mostly off the rings' courses (RING_CLAIM) holds a mark of its
    own and keeps all of it."""
    in_square = (distances == 0).any(axis=0)
    ys, xs = np.nonzero(ink | (rung > 0))
    ring_ys, ring_xs = np.nonzero(rung > 0)
    if ring_ys.size == 0:
        return rung
    explained = np.zeros(ring_ys.size, dtype=bool)  # ring pixels on an accepted course
    fitted: dict[int, Ellipse] = {}
    sizes = np.bincount(rung[ring_ys, ring_xs], minlength=len(squares) + 1)[1:]
    order = [int(i) for i in np.argsort(-sizes, kind="stable") if sizes[i] > 0]
    # First each ring from the arcs seen round its box most fully; then, for rings those
    # arcs fit no ellipse (arcs of a crossing circle went to the other box), from every
    # ring arc within its reach that the rings found so far do not lie on.
    for second_pass in (False, True):
        for index in order:
            if index in fitted:
                continue
            square = squares[index]
            if second_pass:
                x0, y0, x1, y1 = square.inside
                cx, cy = (x0 + x1) / 2 - origin[0], (y0 + y1) / 2 - origin[1]
                near = np.hypot(ring_xs - cx, ring_ys - cy) <= RING_RADIUS * square.side
                chosen = near & ~explained
            else:
                chosen = (rung[ring_ys, ring_xs] == index + 1) & ~explained
            ellipse = _fit_ring((ring_ys[chosen], ring_xs[chosen]), square, origin, ink)
            if ellipse is None:
                continue
            fitted[index] = ellipse
            half = max(2.0, RING_BAND * square.side)
            explained |= _from_ellipse(ellipse, ring_xs, ring_ys) <= half
    courses = []
    for index, ellipse in fitted.items():
        # The course is as wide as the ring's own arcs lie round the ellipse (a felt pen,
        # a scan's blur), and at least RING_BAND.
        band = max(2.0, RING_BAND * squares[index].side)
        own = rung[ring_ys, ring_xs] == index + 1
        gap = _from_ellipse(ellipse, ring_xs[own], ring_ys[own])
        near = gap[gap <= 2 * band]
        half = min(2 * band, max(band, float(np.percentile(near, 95)) + 1 if near.size else 0.0))
        courses.append((index, _from_ellipse(ellipse, xs, ys), half))
    out = rung.copy()
    if not courses:
        return out
    gaps = np.stack([d / half for _, d, half in courses])  # in bands
    best = gaps.argmin(axis=0)
    on_course = gaps.min(axis=0) <= 1.0
    owners = np.array([index + 1 for index, _, _ in courses], dtype=rung.dtype)
    out[ys[on_course], xs[on_course]] = owners[best[on_course]]
    # Ink on a ring's course as drawn, not widened by the ring's own spread: an X's arms
    # crossing a wide course lie partly in it.
    narrow = np.stack([d / max(2.0, RING_BAND * squares[i].side) for i, d, _ in courses])
    laid = np.zeros(rung.shape, dtype=bool)
    laid[ys, xs] = narrow.min(axis=0) <= 1.0
    for index in range(len(squares)):
        own = (distances[index] == 0) & ink
        if own.any() and (laid & own).sum() < RING_CLAIM * own.sum():
            out[own] = rung[own]  # the square's own mark: none of its ink is a ring's
    # The edge of a wide or blurred stroke strays from the fitted course, and where the
    # ring crossed a square's grey shading a fax blackens the shading it touches: ink in
    # a square joined to the ring's course there, over print or within twice the course's
    # width, is the ring's.
    beside = np.zeros(rung.shape, dtype=bool)
    beside[ys, xs] = gaps.min(axis=0) <= 2.0
    on_ring = ink & in_square & (out > 0)
    crossed_squares = np.zeros(rung.shape, dtype=bool)
    for index in range(len(squares)):
        inside = distances[index] == 0
        if (on_ring & inside).any():
            crossed_squares |= inside
    for near in (ink & crossed_squares & shaded, ink & crossed_squares & beside):
        # Joined through such ink only: a mark of the box's own that the ring crosses
        # keeps what lies on clear paper away from the course.
        count, found = cv2.connectedComponents((near | on_ring).astype(np.uint8), connectivity=8)
        labels = np.asarray(found)
        crossed = np.zeros(count, dtype=rung.dtype)
        crossed[labels[on_ring]] = out[on_ring]
        crossed[0] = 0
        joined = near & (out == 0) & (crossed[labels] > 0)
        out[joined] = crossed[labels[joined]]
    return out


def _fit_ring(
    points: tuple[np.ndarray, np.ndarray],
    square: PrintedSquare,
    origin: tuple[int, int],
    ink: np.ndarray,
) -> Ellipse | None:
    """The ellipse a box's ring arcs lie on (page-window pixels), or None when they fit
    none round the box: fitted, then refitted on the arcs within RING_BAND of it, which
    must be RING_FIT of them; of a ring's size; the box's centre well inside; and no
    fill inside the box (RING_SOLID). A fill spilling all round its square (or two fills
    in stacked boxes, joined) puts ink in every direction too, but a person who circles a
    box leaves its inside unfilled (a neighbour's circle may cross it)."""
    ys, xs = points
    if ys.size < RING_MIN_PX:
        return None
    half = max(2.0, RING_BAND * square.side)
    keep = np.ones(ys.size, dtype=bool)
    ellipse = None
    for _ in range(2):
        if keep.sum() < RING_MIN_PX:
            return None
        chosen = np.column_stack([xs[keep], ys[keep]]).astype(np.float32)
        (cx, cy), (w, h), angle = cv2.fitEllipse(chosen)
        if not np.isfinite([cx, cy, w, h, angle]).all() or min(w, h) <= 0:
            return None
        ellipse = ((float(cx), float(cy)), (float(w), float(h)), float(angle))
        keep = _from_ellipse(ellipse, xs, ys) <= half
    if ellipse is None or keep.mean() < RING_FIT:
        return None
    (cx, cy), (w, h), _ = ellipse
    if max(w, h) > 2 * (RING_RADIUS + 0.5) * square.side or min(w, h) < square.side:
        return None
    x0, y0, x1, y1 = square.inside
    centre = (np.array([(x0 + x1) / 2 - origin[0]]), np.array([(y0 + y1) / 2 - origin[1]]))
    if float(_ellipse_radius(ellipse, *centre)[0]) > RING_CENTRE:
        return None
    # A ring goes round its box: the box's middle half lies wholly inside it.
    qx, qy = (x1 - x0) / 4, (y1 - y0) / 4
    corners_x = np.array([x0 + qx, x1 - qx, x0 + qx, x1 - qx]) - origin[0]
    corners_y = np.array([y0 + qy, y0 + qy, y1 - qy, y1 - qy]) - origin[1]
    if float(_ellipse_radius(ellipse, corners_x, corners_y).max()) >= 1.0:
        return None
    inside = ink[
        max(0, y0 - origin[1]) : max(0, y1 - origin[1]),
        max(0, x0 - origin[0]) : max(0, x1 - origin[0]),
    ].astype(np.uint8)
    size = max(3, round(RING_SOLID * square.side))
    solid = cv2.erode(inside, np.ones((size, size), np.uint8))
    return None if solid.any() else ellipse


def _ellipse_radius(ellipse: Ellipse, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Where points lie seen from an ellipse's centre: 1 on its course, 0 at the centre."""
    (cx, cy), (w, h), angle = ellipse
    theta = np.deg2rad(angle)
    dx, dy = xs - cx, ys - cy
    u = dx * np.cos(theta) + dy * np.sin(theta)
    v = -dx * np.sin(theta) + dy * np.cos(theta)
    return np.asarray(np.hypot(u / max(w / 2, 1e-6), v / max(h / 2, 1e-6)))


def _from_ellipse(ellipse: Ellipse, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Distance (pixels) of points from an ellipse's course, along the ray from its centre."""
    (cx, cy), _, _ = ellipse
    rho = _ellipse_radius(ellipse, xs, ys)
    radius = np.hypot(xs - cx, ys - cy)
    return np.asarray(radius * np.abs(1 - 1 / np.maximum(rho, 1e-6)))


def mark_ink(
    page: np.ndarray, blank: np.ndarray, window: PxBox, *, specks: bool = False
) -> np.ndarray:
    """Ink in ``window`` (page pixels) that the blank form does not print there: pixels
    clearly darker than the darkest the blank is within one pixel, with the page's own
    paper as white. Specks (SPECK_AREA) and ink only on print's edge are dropped unless
    ``specks`` is set (:func:`faint_ink` weighs specks itself).

    Marks are measured on the grey page, not on the page's ink mask: a thin tick sent at
    fax resolution arrives as a line of light grey that a page-wide ink level drops, and
    a mark drawn over a box's grey shading is as dark as any other (the page reader's grown
    mask of the blank's ink swallows it)."""
    x0, y0, x1, y1 = window
    grey = page[y0:y1, x0:x1].astype(np.int16)
    if grey.size == 0:
        return np.zeros(grey.shape, dtype=bool)
    printed = np.ascontiguousarray(blank[y0:y1, x0:x1], dtype=np.uint8)
    paper = max(1.0, float(np.percentile(grey, PAPER_PERCENTILE)))
    darkest = cv2.erode(printed, np.ones((3, 3), np.uint8)).astype(np.float32)
    expected = darkest * (paper / 255.0)
    # Black print (borders, labels, rules) is subtracted with the page reader's allowance
    # (GROW_PX): a faxed border comes out a pixel or two thicker than the blank's. Grey
    # print (a bevelled box's shading) can be marked over: there ink must be darker than
    # the shading and belong to a stroke that also reaches clear paper.
    size = 2 * GROW_PX + 1
    black = cv2.dilate((printed < BLACK_PRINT).astype(np.uint8), np.ones((size, size), np.uint8))
    # Clear paper is GROW_PX away from any print: grey shading that the fax turned black
    # and moved a row is print, not a stroke reaching the paper.
    shaded = _print_near(printed)
    clear_paper = grey[darkest >= SHADED]
    spread = 0.0
    if clear_paper.size:
        median = float(np.median(clear_paper))
        spread = 1.4826 * float(np.median(np.abs(clear_paper - median)))
    contrast = max(MIN_CONTRAST, NOISE_SIGMAS * spread)
    ink = ((grey < expected - contrast) & (black == 0)).astype(np.uint8)
    if specks:
        return ink > 0
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    on_paper = np.bincount(labels[(ink > 0) & ~shaded].ravel(), minlength=count)
    keep = (stats[:, cv2.CC_STAT_AREA] > SPECK_AREA) & (on_paper > SPECK_AREA)
    keep[0] = False
    return np.asarray(keep[labels], dtype=bool)


def _spilled(
    counted: np.ndarray,
    page: np.ndarray,
    window: PxBox,
    squares: Sequence[PrintedSquare],
    owns: Sequence[np.ndarray],
    within: Sequence[np.ndarray],
    marks: np.ndarray,
    bridge: np.ndarray,
) -> list[bool]:
    """Which boxes hold a mark that may be another box's run on across print: with the
    runs :func:`_across_print` finds, one piece of ink is a mark's worth inside two
    squares (``marks``), and in this box, the smaller part, it lies in the half of the
    square nearer the larger part (all but SPILL_FAR_SHARE of it).

    A fill or a broad stroke drawn across a border and the rule below it into the next
    row's square reaches us in pieces: subtracting the print cuts it where it crosses,
    wider than a bridge spans, and the piece in the next square reads as that row's own
    mark, surely. A mark made in the square itself reaches past its middle (a fill, an X,
    a tick); a band along one side, continuing into the next square, may be either. The
    pixels cannot tell, so it is doubted, and nothing is moved."""
    if sum(int((counted & inside).sum()) >= m for inside, m in zip(within, marks, strict=True)) < 2:
        return [False] * len(squares)  # no two squares hold a mark's worth: nothing to link
    x0, y0, _, _ = window
    count, labels = _linked_pieces(counted, page, window, squares, bridge)
    held = np.stack([np.bincount(labels[own].ravel(), minlength=count) for own in owns])
    deep = np.stack([np.bincount(labels[inside].ravel(), minlength=count) for inside in within])
    marked = deep >= marks[:, None]
    marked[:, 0] = False
    centres = np.array(
        [((s.outer[0] + s.outer[2]) / 2, (s.outer[1] + s.outer[3]) / 2) for s in squares]
    )
    spilled = np.zeros(len(squares), dtype=bool)
    for piece in np.flatnonzero(marked.sum(axis=0) > 1):
        largest = int(np.argmax(np.where(marked[:, piece], held[:, piece], -1)))
        for index in (int(i) for i in np.flatnonzero(marked[:, piece])):
            if index == largest:
                continue
            toward = centres[largest] - centres[index]
            toward /= max(1e-6, float(np.hypot(*toward)))
            rows, cols = np.nonzero(within[index] & (labels == piece))
            reach = (cols + x0 - centres[index][0]) * toward[0] + (
                rows + y0 - centres[index][1]
            ) * toward[1]
            spilled[index] |= bool(np.mean(reach < 0) <= SPILL_FAR_SHARE)
    return [bool(b) for b in spilled]


def _across_print(
    counted: np.ndarray, page: np.ndarray, window: PxBox, squares: Sequence[PrintedSquare]
) -> np.ndarray:
    """Where counted ink runs on across print: runs of a row or a column, up to ACROSS_PRINT of a
    square's side long, between two pieces of counted ink, as dark as ink (COVERED) on the
    page all the way (a border, a rule and the paper between them covered by one fill).
    A run with one lighter pixel is two marks' or a mark's and print's, and links nothing."""
    x0, y0, x1, y1 = window
    grey = page[y0:y1, x0:x1]
    if grey.size == 0:
        return np.zeros(counted.shape, dtype=bool)
    paper = max(1.0, float(np.percentile(grey, PAPER_PERCENTILE)))
    dark = grey < COVERED * paper
    reach = max(2 * BRIDGE_PX + 1, round(ACROSS_PRINT * min(s.side for s in squares)))
    marked = counted.astype(np.uint8)
    out = np.zeros(counted.shape, dtype=bool)
    for axis, shape in ((0, (reach, 1)), (1, (1, reach))):
        closed = cv2.morphologyEx(marked, cv2.MORPH_CLOSE, np.ones(shape, np.uint8)) > 0
        runs = closed & ~counted
        # each gap of one column (or row) on its own: a ragged edge's light pixel in
        # one column does not undo the others
        starts = runs & ~np.roll(runs, 1, axis=axis)
        if axis == 0:
            starts[0, :] = runs[0, :]
        else:
            starts[:, 0] = runs[:, 0]
        lines = np.cumsum(starts, axis=axis)
        across = np.arange(runs.shape[1 - axis]) * (runs.shape[axis] + 1)
        ids = np.where(runs, lines + (across[None, :] if axis == 0 else across[:, None]), 0)
        light = np.bincount(ids[runs & ~dark].ravel(), minlength=int(ids.max()) + 1)
        out |= runs & (light[ids] == 0)
    return out


def _along_borders(
    ink: np.ndarray, squares: Sequence[PrintedSquare], margins: np.ndarray, origin: tuple[int, int]
) -> np.ndarray:
    """Straight ink along a square's border, in line with it: half a side or more of one
    row (or column) within BORDER_BAND_PX of the border's print, where the square's
    inside next to that band is paper. That is the border itself, a few pixels off the
    blank's where a fax fed the page unevenly, or a line the filled copy prints there that
    the blank lacks (a fillable field's edge, broken into dashes), not a mark: ticks, X's
    and slashes cross a border's rows aslant, and a fill goes on inside."""
    out = np.zeros_like(ink, dtype=bool)
    ox, oy = origin
    height, width = ink.shape
    band = BORDER_BAND_PX

    def rows(top: int, bottom: int) -> slice:
        return slice(max(0, top - oy), max(0, min(height, bottom - oy)))

    def cols(left: int, right: int) -> slice:
        return slice(max(0, left - ox), max(0, min(width, right - ox)))

    for square, margin in zip(squares, margins, strict=True):
        (ix0, iy0, ix1, iy1), (x0, y0, x1, y1) = square.inside, square.outer
        run, reach = max(3, square.side // 2), int(margin)
        across, down = cols(x0 - reach, x1 + reach), rows(y0 - reach, y1 + reach)
        # (the band along a border, the strip of the inside next to it, along rows?)
        sides = [
            (rows(y0 - band, iy0 + band), across, rows(iy0 + band, iy0 + band + 3), True),
            (rows(iy1 - band, y1 + band), across, rows(iy1 - band - 3, iy1 - band), True),
            (down, cols(x0 - band, ix0 + band), cols(ix0 + band, ix0 + band + 3), False),
            (down, cols(ix1 - band, x1 + band), cols(ix1 - band - 3, ix1 - band), False),
        ]
        for band_rows, band_cols, inner, horizontal in sides:
            strip = ink[band_rows, band_cols].astype(np.uint8)
            if strip.size == 0 or not strip.any():
                continue
            # A fax breaks a line into pieces a few pixels apart: they are bridged first.
            gap = (1, 2 * BRIDGE_PX + 1) if horizontal else (2 * BRIDGE_PX + 1, 1)
            joined = cv2.morphologyEx(strip, cv2.MORPH_CLOSE, np.ones(gap, np.uint8))
            shape = (1, run) if horizontal else (run, 1)
            runs = (cv2.morphologyEx(joined, cv2.MORPH_OPEN, np.ones(shape, np.uint8)) > 0) & (
                strip > 0
            )
            if horizontal:
                filled = np.asarray(ink[inner, band_cols].any(axis=0))[None, :]
            else:
                filled = np.asarray(ink[band_rows, inner].any(axis=1))[:, None]
            runs &= ~filled
            out[band_rows, band_cols] |= runs
    return out


def _straight_lines(ink: np.ndarray, squares: Sequence[PrintedSquare]) -> np.ndarray:
    """Rows (or columns) of ink running straight for LINE_SIDES of a box's side or more
    (a fax's gaps bridged): a line the filled copy prints that the blank lacks. No arc of
    a circle round a box runs straight that far, but seen from a box below it such a line
    fills half the directions round it, and with a few specks it made a ring."""
    side = max(s.side for s in squares)
    length = max(3, round(LINE_SIDES * side))
    out = np.zeros_like(ink, dtype=bool)
    source = ink.astype(np.uint8)
    for gap, run in (((1, LINE_GAP_PX), (1, length)), ((LINE_GAP_PX, 1), (length, 1))):
        joined = cv2.morphologyEx(source, cv2.MORPH_CLOSE, np.ones(gap, np.uint8))
        out |= cv2.morphologyEx(joined, cv2.MORPH_OPEN, np.ones(run, np.uint8)) > 0
    return out & ink


def _print_near(blank: np.ndarray) -> np.ndarray:
    """Where the blank prints anything, grey shading included, grown by GROW_PX: a fax
    turns shading black and moves it a row."""
    size = 2 * GROW_PX + 1
    return cv2.dilate((blank < SHADED).astype(np.uint8), np.ones((size, size), np.uint8)) > 0


def _streak_columns(ink: np.ndarray, printed: np.ndarray) -> np.ndarray:
    """Where a vertical fax streak crosses the window: a narrow band of columns inked on
    nearly every row where the print lets ink show. The residue drops unbroken streaks,
    but one crossing a box arrives cut by the subtracted border, and would otherwise
    read as a slash through every box it crosses. No mark inks a box's column from
    margin to margin."""
    height = ink.shape[0]
    size = 2 * GROW_PX + 1
    hidden = cv2.dilate(printed.astype(np.uint8), np.ones((size, size), np.uint8)) > 0
    wander = np.ones((1, 2 * STREAK_WANDER_PX + 1), np.uint8)
    inked = cv2.dilate(ink.astype(np.uint8), wander) > 0
    visible = (~hidden).sum(axis=0)
    share = (inked & ~hidden).sum(axis=0) / np.maximum(visible, 1)
    flagged = (share >= STREAK_SHARE) & (visible >= height // 2)
    streak = np.zeros_like(flagged)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flagged.astype(np.int8), [0]])))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        if stop - start <= STREAK_MAX_WIDTH_PX:
            streak[max(0, start - STREAK_WANDER_PX) : stop + STREAK_WANDER_PX] = True
    return np.broadcast_to(streak, ink.shape)


def _distance_to(box: PxBox, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Chessboard distance of every pixel to a box (0 inside it)."""
    x0, y0, x1, y1 = box
    dx = np.maximum(np.maximum(x0 - xs, xs - (x1 - 1)), 0)
    dy = np.maximum(np.maximum(y0 - ys, ys - (y1 - 1)), 0)
    return np.maximum(dx, dy)


def _near(box: PxBox, squares: Sequence[PrintedSquare]) -> bool:
    """Whether a box lies within reach of a ring round one of ``squares``."""
    for square in squares:
        reach = 2 * RING_RADIUS * square.side
        x0, y0, x1, y1 = square.outer
        if (
            box[0] < x1 + reach
            and box[2] > x0 - reach
            and box[1] < y1 + reach
            and box[3] > y0 - reach
        ):
            return True
    return False


def _darkening(
    scores: tuple[BoxScore, ...],
    boxes: Sequence[PxBox],
    page_ink: np.ndarray,
    printed: np.ndarray,
    *,
    dpi: int,
) -> tuple[BoxScore, ...]:
    """Scores of boxes that print a letter to mark ("Y | N"): a mark written over the letter
    is mostly hidden from new ink (the print is subtracted), so each box also counts how
    much darker it is than the blank, in strokes, less the least darkened box of the group
    (copying darkens every box's print alike); the larger of the two scores counts."""
    pen = dpi / POINTS_PER_INCH
    excess = []
    for x0, y0, x1, y1 in boxes:
        side = max(1, x1 - x0, y1 - y0)
        added = int(page_ink[y0:y1, x0:x1].sum()) - int(printed[y0:y1, x0:x1].sum())
        excess.append(added / (side * pen))
    floor = min(excess)
    return tuple(
        replace(s, score=round(max(s.score, e - floor), 3))
        for s, e in zip(scores, excess, strict=True)
    )


def _preprinted(printed: np.ndarray | None, box: PxBox) -> bool:
    """Whether the blank form itself prints a mark inside a box (the usual box: no)."""
    if printed is None:
        return False
    x0, y0, x1, y1 = box
    # Only the middle half of the box: a printed border (some forms print thick,
    # shadowed boxes) never reaches it, a printed tick always does.
    qx, qy = (x1 - x0) // 4, (y1 - y0) // 4
    middle = printed[y0 + qy : y1 - qy, x0 + qx : x1 - qx]
    return bool(middle.size) and float(middle.mean()) >= PREPRINTED_SHARE
