"""Checkbox groups marked the way people mark them, rendered here for the checkbox tests
and for measuring (``python -m tests.extract.hand_marks``).

Independent of ``samples/`` (whose generator centres its marks within ±0.8 pt in three
styles) and of the engine: marks are drawn relative to the square as *printed* — given
here in points, measured once on the blank page or drawn by :func:`drawn_group` — never
relative to where the engine looks. Styles: X, tick, thin tick (a quarter of an X's ink),
fill (a scribble), circle around the box, slash; positions: centred, off-centre, and
spilling across the border.
"""

from __future__ import annotations

import functools
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from extract.reference import POINTS_PER_INCH
from extract.template import FieldKind, FieldSpec, Option
from tests.extract import synthetic

Box = tuple[float, float, float, float]

STYLES = ("x", "tick", "thin_tick", "fill", "circle", "slash")
POSITIONS = ("centred", "off_centre", "spilling")


@dataclass(frozen=True)
class Group:
    """A checkbox group on a page image: the page, the field as a template gives it, and
    the printed squares (points) the marks are drawn on."""

    page: np.ndarray  # grey, the blank
    spec: FieldSpec
    squares: tuple[Box, ...]
    dpi: int


def drawn_group(
    count: int,
    dpi: int,
    *,
    side_pt: float = 10.0,
    border_pt: float = 1.0,
    gap_pt: float = 40.0,
    bevel: bool = False,
    kind: FieldKind = FieldKind.CHOICE,
) -> Group:
    """``count`` printed squares in a row with a label after each, on a page fragment:
    black borders of ``border_pt``, or (``bevel``) a thin black frame with grey shading
    inside it like the CDC form's boxes."""
    s = dpi / POINTS_PER_INCH
    width_pt = 30 + count * (side_pt + gap_pt)
    page = np.full((round(60 * s), round(width_pt * s)), 255, np.uint8)
    cv2.line(page, (0, round(12 * s)), (page.shape[1] - 1, round(12 * s)), 0, max(1, round(s)))
    squares = []
    for index in range(count):
        x0, y0 = 20 + index * (side_pt + gap_pt), 24.0
        box = (x0, y0, x0 + side_pt, y0 + side_pt)
        squares.append(box)
        px = [round(v * s) for v in box]
        if bevel:  # a thin frame, shaded inside along its top and left
            shade = max(2, round(0.8 * s))
            frame = max(1, round(0.6 * s))
            cv2.rectangle(page, (px[0], px[1]), (px[0] + frame + shade, px[3]), 110, -1)
            cv2.rectangle(page, (px[0], px[1]), (px[2], px[1] + frame + shade), 110, -1)
            cv2.rectangle(page, (px[0], px[1]), (px[2], px[3]), 0, frame)
        else:
            thick = max(1, round(border_pt * s))
            cv2.rectangle(page, (px[0], px[1]), (px[2], px[3]), 0, thick)
        cv2.putText(
            page,
            f"Option {index + 1}",
            (px[2] + round(4 * s), px[3] - round(1 * s)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.32 * s / 2.78,
            0,
            max(1, round(0.5 * s)),
        )
    options = [Option(value=f"o{i + 1}", box=b) for i, b in enumerate(squares)]
    if kind is FieldKind.CHECKBOX:
        options = options[:1]
    spec = FieldSpec(name="group", page=1, kind=kind, options=options)
    return Group(page, spec, tuple(squares), dpi)


def draw_mark(
    image: np.ndarray,
    square: Box,
    *,
    dpi: int,
    style: str,
    position: str = "centred",
    rng: np.random.Generator,
) -> None:
    """Mark the printed square ``square`` (points) on ``image`` in place."""
    s = dpi / POINTS_PER_INCH
    x0, y0, x1, y1 = (v * s for v in square)
    side = min(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    size = side * float(rng.uniform(0.7, 0.9))
    if position == "off_centre":  # towards a corner, still mostly inside
        cx += side * 0.25 * float(rng.choice([-1, 1]))
        cy += side * 0.2 * float(rng.choice([-1, 1]))
    elif position == "spilling":  # half across the border, to the right and down
        cx += side * 0.45
        cy += side * 0.3
    cx += float(rng.normal(0, side * 0.03))
    cy += float(rng.normal(0, side * 0.03))
    pen = max(1, round(float(rng.uniform(1.0, 1.6)) * s))  # a ballpoint or felt pen
    h = size / 2

    def pt(u: float, v: float) -> tuple[int, int]:
        return round(cx + u * h), round(cy + v * h)

    if style == "x":
        cv2.line(image, pt(-1, -1), pt(1, 1), 0, pen, cv2.LINE_AA)
        cv2.line(image, pt(1, -1), pt(-1, 1), 0, pen, cv2.LINE_AA)
    elif style in ("tick", "thin_tick"):
        # A thin tick: a fine pen (0.7 pt) and a short stroke, about a quarter of an X's ink.
        thin = style == "thin_tick"
        scale = 0.7 if thin else 1.0
        pen = max(1, round(0.7 * s)) if thin else pen
        a, b, c = (-0.8, 0.1), (-0.25, 0.85), (1.1, -1.2)
        points = np.array([pt(u * scale, v * scale) for u, v in (a, b, c)], np.int32)
        cv2.polylines(image, [points], False, 0, pen, cv2.LINE_AA)
    elif style == "fill":  # back-and-forth strokes, the way a box is filled by hand
        rows = max(3, round(size / max(pen, 1)))
        path = []
        for i in range(rows + 1):
            v = -0.9 + 1.8 * i / rows
            path += [pt(-0.9, v), pt(0.9, v + 0.9 / rows)]
        cv2.polylines(image, [np.array(path, np.int32)], False, 0, pen + 1, cv2.LINE_AA)
    elif style == "circle":  # around the square, not in it
        radius = side * float(rng.uniform(0.78, 0.9))
        axes = (round(radius * float(rng.uniform(1.0, 1.15))), round(radius))
        start = float(rng.uniform(0, 360))
        centre = (round((x0 + x1) / 2), round((y0 + y1) / 2))
        cv2.ellipse(image, centre, axes, 0, start, start + 350, 0, pen, cv2.LINE_AA)
    elif style == "slash":
        cv2.line(image, pt(-0.9, 0.9), pt(0.9, -0.9), 0, pen, cv2.LINE_AA)
    else:
        raise ValueError(style)


def fax(image: np.ndarray, *, rng: np.random.Generator, standard: bool = False) -> np.ndarray:
    """A fax's look (:func:`tests.extract.synthetic.fax`): bilevel, specks, at standard
    resolution every other row doubled."""
    return synthetic.fax(image, seed=int(rng.integers(2**31)), standard=standard)


def scan(image: np.ndarray, *, rng: np.random.Generator) -> np.ndarray:
    """An office scan's look: grey, slightly blurred, paper noise."""
    blurred = cv2.GaussianBlur(image.astype(np.float32), (3, 3), 0.8)
    noisy = blurred * 0.92 + 12 + rng.normal(0, 6, image.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def specks(image: np.ndarray, boxes: Sequence[Box], *, dpi: int, rng: np.random.Generator) -> None:
    """Fax dirt in and around the squares: clumps of 4-12 px at 200 dpi, in place."""
    s = dpi / POINTS_PER_INCH
    for box in boxes:
        x0, y0, x1, y1 = (v * s for v in box)
        side = x1 - x0
        for _ in range(4):
            x = round(float(rng.uniform(x0 - 0.3 * side, x1 + 0.3 * side)))
            y = round(float(rng.uniform(y0 - 0.3 * side, y1 + 0.3 * side)))
            r = max(1, round(float(rng.uniform(0.4, 0.7)) * s))
            cv2.circle(image, (x, y), r, 0, -1)


def degrade(name: str) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """The ways a page reaches us: ``fax_fine`` (200 dpi), ``fax_standard`` (200 dpi with
    half the rows), ``scan`` (grey)."""
    if name == "fax_fine":
        return lambda image, rng: fax(image, rng=rng)
    if name == "fax_standard":
        return lambda image, rng: fax(image, rng=rng, standard=True)
    if name == "scan":
        return lambda image, rng: scan(image, rng=rng)
    raise ValueError(name)


def shifted(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """The page moved by a few pixels: the alignment error left after registration."""
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(image, matrix, image.shape[::-1], borderValue=255)


def ink_of(image: np.ndarray, blank: np.ndarray) -> int:
    """Pixels a mark added to a blank (for checking the renderings themselves)."""
    return int(((image < 128) & (blank >= 128)).sum())


# Printed squares of real groups, measured once on the blank pages (points).
FORM_GROUPS = {
    ("cdc_pui_2020", "sex"): None,  # the template's boxes are the printed squares
    ("cdc_pui_2020", "hospitalized"): None,
    ("mdhhs_dhs1171", "household_members[2].sex"): (
        (42.1, 70.6, 61.2, 87.8),
        (89.3, 69.8, 107.6, 87.8),
    ),
    ("mdhhs_dhs1171", "applicant_marital_status"): (
        (127.8, 395.3, 146.2, 413.3),
        (207.7, 393.8, 226.1, 412.2),
        (323.3, 395.3, 341.3, 413.3),
        (412.6, 393.5, 430.6, 411.5),
        (502.2, 393.8, 520.2, 412.2),
    ),
}


def form_group(templates: Any, form: str, name: str, *, dpi: int, cache_root: Any) -> Group:
    """A real group on its blank page rendered at ``dpi``."""
    from extract.reference import reference_pages
    from faxflow.model import FormType

    template = templates[FormType(form)]
    spec = next(f for f in template.fields if f.name == name)
    page = reference_pages(template, dpi=dpi, cache_root=cache_root)[spec.page - 1]
    squares = FORM_GROUPS[(form, name)] or tuple(o.box for o in spec.options or [])
    return Group(page.image, spec, squares, dpi)


def crop_to(group: Group, pad_pt: float = 40.0) -> Group:
    """The group's neighbourhood only (reading a whole page per case is slow)."""
    s = group.dpi / POINTS_PER_INCH
    x0 = max(0, round((min(b[0] for b in group.squares) - pad_pt) * s))
    y0 = max(0, round((min(b[1] for b in group.squares) - pad_pt) * s))
    x1 = round((max(b[2] for b in group.squares) + pad_pt) * s)
    y1 = round((max(b[3] for b in group.squares) + pad_pt) * s)
    dx, dy = x0 / s, y0 / s

    def move(box: Box) -> Box:
        return (box[0] - dx, box[1] - dy, box[2] - dx, box[3] - dy)

    options = [o.model_copy(update={"box": move(o.box)}) for o in group.spec.options or []]
    spec = group.spec.model_copy(update={"options": options})
    page = group.page[y0:y1, x0:x1].copy()
    return Group(page, spec, tuple(move(b) for b in group.squares), group.dpi)


def read_group(group: Group, image: np.ndarray) -> Any:
    """The engine's reading of ``group`` on ``image`` (same frame as the blank)."""
    from extract.checkbox import read_checkbox_field
    from extract.read import blank_masks

    masks = blank_masks(group.page)
    return read_checkbox_field(group.spec, image, group.page, dpi=group.dpi, printed=masks.printed)


LOOKS = ("fax_fine", "fax_standard", "scan_300")


def marked(
    groups: Callable[[int], Group],
    *,
    look: str,
    style: str,
    position: str,
    targets: Sequence[int],
    rng: np.random.Generator,
) -> tuple[Group, np.ndarray]:
    """A group marked in ``targets`` and sent the way ``look`` says, as the pipeline reads
    it: faxes at 200 dpi; scans made at 300 dpi and brought to 200 (``page_dpi``) like
    :func:`extract.extractor.extract_document` does. Returns the 200 dpi group and page."""
    group = groups(200)
    made = groups(300) if look == "scan_300" else group
    image = made.page.copy()
    for target in targets:
        draw_mark(
            image, made.squares[target], dpi=made.dpi, style=style, position=position, rng=rng
        )
    if look == "scan_300":
        image = cv2.resize(
            scan(image, rng=rng), group.page.shape[::-1], interpolation=cv2.INTER_AREA
        )
    else:
        image = fax(image, rng=rng, standard=look == "fax_standard")
    dx, dy = (int(v) for v in rng.integers(-1, 2, 2))
    return group, shifted(image, dx, dy)


def grid(
    groups: Sequence[tuple[str, Callable[[int], Group]]], *, seeds: int = 2, verbose: bool = False
) -> dict[str, Counter[str]]:
    """Every style × position × look on every group, one box marked: per style, how
    often the marked box was read, left unread, or another value was read."""
    outcomes: dict[str, Counter[str]] = {}
    for label, make in groups:
        for look in LOOKS:
            for style in STYLES:
                for position in POSITIONS:
                    for seed in range(seeds):
                        key = f"{label}/{look}/{style}/{position}/{seed}"
                        rng = np.random.default_rng(zlib.crc32(key.encode()))
                        count = len(make(200).squares)
                        target = int(rng.integers(count))
                        group, image = marked(
                            make,
                            look=look,
                            style=style,
                            position=position,
                            targets=[target],
                            rng=rng,
                        )
                        reading = read_group(group, image)
                        want = (group.spec.options or [])[target].value
                        if reading.value == want:
                            outcome = "right"
                        else:
                            outcome = "unread" if reading.value is None else "wrong"
                        outcomes.setdefault(style, Counter())[outcome] += 1
                        outcomes.setdefault(f"{style}/{position}", Counter())[outcome] += 1
                        outcomes.setdefault(f"look {look}", Counter())[outcome] += 1
                        if outcome != "right" and verbose:
                            print(key, target, reading.raw_text)
    return outcomes


def _main() -> None:
    import os
    from pathlib import Path

    from extract.template import load_templates
    from faxflow.settings import DEFAULT_TEMPLATES_DIR

    templates = load_templates(DEFAULT_TEMPLATES_DIR)
    cache = Path("var/cache/templates")
    groups: list[tuple[str, Callable[[int], Group]]] = []
    for count in (2, 3, 4):
        groups.append((f"drawn{count}", functools.cache(functools.partial(drawn_group, count))))
        bevelled = functools.partial(drawn_group, count, bevel=True, gap_pt=30)
        groups.append((f"bevel{count}", functools.cache(bevelled)))
    for form, name in FORM_GROUPS:

        def make(dpi: int, form: str = form, name: str = name) -> Group:
            return crop_to(form_group(templates, form, name, dpi=dpi, cache_root=cache))

        groups.append((name, functools.cache(make)))
    results = grid(groups, verbose=bool(os.environ.get("VERBOSE")))
    print(f"{'style':24} {'right':>6} {'unread':>6} {'wrong':>6}")
    for key in sorted(results):
        c = results[key]
        n = sum(c.values())
        print(f"{key:24} {c['right'] / n:6.1%} {c['unread'] / n:6.1%} {c['wrong'] / n:6.1%}  n={n}")


if __name__ == "__main__":
    _main()
