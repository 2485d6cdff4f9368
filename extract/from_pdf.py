"""Draft a form template from a blank PDF: ``faxflow template from-pdf``.

Two sources of geometry, because the two real forms are made differently:

* a fillable PDF (DHS-1171) has AcroForm widgets: each gives a name, a page and a
  rectangle. Text widgets become text zones, button widgets checkboxes, and comb widgets
  (``phone_number_0`` … ``phone_number_9``) are grouped into one field whose ``boxes`` are
  the digit cells in order;
* a flat PDF (the CDC PUI form) has only a text layer: labels, underscore runs
  ("______") and printed checkbox squares. A zone is proposed for each label: the
  underscore run or drawn box to its right (or under it), and for checkbox groups the
  printed square left of each option word.

A mapping file (``labels.yaml`` beside the blank form, see :class:`LabelMap`) says which
widget or printed label belongs to which schema field. What it does not claim is written
under ``proposals:`` for a person to finish; the draft is then reviewed by eye with
``faxflow template show`` (every committed template was made this way).

All boxes are PDF points with the origin at the top-left, like :mod:`extract.template`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extract.template import Box, FieldKind, FieldSpec, FormTemplate, Option, PageSpec
from faxflow.errors import ErrorCode, InputRejected, TemplateError
from faxflow.model import RECORD_TYPE_BY_FORM

TEXT_LINE_HEIGHT = 12.0
"""Height in points of a zone above an underline: one handwritten line plus a margin."""
MARK_OFFSET = 0.2
"""Distance, in printed-square sides, by which a button widget's centre may lie off the
square's centre before the option gets a ``mark_box`` (where a filler draws the check)."""

_COMB_NAME = re.compile(r"^(?P<stem>.+?)_(?P<index>\d+)$")
_UNDERSCORES = re.compile(r"_{3,}")
_SQUARE_GLYPHS = {
    # (font name fragment, character): fonts that print an empty square as a glyph.
    ("webdings", "F"),
    ("webdings", "c"),
    ("wingdings", "o"),
    ("wingdings", "q"),
    ("wingdings", "\uf06f"),
    ("wingdings", "\uf0a8"),
    ("zapfdingbats", "o"),
    ("zapfdingbats", "n"),
}
_SQUARE_CHARACTERS = {"\u2610", "\u25a1", "\u25a2", "\u274f"}

_Key = TypeVar("_Key", bound=Hashable)
_Square = TypeVar("_Square", bound=Hashable)


# --------------------------------------------------------------------------------------
# The mapping file: which widget or printed label is which schema field
# --------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OptionSource(_Strict):
    """Where one option of a checkbox group is: a button widget or the word beside a box."""

    value: Any
    widget: str | None = None  # name of a button widget
    export: str | None = None  # its export value, which tells a radio group's buttons apart
    word: str | None = None  # printed option text right of the square ("Yes", "Male")
    box: Box | None = None  # set by hand after review: used as is


class FieldSource(_Strict):
    """Where one field of the template comes from."""

    kind: FieldKind
    # required for label-based entries; picks the page of a widget whose name recurs
    page: int | None = Field(default=None, ge=1)
    widget: str | None = None  # text widget, or the stem of a comb group ("phone_number")
    label: str | None = None  # printed label text to search for
    occurrence: int = Field(default=1, ge=1)  # the n-th match of the label on the page
    comb: int | None = Field(default=None, ge=2)  # printed digit cells under/after the label
    region: Box | None = None  # set by hand after review: used as is
    options: list[OptionSource] | None = None
    whitelist: str | None = None
    required: bool = False
    # passed through to the template
    lexicon: Literal["county", "state", "street", "place"] | None = None
    vocabulary: list[str] | None = None
    state_field: str | None = None
    name_fields: list[str] | None = None
    # Japanese forms (issue #23): the zone's Tesseract language(s), and for an era date
    # the era printed before its year or the choice field that gives it. Passed through
    # only when set, so the template's model decides what it accepts.
    lang: str | None = None
    era: Literal["meiji", "taisho", "showa", "heisei", "reiwa"] | None = None
    era_field: str | None = None
    # the short list a text field's answers come from (extract/vocabularies.py)
    closed_vocabulary: str | None = None


class LabelMap(_Strict):
    """The content of ``labels.yaml``."""

    title: str | None = None
    fields: dict[str, FieldSource]
    not_on_form: dict[str, str] = Field(default_factory=dict)
    anchors: dict[int, list[str]] = Field(default_factory=dict)


def load_label_map(path: Path) -> LabelMap:
    """Read and validate a ``labels.yaml`` mapping file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"cannot read label map {path}: {exc}") from exc
    try:
        return LabelMap.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise TemplateError(f"label map {path} is invalid: {problems}") from exc


# --------------------------------------------------------------------------------------
# Widgets (fillable PDFs)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Widget:
    """One AcroForm widget annotation, rectangle converted to top-left points."""

    name: str
    page: int
    rect: Box
    is_button: bool
    export: str | None = None  # a button's "on" appearance state ("Yes", "No", "1" …)
    tooltip: str | None = None  # /TU: the label a viewer shows, often the printed one
    max_len: int | None = None  # a text widget's /MaxLen: the most characters it takes


def read_widgets(pdf: Path) -> list[Widget]:
    """Every widget of every page, in page order; kids inherit /T and /FT from /Parent."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(pdf)
        pages = list(reader.pages)
    except (OSError, PdfReadError) as exc:
        raise InputRejected(ErrorCode.CORRUPT, f"cannot read PDF {pdf.name}: {exc}") from exc
    widgets: list[Widget] = []
    for number, page in enumerate(pages, start=1):
        box = page.mediabox
        left, top = float(box.left), float(box.top)
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Widget" or "/Rect" not in annot:
                continue
            name, field_type, tooltip = _widget_name_and_type(annot)
            if name is None:
                continue
            x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
            rect = (
                round(min(x0, x1) - left, 2),
                round(top - max(y0, y1), 2),
                round(max(x0, x1) - left, 2),
                round(top - min(y0, y1), 2),
            )
            is_button = field_type == "/Btn"
            export = _export_value(annot) if is_button else None
            max_len = None if is_button else _max_len(annot)
            widgets.append(Widget(name, number, rect, is_button, export, tooltip, max_len))
    return widgets


def _export_value(annot: Any) -> str | None:
    """The state a button shows when on: its normal appearance other than ``/Off``."""
    appearance = annot.get("/AP")
    normal = appearance.get_object().get("/N") if appearance is not None else None
    if normal is None or not hasattr(normal, "keys"):
        return None
    states = [str(k).lstrip("/") for k in normal.get_object() if str(k) != "/Off"]
    return states[0] if states else None


def _max_len(annot: Any) -> int | None:
    """A text widget's /MaxLen, on it or inherited from its field."""
    node = annot
    while node is not None:
        if "/MaxLen" in node:
            try:
                return int(node["/MaxLen"])
            except (TypeError, ValueError):
                return None
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return None


def _widget_name_and_type(annot: Any) -> tuple[str | None, str | None, str | None]:
    """Fully qualified name (parents' /T joined by dots), the inherited /FT and the
    nearest /TU (a radio group's tooltip is on the group, not on its buttons)."""
    parts: list[str] = []
    field_type = tooltip = None
    node = annot
    while node is not None:
        if "/T" in node:
            parts.append(str(node["/T"]))
        if field_type is None and "/FT" in node:
            field_type = str(node["/FT"])
        if tooltip is None and str(node.get("/TU") or "").strip():
            tooltip = str(node["/TU"]).strip()
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return (".".join(reversed(parts)) or None), field_type, tooltip


@dataclass(frozen=True, slots=True)
class WidgetGroup:
    """Widgets that form one field: a single widget, or the cells of a comb."""

    name: str
    page: int
    rects: tuple[Box, ...]
    is_button: bool
    export: str | None = None  # a button's export value (radio groups share a name)
    tooltip: str | None = None  # the (first) widget's /TU
    max_len: int | None = None  # a single text widget's /MaxLen

    @property
    def is_comb(self) -> bool:
        return len(self.rects) > 1


def group_widgets(widgets: Iterable[Widget]) -> list[WidgetGroup]:
    """Group comb cells (``<stem>_0`` … ``<stem>_N`` on one page) into one group each.

    A numbered name only counts as a comb cell when at least three cells with the same
    stem sit on the same page and their indexes run 0..N without gaps; the cells keep
    the order of their index, which is the reading order of the digits.
    """
    by_stem: dict[tuple[str, int], dict[int, Widget]] = defaultdict(dict)
    singles: list[Widget] = []
    for widget in widgets:
        match = _COMB_NAME.match(widget.name)
        if match and not widget.is_button:
            by_stem[(match["stem"], widget.page)][int(match["index"])] = widget
        else:
            singles.append(widget)
    groups = [
        WidgetGroup(w.name, w.page, (w.rect,), w.is_button, w.export, w.tooltip, w.max_len)
        for w in singles
    ]
    for (stem, page), cells in by_stem.items():
        if len(cells) >= 3 and sorted(cells) == list(range(len(cells))):
            rects = tuple(cells[i].rect for i in sorted(cells))
            groups.append(WidgetGroup(stem, page, rects, False, tooltip=cells[0].tooltip))
        else:
            groups.extend(
                WidgetGroup(w.name, w.page, (w.rect,), False, tooltip=w.tooltip)
                for w in cells.values()
            )
    groups.sort(key=lambda g: (g.page, g.rects[0][1], g.rects[0][0]))
    return groups


# --------------------------------------------------------------------------------------
# The text layer (flat PDFs)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    box: Box


@dataclass(frozen=True, slots=True)
class PageLayout:
    """What the text layer and the drawing of one page offer to place zones on."""

    number: int
    size: tuple[float, float]
    words: tuple[Word, ...]  # printed words, underscore runs removed
    blanks: tuple[Box, ...]  # underscore runs (dates "__/__/____" are one run)
    squares: tuple[Box, ...]  # printed checkbox squares, tight
    frames: tuple[Box, ...]  # drawn boxes large enough to write in
    cells: tuple[Box, ...] = ()  # printed comb cells ("|_|_|_|"), in reading order

    def word_right_of(self, square: Box) -> Word | None:
        """The word that starts just right of a checkbox square on the same line."""
        centre = (square[1] + square[3]) / 2
        best: Word | None = None
        for word in self.words:
            gap = word.box[0] - square[2]
            beside = -1.0 <= gap <= 9.0 and word.box[1] - 3 <= centre <= word.box[3] + 3
            if beside and (best is None or word.box[0] < best.box[0]):
                best = word
        return best


def read_layouts(pdf: Path) -> list[PageLayout]:
    """The layout of every page of a PDF (pdfplumber). Layouts are immutable, so they are
    cached per file version (path, size, modification time): reading the 21-page DHS-1171
    takes seconds."""
    try:
        stat = pdf.stat()
    except OSError as exc:
        raise InputRejected(ErrorCode.NOT_FOUND, f"cannot read PDF {pdf.name}: {exc}") from exc
    return list(_read_layouts(pdf.resolve(), stat.st_size, stat.st_mtime_ns))


@lru_cache(maxsize=8)
def _read_layouts(pdf: Path, _size: int, _mtime_ns: int) -> tuple[PageLayout, ...]:
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

    try:
        with pdfplumber.open(pdf) as document:
            return tuple(_page_layout(page) for page in document.pages)
    except (OSError, PDFSyntaxError, PdfminerException, MalformedPDFException) as exc:
        raise InputRejected(ErrorCode.CORRUPT, f"cannot read PDF {pdf.name}: {exc}") from exc


def _page_layout(page: Any) -> PageLayout:
    words: list[Word] = []
    blanks: list[Box] = []
    for raw in page.extract_words(return_chars=True, x_tolerance=1.5):
        chars = [c for c in raw["chars"] if not _is_square_glyph(c)]
        text_chars = [c for c in chars if c["text"] not in "_"]
        if _UNDERSCORES.search(raw["text"]):
            blank_chars = [c for c in chars if c["text"] in "_/"]
            # "specify:____" carries a label and a blank in one word: split them.
            text_chars = [c for c in chars if c["text"] not in "_/"] if blank_chars else []
            if blank_chars:
                blanks.append(_union(_char_box(c) for c in blank_chars))
        if text_chars:
            text = "".join(c["text"] for c in text_chars).strip()
            if text:
                words.append(Word(text, _union(_char_box(c) for c in text_chars)))
    squares = _vector_squares(page) + _glyph_squares(page)
    frames = [
        _round_box((o["x0"], o["top"], o["x1"], o["bottom"]))
        for o in page.rects
        if o["width"] > 30 and 8 < o["height"] < 40 and o.get("stroke")
    ]
    return PageLayout(
        number=page.page_number,
        size=(float(page.width), float(page.height)),
        words=tuple(words),
        blanks=tuple(_merge_blanks(blanks)),
        squares=tuple(_dedupe_boxes(squares)),
        frames=tuple(frames),
        cells=tuple(_comb_cells(page)),
    )


def _comb_cells(page: Any) -> list[Box]:
    """Digit cells printed as ticks on a base line ("|_|_|_|-|_|_|"): two neighbouring
    vertical ticks of the same height with a base line joining their feet make a cell.
    A dash between groups has no base line, so groups split there."""
    ticks = sorted(
        (
            (round(o["x0"], 1), round(o["top"], 1), round(o["bottom"], 1))
            for o in page.lines
            if abs(o["x1"] - o["x0"]) < 0.5 and 8 <= o["bottom"] - o["top"] <= 24
        ),
        key=lambda t: (round(t[2]), t[0]),
    )
    bases = [
        (o["x0"], o["x1"], o["top"])
        for o in page.lines
        if abs(o["bottom"] - o["top"]) < 0.5 and o["x1"] - o["x0"] > 6
    ]
    cells: list[Box] = []
    for left, right in pairwise(ticks):
        same_row = abs(left[1] - right[1]) < 1.5 and abs(left[2] - right[2]) < 1.5
        width = right[0] - left[0]
        if not same_row or not 6 <= width <= 20:
            continue
        foot = max(left[2], right[2])
        joined = any(
            abs(y - foot) < 1.5 and x0 <= left[0] + 1 and x1 >= right[0] - 1 for x0, x1, y in bases
        )
        if joined:
            cells.append(_round_box((left[0], min(left[1], right[1]), right[0], foot)))
    return cells


def _char_box(char: dict[str, Any]) -> Box:
    return (char["x0"], char["top"], char["x1"], char["bottom"])


def _union(boxes: Iterable[Box]) -> Box:
    items = list(boxes)
    return _round_box(
        (
            min(b[0] for b in items),
            min(b[1] for b in items),
            max(b[2] for b in items),
            max(b[3] for b in items),
        )
    )


def _round_box(box: Sequence[float]) -> Box:
    return (round(box[0], 1), round(box[1], 1), round(box[2], 1), round(box[3], 1))


def _overlaps(a: Box, b: Box, slack: float = 0.0) -> bool:
    return (
        a[0] < b[2] + slack and b[0] < a[2] + slack and a[1] < b[3] + slack and b[1] < a[3] + slack
    )


def _merge_blanks(blanks: list[Box]) -> list[Box]:
    """Join underscore runs that touch on one line (a date's "__/__/____" parts)."""
    merged: list[Box] = []
    for box in sorted(blanks, key=lambda b: (round(b[3]), b[0])):
        last = merged[-1] if merged else None
        if last and abs(last[3] - box[3]) < 2 and 0 <= box[0] - last[2] < 3:
            merged[-1] = _union([last, box])
        else:
            merged.append(box)
    return merged


def _vector_squares(page: Any) -> list[Box]:
    """Small square rectangles and closed curves: printed checkboxes."""
    found = []
    for obj in [*page.rects, *page.curves]:
        width, height = obj["width"], obj["height"]
        if 5 <= width <= 14 and 5 <= height <= 14 and abs(width - height) < 2.5:
            found.append(_round_box((obj["x0"], obj["top"], obj["x1"], obj["bottom"])))
    return found


def _is_square_glyph(char: dict[str, Any]) -> bool:
    font = str(char.get("fontname", "")).lower()
    text = char.get("text", "")
    if text in _SQUARE_CHARACTERS:
        return True
    return any(fragment in font and text == glyph for fragment, glyph in _SQUARE_GLYPHS)


def _glyph_squares(page: Any) -> list[Box]:
    """Checkboxes printed as a dingbat glyph. Webdings' "F" fills its em box, so the
    character's box is the printed square (checked against a 300 dpi rendering of the
    DHS-1171: within 0.2 pt)."""
    return [_round_box(_char_box(c)) for c in page.chars if _is_square_glyph(c)]


def _dedupe_boxes(boxes: list[Box]) -> list[Box]:
    """Union overlapping shapes (a box drawn as a filled square plus an outline) into one."""
    out: list[Box] = []
    for box in sorted(boxes, key=lambda b: (b[1], b[0])):
        for i, kept in enumerate(out):
            if _overlaps(kept, box):
                out[i] = _union([kept, box])
                break
        else:
            out.append(box)
    return out


# --------------------------------------------------------------------------------------
# Placing zones
# --------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    """Text as labels are compared: letters and digits of any script (a Japanese form's
    labels are kanji and kana), full-width forms folded (NFKC), case ignored."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def find_label(layout: PageLayout, label: str, occurrence: int = 1) -> Box | None:
    """The box of the ``occurrence``-th run of words reading ``label`` (case and
    punctuation ignored), or None. Words are scanned in reading order."""
    target = _norm(label)
    if not target:
        return None
    ordered = _reading_order(layout.words)
    seen = 0
    for start in range(len(ordered)):
        text = ""
        for end in range(start, len(ordered)):
            if end > start and abs(ordered[end].box[3] - ordered[start].box[3]) > 3:
                break
            text += _norm(ordered[end].text)
            if not target.startswith(text):
                break
            if text == target:
                seen += 1
                if seen == occurrence:
                    return _union(w.box for w in ordered[start : end + 1])
                break
    return None


def text_zone_for_label(layout: PageLayout, label: Box) -> Box | None:
    """The blank space where the value of a text field with this label is written.

    In order: an underscore run starting right of the label on its line, a drawn box
    right of it, an underscore run under it. The zone spans the blank's width and one
    handwriting line above it.
    """
    centre = (label[1] + label[3]) / 2
    right = [
        b
        for b in [*layout.blanks, *layout.frames]
        if b[1] - 4 <= centre <= b[3] + 4 and -2 <= b[0] - label[2] <= 100
    ]
    below = [
        b
        for b in layout.blanks
        if 0 <= b[1] - label[3] <= 14 and b[0] < label[2] and b[2] > label[0]
    ]
    nearest_right = min(right, key=lambda b: b[0]) if right else None
    # A blank right under the label beats one across a gap: that one is usually the
    # next column's ("If symptomatic, onset / date (MM/DD/YYYY):" then "__/__/__").
    if nearest_right is not None and (not below or nearest_right[0] - label[2] <= 12):
        return _zone_over(nearest_right, is_frame=nearest_right in layout.frames, layout=layout)
    if below:
        return _zone_over(min(below, key=lambda b: b[1]), is_frame=False, layout=layout)
    return None


def _text_zone_for_widget(layout: PageLayout, rect: Box) -> Box:
    """Where the value of a text widget is written on the printed page.

    Widget rectangles were placed by hand in a PDF editor and often overlap the label
    above or stop short of the printed underline. When underscore runs lie in the
    rectangle, the zone is built over them like a flat form's; otherwise it is the
    rectangle, lowered below any printed words in its upper half.
    """
    blanks = [
        b
        for b in layout.blanks
        if _overlaps(b, rect, slack=2)
        # mostly inside: a neighbouring column's blank merely touching the edge is not it
        and min(b[2], rect[2]) - max(b[0], rect[0]) >= 0.5 * min(b[2] - b[0], rect[2] - rect[0])
    ]
    if blanks:
        return _zone_over(_union(blanks), is_frame=False, layout=layout)
    x0, top, x1, bottom = rect
    middle = (top + bottom) / 2
    for word in layout.words:
        box = word.box
        if box[0] < x1 and box[2] > x0 and top < box[3] and (box[1] + box[3]) / 2 < middle:
            top = max(top, box[3] + 0.5)
    return _round_box((x0, top, x1, bottom))


def _zone_over(blank: Box, *, is_frame: bool, layout: PageLayout | None = None) -> Box:
    """The writing zone of a blank: a frame's interior, or one handwriting line above an
    underline, lowered where printed text or the blank of the line above sits there (so
    the zone never covers a label or a neighbour's value)."""
    if is_frame:
        return _round_box((blank[0] + 1, blank[1] + 1, blank[2] - 1, blank[3] - 1))
    bottom = blank[3] + 1.5
    top = bottom - TEXT_LINE_HEIGHT - 1.5
    if layout is not None:
        for other in [*(w.box for w in layout.words), *layout.blanks]:
            above = other[3] <= blank[1] + 1 and other[3] > top
            if above and other[0] < blank[2] and other[2] > blank[0]:
                top = other[3] + 0.5
    return _round_box((blank[0], top, blank[2], bottom))


def option_candidates(layout: PageLayout, label: Box, word: str) -> list[tuple[float, Box]]:
    """Printed squares that could be the option ``word`` of the question ``label``, best
    first, with their distance score.

    Candidates are squares followed by that word, to the right of or below the label
    (within a few lines); distance below weighs six times a distance to the right, so a
    table row's own boxes beat the row underneath.
    """
    target = _norm(word)
    found: list[tuple[float, Box]] = []
    for square in layout.squares:
        beside = layout.word_right_of(square)
        if beside is None or not _norm(beside.text).startswith(target):
            continue
        down = square[1] - label[1]
        across = square[0] - label[0]
        if down < -4 or down > 70 or across < -40:
            continue
        found.append((max(down, 0) * 6 + abs(across), square))
    return sorted(found)


def assign_squares(
    requests: dict[_Key, list[tuple[float, _Square]]],
) -> dict[_Key, _Square]:
    """Give each (field, option) one square, nearest pairs first, no square twice.

    Deciding globally rather than field by field keeps a question from taking the box of
    its neighbour's "Unknown" just because it was listed first.
    """
    pairs = sorted(
        (score, key, square) for key, candidates in requests.items() for score, square in candidates
    )
    assigned: dict[_Key, _Square] = {}
    taken: set[_Square] = set()
    for _score, key, square in pairs:
        if key in assigned or square in taken:
            continue
        assigned[key] = square
        taken.add(square)
    return assigned


# --------------------------------------------------------------------------------------
# Drafting a template
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    """A drafted template and what the drafting could not settle."""

    template: FormTemplate
    problems: tuple[str, ...]  # mapped fields the draft could not place


def template_from_pdf(
    pdf: Path,
    form_type: str,
    labels: LabelMap | None = None,
    *,
    version: str = "draft",
    record_type: str | None = None,
) -> Draft:
    """Draft the template of ``form_type`` from its blank PDF.

    With ``labels``, mapped fields are named after the schema; the widgets and printed
    blanks nobody claimed become ``proposals``. Without it every widget and blank is a
    proposal named after its widget or label. ``record_type`` names a form pack's record
    (a built-in form's is known).
    """
    record_type = record_type or RECORD_TYPE_BY_FORM.get(form_type)
    if record_type is None:
        raise TemplateError(f"form type {form_type} has no record type to draft a template for")
    layouts = read_layouts(pdf)
    if not layouts:
        raise InputRejected(ErrorCode.EMPTY, f"{pdf.name} has no pages")
    groups = group_widgets(read_widgets(pdf))
    labels = labels or LabelMap(fields={})
    fields: list[FieldSpec] = []
    problems: list[str] = []
    used_groups: set[tuple[str, int]] = set()
    used_blanks: set[tuple[int, Box]] = set()
    used_squares: set[tuple[int, Box]] = set()
    by_name: dict[str, list[WidgetGroup]] = defaultdict(list)
    for group in groups:
        by_name[group.name].append(group)
    word_squares = _assign_word_options(labels, layouts)

    for name, source in labels.fields.items():
        try:
            spec = _place(name, source, layouts, by_name, word_squares)
        except _Unplaced as why:
            problems.append(f"{name}: {why}")
            continue
        fields.append(spec)
        if source.widget:
            used_groups.add((source.widget, spec.page))
        used_groups.update((o.widget, spec.page) for o in source.options or [] if o.widget)
        if spec.region is not None:
            used_blanks.update(
                (spec.page, b) for b in layouts[spec.page - 1].blanks if _overlaps(b, spec.region)
            )
        used_squares.update((spec.page, o.box) for o in spec.options or [])

    proposals = _widget_proposals([g for g in groups if (g.name, g.page) not in used_groups])
    if not groups:
        proposals += _text_layer_proposals(layouts, used_blanks, used_squares)
    pages_with_fields = {f.page for f in fields} or {p.number for p in layouts}
    pages = [
        PageSpec(
            number=layout.number,
            carries_fields=layout.number in pages_with_fields,
            anchors=labels.anchors.get(layout.number, []),
        )
        for layout in layouts
    ]
    template = FormTemplate(
        form_type=form_type,
        record_type=record_type,
        version=version,
        title=labels.title or pdf.stem,
        source_pdf=pdf.name,
        page_size=layouts[0].size,
        pages=pages,
        fields=fields,
        not_on_form=labels.not_on_form,
        proposals=proposals,
    )
    return Draft(template, tuple(problems))


class _Unplaced(Exception):
    """A mapped field whose widget or label was not found (reported, not raised)."""


def _assign_word_options(labels: LabelMap, layouts: list[PageLayout]) -> dict[tuple[str, int], Box]:
    """The square of every label-based option of the map, decided for all fields at once."""
    requests: dict[tuple[str, int], list[tuple[float, tuple[int, Box]]]] = {}
    for name, source in labels.fields.items():
        if not source.options or source.page is None or source.label is None:
            continue
        if source.page > len(layouts):
            continue
        layout = layouts[source.page - 1]
        label = find_label(layout, source.label, source.occurrence)
        if label is None:
            continue
        for index, choice in enumerate(source.options):
            if choice.word:
                requests[(name, index)] = [
                    (score, (source.page, square))
                    for score, square in option_candidates(layout, label, choice.word)
                ]
    return {key: square for key, (_page, square) in assign_squares(requests).items()}


def _place(
    name: str,
    source: FieldSource,
    layouts: list[PageLayout],
    groups: dict[str, list[WidgetGroup]],
    word_squares: dict[tuple[str, int], Box],
) -> FieldSpec:
    common: dict[str, Any] = {
        "name": name,
        "kind": source.kind,
        "whitelist": source.whitelist,
        "required": source.required,
        "label": source.label,
        "lexicon": source.lexicon,
        "vocabulary": source.vocabulary,
        "state_field": source.state_field,
        "name_fields": source.name_fields,
    }
    common.update(
        (key, value)
        for key, value in (
            ("lang", source.lang),
            ("era", source.era),
            ("era_field", source.era_field),
            ("closed_vocabulary", source.closed_vocabulary),
        )
        if value is not None
    )
    if source.options is not None:
        return _place_options(source, layouts, groups, word_squares, common)
    if source.region is not None:
        if source.page is None:
            raise _Unplaced("a hand-set 'region' needs 'page'")
        return FieldSpec(page=source.page, region=source.region, **common)
    if source.widget:
        group = _widget_group(groups, source.widget, source.page)
        if group.is_comb:
            printed = _cells_in(layouts[group.page - 1], _union(group.rects), len(group.rects))
            return FieldSpec(page=group.page, boxes=printed or list(group.rects), **common)
        if source.kind is FieldKind.CHECKBOX:
            square, mark = _square_for_widget(layouts[group.page - 1], group.rects[0])
            option = Option(value=True, box=square, mark_box=mark)
            return FieldSpec(page=group.page, options=[option], **common)
        region = _text_zone_for_widget(layouts[group.page - 1], group.rects[0])
        return FieldSpec(page=group.page, region=region, **common)
    layout, label = _label_on_page(source, layouts)
    if source.comb:
        near = (label[0] - 5, label[1] - 2, label[2] + 250, label[3] + 25)
        cells = _cells_in(layout, near, source.comb)
        if cells is None:
            raise _Unplaced(f"no {source.comb} printed cells near label {source.label!r}")
        return FieldSpec(page=layout.number, boxes=cells, **common)
    zone = text_zone_for_label(layout, label)
    if zone is None:
        raise _Unplaced(f"no blank or box next to label {source.label!r}")
    return FieldSpec(page=layout.number, region=zone, **common)


def _label_on_page(source: FieldSource, layouts: list[PageLayout]) -> tuple[PageLayout, Box]:
    if source.page is None or source.label is None:
        raise _Unplaced("a label-based entry needs 'page' and 'label'")
    if source.page > len(layouts):
        raise _Unplaced(f"page {source.page} is beyond the PDF's {len(layouts)} pages")
    layout = layouts[source.page - 1]
    label = find_label(layout, source.label, source.occurrence)
    if label is None:
        raise _Unplaced(f"label {source.label!r} not found on page {source.page}")
    return layout, label


def _place_options(
    source: FieldSource,
    layouts: list[PageLayout],
    groups: dict[str, list[WidgetGroup]],
    word_squares: dict[tuple[str, int], Box],
    common: dict[str, Any],
) -> FieldSpec:
    options: list[Option] = []
    page: int | None = source.page
    for index, choice in enumerate(source.options or []):
        mark: Box | None = None
        if choice.box is not None:
            square = choice.box
        elif choice.widget:
            group = _widget_group(groups, choice.widget, source.page, choice.export)
            page = group.page
            square, mark = _square_for_widget(layouts[page - 1], group.rects[0])
        elif choice.word:
            _label_on_page(source, layouts)  # raises when the label itself is missing
            found = word_squares.get((common["name"], index))
            if found is None:
                raise _Unplaced(f"no checkbox beside {choice.word!r} near {source.label!r}")
            square = found
        else:
            raise _Unplaced(f"option {choice.value!r} needs 'widget' or 'word'")
        options.append(Option(value=choice.value, box=square, label=choice.word, mark_box=mark))
    if page is None:
        raise _Unplaced("cannot tell the page")
    return FieldSpec(page=page, options=options, **common)


def _widget_group(
    groups: dict[str, list[WidgetGroup]], name: str, page: int | None, export: str | None = None
) -> WidgetGroup:
    """The widget (group) called ``name``; ``page`` settles a name used on several pages
    (the first on it when it recurs there), ``export`` which button of a radio group."""
    found = [
        g
        for g in groups.get(name, [])
        if (page is None or g.page == page) and (export is None or g.export == export)
    ]
    if not found:
        where = f" on page {page}" if page else ""
        raise _Unplaced(f"no widget named {name!r}{where}")
    if len(found) > 1 and page is not None:
        # one field shown several times on its page (the DHS-1171's income interval, once
        # a row): the copies hold one value, and the first is read
        return found[0]
    if len(found) > 1:
        pages = ", ".join(str(g.page) for g in found)
        raise _Unplaced(f"widget {name!r} is on pages {pages}: say which with 'page'")
    return found[0]


def _cells_in(layout: PageLayout, area: Box, count: int) -> list[Box] | None:
    """The first ``count`` printed comb cells inside ``area`` in reading order, or None
    when there are fewer."""
    inside = [c for c in layout.cells if _overlaps(c, area)]
    inside.sort(key=lambda c: (round(c[3] / 4), c[0]))
    return inside[:count] if len(inside) >= count else None


def _square_in(layout: PageLayout, rect: Box) -> Box | None:
    """The printed square inside (or overlapping) a button widget's rectangle."""
    inside = [s for s in layout.squares if _overlaps(s, rect, slack=2)]
    if not inside:
        return None
    cx, cy = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
    return min(inside, key=lambda s: abs((s[0] + s[2]) / 2 - cx) + abs((s[1] + s[3]) / 2 - cy))


def _square_for_widget(layout: PageLayout, rect: Box) -> tuple[Box, Box | None]:
    """The box a button widget's option reads (its printed square, else the widget's
    rectangle) and, when the widget sits off that square, where a filler's mark lands.

    A program filling the PDF draws the check centred in the widget, not on the printed
    square; when the widget's centre is off the square's centre by more than
    ``MARK_OFFSET`` of the square's side, the mark lies half outside the square. The
    distance counts both axes together: DHS page 8's "Male" widget is off by 0.10 of the
    side across and 0.196 down, each under the limit, and a tick drawn in it covers only
    0.05 of the square (dev-set documents read it as null). The returned mark box is the
    printed square moved onto the widget's centre.
    """
    square = _square_in(layout, rect)
    if square is None:
        return rect, None
    side_x, side_y = square[2] - square[0], square[3] - square[1]
    cx, cy = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
    off_x = (cx - (square[0] + square[2]) / 2) / side_x
    off_y = (cy - (square[1] + square[3]) / 2) / side_y
    if math.hypot(off_x, off_y) <= MARK_OFFSET:
        return square, None
    mark = (cx - side_x / 2, cy - side_y / 2, cx + side_x / 2, cy + side_y / 2)
    return square, _round_box(mark)


def _widget_proposals(groups: list[WidgetGroup]) -> list[FieldSpec]:
    out = []
    for group in groups:
        if group.is_button:
            option = Option(value=True, box=group.rects[0])
            out.append(
                FieldSpec(
                    name=group.name, page=group.page, kind=FieldKind.CHECKBOX, options=[option]
                )
            )
        elif group.is_comb:
            out.append(
                FieldSpec(
                    name=group.name,
                    page=group.page,
                    kind=FieldKind.TEXT,
                    boxes=list(group.rects),
                    whitelist="0123456789",
                )
            )
        else:
            out.append(
                FieldSpec(
                    name=group.name, page=group.page, kind=FieldKind.TEXT, region=group.rects[0]
                )
            )
    return out


def _text_layer_proposals(
    layouts: list[PageLayout],
    used_blanks: set[tuple[int, Box]],
    used_squares: set[tuple[int, Box]],
) -> list[FieldSpec]:
    """A text zone for each unclaimed blank and a checkbox for each unclaimed square,
    named after the words printed left of the blank / right of the square."""
    out: list[FieldSpec] = []
    names: set[str] = set()

    def unique(base: str) -> str:
        slug = re.sub(r"[^a-z0-9]+", "_", base.lower()).strip("_")[:48] or "blank"
        name, n = f"unmapped.{slug}", 2
        while name in names:
            name, n = f"unmapped.{slug}#{n}", n + 1
        names.add(name)
        return name

    for layout in layouts:
        for blank in layout.blanks:
            if (layout.number, blank) in used_blanks:
                continue
            label = _words_left_of(layout, blank)
            out.append(
                FieldSpec(
                    name=unique(label or "blank"),
                    page=layout.number,
                    kind=FieldKind.TEXT,
                    region=_zone_over(blank, is_frame=False, layout=layout),
                    label=label or None,
                )
            )
        for square in layout.squares:
            if (layout.number, square) in used_squares:
                continue
            word = layout.word_right_of(square)
            text = word.text if word else "box"
            out.append(
                FieldSpec(
                    name=unique(text),
                    page=layout.number,
                    kind=FieldKind.CHECKBOX,
                    options=[Option(value=True, box=square, label=text)],
                )
            )
    return out


def _words_left_of(layout: PageLayout, blank: Box, reach: float = 100) -> str:
    """The printed words on the blank's line that end within ``reach`` points left of it:
    the label, read back from the blank until a gap wider than a few spaces (the previous
    column's text)."""
    centre = (blank[1] + blank[3]) / 2
    line = sorted(
        (
            w
            for w in layout.words
            if w.box[1] - 2 <= centre <= w.box[3] + 2 and w.box[2] <= blank[0] + 1
        ),
        key=lambda w: w.box[0],
    )
    picked: list[Word] = []
    edge, allowed_gap = blank[0], reach
    for word in reversed(line):
        if edge - word.box[2] > allowed_gap:
            break
        picked.append(word)
        edge, allowed_gap = word.box[0], 12.0
    return " ".join(w.text for w in reversed(picked))


# --------------------------------------------------------------------------------------
# Writing YAML
# --------------------------------------------------------------------------------------


class _TemplateDumper(yaml.SafeDumper):
    """Boxes on one line (``[x0, y0, x1, y1]``), everything else in block style."""


def _represent_list(dumper: _TemplateDumper, data: Sequence[Any]) -> yaml.Node:
    flow = all(isinstance(v, int | float) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_TemplateDumper.add_representer(list, _represent_list)
_TemplateDumper.add_representer(tuple, _represent_list)


def template_to_yaml(template: FormTemplate, header: str = "") -> str:
    """The template as YAML text, fields in page and reading order, defaults left out."""
    data = template.model_dump(mode="json", exclude_defaults=True, exclude={"folder"})
    for key in ("form_type", "record_type", "version", "title", "pages", "fields"):
        data.setdefault(key, template.model_dump(mode="json")[key])
    order = [
        "form_type",
        "record_type",
        "version",
        "title",
        "source_pdf",
        "page_size",
        "pages",
        "fields",
        "not_on_form",
        "proposals",
    ]
    ordered = {k: data[k] for k in order if k in data}
    body = yaml.dump(
        ordered, Dumper=_TemplateDumper, sort_keys=False, allow_unicode=True, width=100
    )
    return header + body


# --------------------------------------------------------------------------------------
# Review: the blank page with every zone drawn on it
# --------------------------------------------------------------------------------------

_REGION_COLOUR = (0, 90, 220)
_COMB_COLOUR = (0, 150, 60)
_OPTION_COLOUR = (220, 0, 40)
_PROPOSAL_COLOUR = (230, 140, 0)
_FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def render_overlay(template: FormTemplate, page: int, dpi: int = 120) -> Any:
    """The blank form's ``page`` at ``dpi`` (a PIL RGB image) with every field's region
    (blue), comb cells (green) and option boxes (red) drawn and labelled with the field
    name or option value, and unfinished proposals in orange."""
    from pdf2image import convert_from_path
    from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError
    from PIL import ImageDraw, ImageFont

    if not 1 <= page <= len(template.pages):
        raise TemplateError(
            f"template {template.form_type} has pages 1..{len(template.pages)}, not {page}"
        )
    try:
        images = convert_from_path(
            template.pdf_path, dpi=dpi, first_page=page, last_page=page, hide_annotations=True
        )
    except PDFInfoNotInstalledError as exc:
        from faxflow.errors import MissingDependency

        raise MissingDependency("poppler (pdftoppm) is needed to render the blank form") from exc
    except PDFPageCountError as exc:
        raise TemplateError(f"cannot render {template.pdf_path}: {exc}") from exc
    image = images[0].convert("RGB")
    draw = ImageDraw.Draw(image)
    scale = dpi / 72.0
    size = max(8, round(dpi / 14))
    font = (
        ImageFont.truetype(str(_FONT_FILE), size)
        if _FONT_FILE.is_file()
        else ImageFont.load_default()
    )

    def rect(box: Box, colour: tuple[int, int, int]) -> list[int]:
        pixels = [round(v * scale) for v in box]
        draw.rectangle(pixels, outline=colour, width=max(1, dpi // 75))
        return pixels

    def text(x: int, y: int, words: str, colour: tuple[int, int, int], backed: bool) -> None:
        if backed:  # inside a blank zone nothing printed is hidden by a pale backing
            left, top, right, bottom = draw.textbbox((x, y), words, font=font)
            draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), fill=(255, 255, 225))
        draw.text((x, y), words, fill=colour, font=font)

    for spec in template.fields_on_page(page):
        if spec.region is not None:
            x0, y0, _x1, _y1 = rect(spec.region, _REGION_COLOUR)
            text(x0 + 2, y0 + 1, spec.name, _REGION_COLOUR, backed=True)  # rows sit close
        for index, cell in enumerate(spec.boxes or []):
            x0, y0, _x1, _y1 = rect(cell, _COMB_COLOUR)
            if index == 0:
                text(x0, y0 - size - 1, spec.name, _COMB_COLOUR, backed=False)
        drawn = [rect(option.box, _OPTION_COLOUR) for option in spec.options or []]
        for option, (x0, _y0, _x1, y1) in zip(spec.options or [], drawn, strict=True):
            if option.label is None:  # no printed word says which value the box means
                text(x0, y1 + 1, str(option.value), _OPTION_COLOUR, backed=False)
        if drawn:  # the group's name once, right of its rightmost box
            last = max(drawn, key=lambda p: p[2])
            text(last[2] + 3, last[1] - size // 2, f"<{spec.name}>", _OPTION_COLOUR, backed=False)
    for spec in template.proposals:
        if spec.page != page:
            continue
        for box in [spec.region, *(spec.boxes or []), *[o.box for o in spec.options or []]]:
            if box is not None:
                x0, y0, _x1, _y1 = rect(box, _PROPOSAL_COLOUR)
                text(x0, y0 - size - 1, spec.name, _PROPOSAL_COLOUR, backed=False)
    return image


def anchor_problems(template: FormTemplate) -> list[str]:
    """Anchors that do not classify their page: absent from its text layer, or printed on
    another page too (case, spaces and punctuation ignored)."""
    texts = [
        "".join(_norm(w.text) for w in _reading_order(p.words))
        for p in read_layouts(template.pdf_path)
    ]
    problems = []
    for page in template.pages:
        if not page.anchors:
            problems.append(f"page {page.number}: no anchors to recognise it by")
        for anchor in page.anchors:
            key = _norm(anchor)
            found = [n for n, text in enumerate(texts, start=1) if key in text]
            if page.number not in found:
                problems.append(f"page {page.number}: anchor {anchor!r} is not printed on it")
            elif len(found) > 1:
                others = ", ".join(str(n) for n in found if n != page.number)
                problems.append(f"page {page.number}: anchor {anchor!r} is also on page {others}")
    return problems


def _reading_order(words: Iterable[Word]) -> list[Word]:
    return sorted(words, key=lambda w: (round(w.box[3] / 3), w.box[0]))
