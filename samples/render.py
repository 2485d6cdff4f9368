"""Write a record's values onto the blank form pages, the way a person filling it would.

Each document gets one *hand*. The classic hand (the generator before the tune/locked
split, :meth:`Hand.draw`): a font (DejaVu or Liberation, Sans/Serif/Mono), a size (8-12 pt,
shrunk only where a value would not fit its space), an ink tone and a way of marking boxes
(X, tick, or filled, centred). A split's hand (:meth:`Hand.for_style`, see
:mod:`samples.splits`) is typed or hand-printed (handwriting faces from Debian packages),
may write in block capitals, may not shrink to fit (writing runs past the box), may drift
off the baseline word by word, and marks boxes anywhere in or across the square (X, tick,
thin tick, fill, slash) or circles the box. Positions come from :mod:`samples.layout` plus
a few points of jitter. Dates in printed ``__/__/____`` slots go between the slashes; dates
in free boxes are written in the styles people use (MM/DD/YYYY mostly, also M/D/YY,
3-4-2020, 2020-03-04, "March 4, 2020" …).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pdf2image import convert_from_path
from pdf2image.exceptions import (
    PDFInfoNotInstalledError,
    PDFPageCountError,
    PDFPopplerTimeoutError,
    PDFSyntaxError,
    PopplerNotInstalledError,
)
from PIL import Image, ImageDraw, ImageFont

if TYPE_CHECKING:
    from samples.splits import WritingStyle

from faxflow.errors import MissingDependency, TemplateError
from faxflow.model import FormType
from samples.layout import (
    Box,
    CheckSlot,
    CombSlot,
    DateSlot,
    FieldPlaces,
    blank_pdf,
    form_layout,
)
from samples.people import STATE_NAMES

FONT_DIR = Path("/usr/share/fonts/truetype")
FONTS = (
    "dejavu/DejaVuSans.ttf",
    "dejavu/DejaVuSerif.ttf",
    "dejavu/DejaVuSansMono.ttf",
    "liberation/LiberationSans-Regular.ttf",
    "liberation/LiberationSerif-Regular.ttf",
    "liberation/LiberationMono-Regular.ttf",
)
PRINTED_ON_BLANK = frozenset({"applying_food_assistance"})  # ticked on the blank form itself
SIGNATURE_FONTS = ("dejavu/DejaVuSerif-Italic.ttf", "liberation/LiberationSerif-Italic.ttf")
MIN_POINTS = 6.0  # below this nobody writes; a value that still does not fit runs on
MARKS = ("x", "tick", "fill")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
# Points a split's hand writes at: hand-printing runs larger than typing, and a hand that
# does not shrink to fit is usually a large one.
SPLIT_POINTS = {"typed": (8.0, 12.0), "hand_printed": (9.0, 13.0), "overflow": (10.5, 14.0)}


@cache
def blank_pages(form_type: FormType, dpi: int) -> tuple[np.ndarray, ...]:
    """The blank form's pages rendered grey at ``dpi`` (cached per process; read-only)."""
    path = blank_pdf(form_type)
    try:
        pages = convert_from_path(path, dpi=dpi, grayscale=True, timeout=120)
    except (PDFInfoNotInstalledError, PopplerNotInstalledError) as exc:
        raise MissingDependency("poppler (pdftoppm) is missing; install poppler-utils") from exc
    except (PDFPageCountError, PDFSyntaxError, PDFPopplerTimeoutError) as exc:
        raise TemplateError(f"cannot render the blank form {path} ({type(exc).__name__})") from exc
    arrays = tuple(np.asarray(p.convert("L")) for p in pages)
    for array in arrays:
        array.setflags(write=False)
    return arrays


@cache
def load_font(path: str, pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / path), max(4, pixels))


@dataclass(frozen=True, slots=True)
class Hand:
    """How one person writes: chosen once per document."""

    font: str
    points: float
    ink: int
    mark: str
    date_style: str
    block_capitals: bool = False
    overflow: bool = False  # never shrinks to fit: writing runs past the box's right edge
    drift: float = 0.0  # points each word may leave the baseline; its turn in degrees x 1.5
    classic: bool = True  # the generator before the split: centred marks, fewer value styles

    @classmethod
    def draw(cls, rng: np.random.Generator) -> Hand:
        return cls(
            font=FONTS[int(rng.integers(len(FONTS)))],
            points=float(rng.uniform(8.0, 12.0)),
            ink=int(rng.integers(0, 45)),
            mark=MARKS[int(rng.integers(len(MARKS)))],
            date_style=str(
                rng.choice(
                    ["mm/dd/yyyy", "m/d/yy", "m-d-yyyy", "iso", "long"],
                    p=[0.6, 0.15, 0.1, 0.05, 0.1],
                )
            ),
        )

    @classmethod
    def for_style(
        cls, style: WritingStyle, date_styles: dict[str, float], rng: np.random.Generator
    ) -> Hand:
        """A split's hand for ``style`` (see :mod:`samples.splits`)."""
        low, high = SPLIT_POINTS["overflow" if style.overflow else style.writing]
        names = sorted(date_styles)
        weights = np.array([date_styles[n] for n in names], dtype=float)
        return cls(
            font=style.font,
            points=float(rng.uniform(low, high)),
            ink=int(rng.integers(0, 60)),
            mark=style.mark,
            date_style=names[int(rng.choice(len(names), p=weights / weights.sum()))],
            block_capitals=style.block_capitals,
            overflow=style.overflow,
            drift=float(rng.uniform(0.7, 1.8)) if style.drift else 0.0,
            classic=False,
        )


class Writer:
    """Draws values onto one document's pages (PIL images at ``dpi``)."""

    def __init__(
        self, pages: list[Image.Image], *, dpi: int, hand: Hand, rng: np.random.Generator
    ) -> None:
        self.pages = pages
        self.draws = [ImageDraw.Draw(p) for p in pages]
        self.scale = dpi / 72.0
        self.hand = hand
        self.rng = rng

    def jitter(self, points: float) -> float:
        return float(self.rng.uniform(-points, points))

    def px(self, value: float) -> float:
        return value * self.scale

    # -- text ------------------------------------------------------------------------------

    def fitted_font(
        self, text: str, width: float, height: float, *, face: str | None = None
    ) -> ImageFont.FreeTypeFont:
        """The hand's font (or ``face``) at its size, shrunk until ``text`` fits ``width``
        x ``height`` points (never below :data:`MIN_POINTS`); an overflowing hand keeps its
        size whatever the room."""
        if self.hand.overflow and face is None:
            return load_font(self.hand.font, round(self.px(self.hand.points)))
        points = min(self.hand.points, max(MIN_POINTS, height))
        while True:
            font = load_font(face or self.hand.font, round(self.px(points)))
            if font.getlength(text) <= self.px(width) or points <= MIN_POINTS:
                return font
            points = max(MIN_POINTS, points - 0.5)

    def text_in(
        self, page: int, box: Box, text: str, *, centre: bool = False, face: str | None = None
    ) -> None:
        x0, top, x1, bottom = box
        if self.hand.block_capitals and face is None:
            text = text.upper()
        height = bottom - top
        is_line = height <= 11  # a printed ____ line: the text sits on it and rises above
        room_h = 10.0 if is_line else height * 0.78  # printed lines are ~10 pt apart
        lead = 0.5 if centre else min(6.0, max(1.0, (x1 - x0) * 0.04))
        font = self.fitted_font(text, x1 - x0 - lead - 1, room_h, face=face)
        width_pt = font.getlength(text) / self.scale
        if centre:
            x = x0 + (x1 - x0 - width_pt) / 2 + self.jitter(0.6)
        else:
            x = x0 + lead + abs(self.jitter(2.5))
            if not self.hand.overflow:
                x = min(x, max(x0 + 0.5, x1 - width_pt - 0.5))
        baseline = (bottom - 2.8 if is_line else bottom - height * 0.22) + self.jitter(0.7)
        if self.hand.drift and face is None:
            self.drifting_text(page, self.px(x), self.px(baseline), text, font)
            return
        self.draws[page - 1].text(
            (self.px(x), self.px(baseline)), text, font=font, fill=self.hand.ink, anchor="ls"
        )

    def drifting_text(
        self, page: int, x: float, baseline: float, text: str, font: ImageFont.FreeTypeFont
    ) -> None:
        """``text`` word by word from ``x`` (pixels): each word off the baseline by up to
        the hand's drift, turned a little, along a line that itself slopes slightly."""
        image = self.pages[page - 1]
        slope = self.jitter(0.012 * self.hand.drift)  # rise per unit of run
        space = font.getlength(" ")
        start = x
        for word in text.split(" "):
            if word:
                left, top, right, bottom = font.getbbox(word, anchor="ls")
                pad = 4
                mask = Image.new("L", (int(right - left) + 2 * pad, int(bottom - top) + 2 * pad))
                ImageDraw.Draw(mask).text(
                    (pad - left, pad - top), word, font=font, fill=255, anchor="ls"
                )
                turned = mask.rotate(
                    self.jitter(1.5 * self.hand.drift),
                    resample=Image.Resampling.BICUBIC,
                    expand=True,
                )
                centre_x = x + (left + right) / 2
                centre_y = (
                    baseline
                    + self.px(self.jitter(self.hand.drift))
                    - slope * (x - start)
                    + (top + bottom) / 2
                )
                ox = round(centre_x - turned.width / 2)
                oy = round(centre_y - turned.height / 2)
                image.paste(self.hand.ink, (ox, oy, ox + turned.width, oy + turned.height), turned)
                x += font.getlength(word)
            x += space

    def comb(self, slot: CombSlot, text: str) -> None:
        for cell, char in zip(slot.cells, text, strict=False):
            self.text_in(slot.page, cell, char, centre=True)

    def date_parts(self, slot: DateSlot, value: date) -> None:
        style = self.hand.date_style
        unpadded = style in {"m/d/yy", "m/d/yyyy"}
        two_digit_year = style in {"m/d/yy", "mm-dd-yy"}
        month, day = (
            (f"{value.month}", f"{value.day}")
            if unpadded
            else (f"{value.month:02d}", f"{value.day:02d}")
        )
        year = f"{value.year % 100:02d}" if two_digit_year else f"{value.year}"
        long_forms = (month, day, year)
        short_forms = (f"{value.month}", f"{value.day}", f"{value.year % 100:02d}")
        for part, long_form, short_form in zip(slot.parts, long_forms, short_forms, strict=True):
            # In a cramped __/__/__ slot people drop the century and leading zeros.
            fits = self.fits(long_form, part[2] - part[0])
            text = short_form if not fits else long_form
            self.text_in(slot.page, part, text, centre=True)

    def fits(self, text: str, width: float) -> bool:
        """Whether ``text`` fits ``width`` points at the smallest size anyone writes."""
        smallest = load_font(self.hand.font, round(self.px(MIN_POINTS)))
        return smallest.getlength(text) <= self.px(width - 1.5)  # as text_in leaves room

    # -- boxes -----------------------------------------------------------------------------

    def check(self, slot: CheckSlot) -> None:
        if not self.hand.classic:
            self.mark_anywhere(slot)
            return
        x0, top, x1, bottom = slot.box
        side = min(x1 - x0, bottom - top, 11.0) * 0.72
        cx = (x0 + x1) / 2 + self.jitter(0.8)
        cy = (top + bottom) / 2 + self.jitter(0.8)
        h = side / 2
        draw = self.draws[slot.page - 1]
        width = max(2, round(self.px(float(self.rng.uniform(0.9, 1.5)))))
        ink = self.hand.ink
        if self.hand.mark == "fill":
            draw.rectangle(
                [self.px(cx - h), self.px(cy - h), self.px(cx + h), self.px(cy + h)], fill=ink
            )
        elif self.hand.mark == "x":
            for a, b in (((-h, -h), (h, h)), ((-h, h), (h, -h))):
                draw.line(
                    [
                        self.px(cx + a[0]),
                        self.px(cy + a[1]),
                        self.px(cx + b[0]),
                        self.px(cy + b[1]),
                    ],
                    fill=ink,
                    width=width,
                )
        else:  # a tick: short stroke down-right, long stroke up-right
            points = [(cx - h, cy), (cx - h * 0.2, cy + h), (cx + h * 1.2, cy - h * 1.3)]
            draw.line(
                [(self.px(x), self.px(y)) for x, y in points], fill=ink, width=width, joint="curve"
            )

    def mark_anywhere(self, slot: CheckSlot) -> None:
        """A split hand's mark: anywhere in or across the square, of any size from a thin
        tick covering about a quarter of the box to a stroke spilling over its border; a
        circle goes around the box, outside it."""
        x0, top, x1, bottom = slot.box
        side = min(x1 - x0, bottom - top, 11.0)
        draw = self.draws[slot.page - 1]
        ink = self.hand.ink
        mark = self.hand.mark
        thin = mark == "thin_tick"
        stroke = float(self.rng.uniform(0.35, 0.7) if thin else self.rng.uniform(0.8, 1.6))
        width = max(1, round(self.px(stroke)))
        if mark == "circle":
            self._circle(slot, stroke, width)
            return
        spread = 0.18 if thin else 0.35  # how far the mark's centre strays, in sides
        cx = (x0 + x1) / 2 + self.rng.uniform(-spread, spread) * side
        cy = (top + bottom) / 2 + self.rng.uniform(-spread, spread) * side
        h = side * float(self.rng.uniform(0.18, 0.26) if thin else self.rng.uniform(0.3, 0.65))

        def line(points: list[tuple[float, float]]) -> None:
            draw.line(
                [(self.px(x), self.px(y)) for x, y in points], fill=ink, width=width, joint="curve"
            )

        if mark == "fill":
            wobble = 0.15 * h  # a filled box is shaded by hand, not ruled
            corners = [(-h, -h), (h, -h), (h, h), (-h, h)]
            draw.polygon(
                [
                    (self.px(cx + a + self.jitter(wobble)), self.px(cy + b + self.jitter(wobble)))
                    for a, b in corners
                ],
                fill=ink,
            )
        elif mark == "x":
            for a, b in (((-h, -h), (h, h)), ((-h, h), (h, -h))):
                line([(cx + a[0] + self.jitter(0.2 * h), cy + a[1]), (cx + b[0], cy + b[1])])
        elif mark == "slash":
            line([(cx - h * 0.8, cy + h), (cx + h * 0.8, cy - h)])
        else:  # a tick (or a thin one): short stroke down-right, long stroke up-right
            line([(cx - h, cy), (cx - h * 0.2, cy + h), (cx + h * 1.2, cy - h * 1.3)])

    def _circle(self, slot: CheckSlot, stroke: float, width: int) -> None:
        """An ellipse around the box: every corner of the square inside it, clear of the
        stroke by half a point."""
        x0, top, x1, bottom = slot.box
        half_w, half_h = (x1 - x0) / 2, (bottom - top) / 2
        dx, dy = self.jitter(0.15 * half_w), self.jitter(0.15 * half_h)
        ratio = float(self.rng.uniform(0.75, 1.0))  # vertical over horizontal semi-axis
        clear = stroke + 0.5  # the outline is drawn inward from the ellipse's box
        needed = max(
            ((sx * half_w - dx) ** 2 + ((sy * half_h - dy) / ratio) ** 2) ** 0.5
            for sx in (-1, 1)
            for sy in (-1, 1)
        )
        a = needed * float(self.rng.uniform(1.08, 1.35)) + clear / ratio
        b = a * ratio
        cx, cy = (x0 + x1) / 2 + dx, (top + bottom) / 2 + dy
        self.draws[slot.page - 1].ellipse(
            [self.px(cx - a), self.px(cy - b), self.px(cx + a), self.px(cy + b)],
            outline=self.hand.ink,
            width=width,
        )


# --------------------------------------------------------------------------------------
# How values are written
# --------------------------------------------------------------------------------------


def written_date(value: date, style: str) -> str:
    if style == "m/d/yy":
        return f"{value.month}/{value.day}/{value.year % 100:02d}"
    if style == "m-d-yyyy":
        return f"{value.month}-{value.day}-{value.year}"
    if style == "iso":
        return value.isoformat()
    if style == "long":
        return f"{MONTHS[value.month - 1]} {value.day}, {value.year}"
    if style == "m/d/yyyy":
        return f"{value.month}/{value.day}/{value.year}"
    if style == "mm-dd-yy":
        return f"{value.month:02d}-{value.day:02d}-{value.year % 100:02d}"
    if style == "short_month":
        return f"{MONTHS[value.month - 1][:3]} {value.day}, {value.year}"
    return f"{value.month:02d}/{value.day:02d}/{value.year}"


def written_phone(digits: str, rng: np.random.Generator, *, classic: bool = True) -> str:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    styles = (f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"{a} {b} {c}")
    if classic:
        return styles[int(rng.choice(4, p=[0.45, 0.35, 0.1, 0.1]))]
    wider = (*styles, f"({a}){b}-{c}", f"{a}/{b}-{c}", f"{a}{b}{c}", f"1-{a}-{b}-{c}")
    return wider[int(rng.choice(8, p=[0.3, 0.3, 0.08, 0.08, 0.08, 0.06, 0.05, 0.05]))]


def written_money(amount: float, rng: np.random.Generator) -> str:
    whole = amount == int(amount)
    style = int(rng.integers(3))
    if style == 0:
        return f"{amount:,.2f}"
    if style == 1:
        return f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    return f"{amount:.2f}" if not whole else f"{int(amount)}"


def written_email(address: str, rng: np.random.Generator) -> str:
    """People capitalise their names in e-mail addresses; the record is lower-case."""
    if rng.random() < 0.25:
        local, _, domain = address.partition("@")
        return f"{local[:1].upper()}{local[1:]}@{domain}"
    return address


def written_text(name: str, value: Any, hand: Hand, rng: np.random.Generator) -> str:
    """The string a person writes for a text-kind value of field ``name``."""
    if value is None:
        return ""
    if name.endswith("date") or name in {"date_of_birth", "date_of_death"}:
        return written_date(date.fromisoformat(value), hand.date_style)
    if name.endswith("phone") or name == "interviewer_telephone":
        return written_phone(value, rng, classic=hand.classic)
    if name in {"total_cash_assets", "monthly_gross_income"}:
        return written_money(float(value), rng)
    if name.endswith("email"):
        return written_email(value, rng)
    if name == "state_of_residence" and rng.random() < 0.4:
        return STATE_NAMES.get(value, value)
    return str(value)


def fill_pages(
    form_type: FormType,
    record: dict[str, Any],
    extras: dict[str, Any],
    *,
    dpi: int,
    rng: np.random.Generator,
    hand: Hand | None = None,
) -> list[np.ndarray]:
    """The blank pages at ``dpi`` with ``record`` (and non-scored ``extras`` such as the
    other members' marital status) written on them by ``hand`` (default: a classic hand
    drawn from ``rng``)."""
    layout = form_layout(form_type)
    hand = hand or Hand.draw(rng)
    pages = [Image.fromarray(p).copy() for p in blank_pages(form_type, dpi)]
    writer = Writer(pages, dpi=dpi, hand=hand, rng=rng)
    for name, value in _flatten({**record, **extras}).items():
        places = layout.get(name)
        if places is None or value is None or name in PRINTED_ON_BLANK:
            continue
        _write_field(writer, name, value, places)
    return [np.asarray(p) for p in pages]


def _write_field(writer: Writer, name: str, value: Any, places: FieldPlaces) -> None:
    if places.options:
        chosen = value if isinstance(value, list) else [value]
        for option in chosen:
            box = places.options.get(str(option))
            if box is not None:
                writer.check(box)
        return
    field = name.rsplit(".", 1)[-1]
    text = None  # one written form per field, repeated where the form asks twice
    for slot in places.slots:
        if isinstance(slot, DateSlot):
            writer.date_parts(slot, date.fromisoformat(value))
        elif isinstance(slot, CombSlot):
            writer.comb(slot, str(value).replace("-", ""))
        else:
            if field == "signature":
                face = SIGNATURE_FONTS[int(writer.rng.integers(len(SIGNATURE_FONTS)))]
                writer.text_in(slot.page, slot.box, str(value), face=face)
                continue
            if text is None:
                text = written_text(field, value, writer.hand, writer.rng)
            writer.text_in(slot.page, slot.box, text)


def _flatten(record: dict[str, Any]) -> dict[str, Any]:
    """``household_members`` as ``household_members[i].<prop>`` keys, the rest unchanged."""
    flat: dict[str, Any] = {}
    for name, value in record.items():
        if name == "household_members":
            for index, member in enumerate(value):
                for prop, item in member.items():
                    flat[f"household_members[{index}].{prop}"] = item
        else:
            flat[name] = value
    return flat
