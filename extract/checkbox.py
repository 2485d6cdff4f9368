"""Checkbox state from ink in the box.

A box counts as marked when the aligned page carries *new* ink inside it: ink that the
blank form does not print there. Subtracting the blank (dilated, so 1-3 px of alignment
error do not matter) drops the printed border, so an X, a tick and a filled box all read
alike and the threshold does not depend on the box's own print. A box the blank itself
prints marked (the DHS-1171's Food Assistance tick) reads as marked: the spec's truth for
it is ``true``, and nobody can unmark print.

Single choice: one marked box → its value; none → None; two or more → None plus a
``multiple_marks`` finding (never a guess). Multi choice: the sorted list of marked
values, None when none. Standalone box: True / False.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from extract.reference import points_to_pixels
from extract.template import FieldKind, FieldSpec, Option

INK_LEVEL = 160
MARK_THRESHOLD = 0.07
"""Share of the box's inside covered by new ink above which it counts as marked. Fax
speckle leaves < 0.02, the thinnest tick ≈ 0.10, an X ≈ 0.2, a fill ≈ 0.9."""
CLEAR_MARGIN = 0.06  # distance from the threshold at which a reading is fully confident
SLACK_PX = 3  # alignment slack searched around each box
INSET = 0.12  # share of the box side dropped on each edge (the printed border)


@dataclass(frozen=True, slots=True)
class BoxScore:
    value: Any
    score: float  # share of the box's inside covered by new ink
    bbox: tuple[int, int, int, int]

    @property
    def marked(self) -> bool:
        return self.score >= MARK_THRESHOLD


@dataclass(frozen=True, slots=True)
class CheckboxReading:
    """The value of one checkbox field and its evidence."""

    value: Any
    confidence: float
    bbox: tuple[int, int, int, int]
    scores: tuple[BoxScore, ...]
    multiple_marks: bool = False

    @property
    def raw_text(self) -> str:
        """Scores as text for the review screen (no personal data: box states only)."""
        return " ".join(f"{b.value}:{b.score:.2f}" for b in self.scores)


def box_score(written: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Share of the box's inside covered by new ink (``written``: the page's ink minus the
    blank form's), the lowest over ±SLACK_PX shifts so that a misaligned border leaking
    in on one side never reads as a mark."""
    x0, y0, x1, y1 = box
    dx = max(1, round((x1 - x0) * INSET))
    dy = max(1, round((y1 - y0) * INSET))
    height, width = written.shape
    best: float | None = None
    for oy in (-SLACK_PX, 0, SLACK_PX):
        for ox in (-SLACK_PX, 0, SLACK_PX):
            ax0, ay0 = max(0, x0 + dx + ox), max(0, y0 + dy + oy)
            ax1, ay1 = min(width, x1 - dx + ox), min(height, y1 - dy + oy)
            if ax1 <= ax0 or ay1 <= ay0:
                continue
            share = float(written[ay0:ay1, ax0:ax1].mean())
            best = share if best is None else min(best, share)
    return best if best is not None else 0.0


def read_checkbox_field(
    spec: FieldSpec, written: np.ndarray, *, dpi: int, printed: np.ndarray | None = None
) -> CheckboxReading:
    """Read a CHOICE, MULTI_CHOICE or CHECKBOX field from an aligned page's new ink
    (:func:`extract.read.new_ink`). ``printed`` is the blank form's own ink: a box the
    form itself prints marked (the DHS-1171's Food Assistance tick) reads as marked,
    since the applicant cannot unmark it."""
    assert spec.options, f"{spec.name} has no options"
    scores = tuple(
        BoxScore(option.value, max(_ink_score(written, option, dpi), _preprinted(printed, px)), px)
        for option in spec.options
        for px in [points_to_pixels(option.box, dpi)]
    )
    union = (
        min(s.bbox[0] for s in scores),
        min(s.bbox[1] for s in scores),
        max(s.bbox[2] for s in scores),
        max(s.bbox[3] for s in scores),
    )
    marked = [s for s in scores if s.marked]
    confidence = margin_confidence([s.score for s in scores])
    if spec.kind is FieldKind.CHECKBOX:
        return CheckboxReading(bool(marked), confidence, union, scores)
    if spec.kind is FieldKind.MULTI_CHOICE:
        values = sorted(str(s.value) for s in marked) if marked else None
        return CheckboxReading(values, confidence, union, scores)
    if len(marked) > 1:
        return CheckboxReading(None, confidence, union, scores, multiple_marks=True)
    value = marked[0].value if marked else None
    return CheckboxReading(value, confidence, union, scores)


def _ink_score(written: np.ndarray, option: Option, dpi: int) -> float:
    """The option's new ink: in its printed square, or where a filler drew the check.

    The mark is where the filler drew it: a program filling the PDF centres the check in
    the button widget, and where the widget sits off the printed square (``mark_box``) the
    check lands half outside it and the square alone reads too little ink. Taking the
    larger score reads such a check, while an empty group stays empty, since both places
    are empty of new ink (a global lower threshold would not: speckle reaches it).
    """
    score = box_score(written, points_to_pixels(option.box, dpi))
    if option.mark_box is not None:
        score = max(score, box_score(written, points_to_pixels(option.mark_box, dpi)))
    return score


def _preprinted(printed: np.ndarray | None, box: tuple[int, int, int, int]) -> float:
    """The blank form's own mark inside a box (0 for the usual empty box)."""
    if printed is None:
        return 0.0
    x0, y0, x1, y1 = box
    # Only the middle half of the box: a printed border (some forms print thick,
    # shadowed boxes) never reaches it, a printed tick always does.
    qx, qy = (x1 - x0) // 4, (y1 - y0) // 4
    middle = printed[y0 + qy : y1 - qy, x0 + qx : x1 - qx]
    share = float(middle.mean()) if middle.size else 0.0
    return share if share >= MARK_THRESHOLD else 0.0


def margin_confidence(scores: list[float]) -> float:
    """Confidence in [0.5, 1] from how far the least clear box is from the threshold."""
    if not scores:
        return 0.0
    worst = min(abs(score - MARK_THRESHOLD) for score in scores)
    return 0.5 + 0.5 * min(1.0, worst / CLEAR_MARGIN)
