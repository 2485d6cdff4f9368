"""Filled forms made here, for the extract tests: the blank form rendered at the working
dpi, values typed into the template's zones with varied fonts, sizes and offsets, boxes
marked with an X, a tick or a fill, then the page moved, turned and degraded.

This is deliberately independent of ``samples/`` (whose placement code the engine must
never be tuned to)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from extract.reference import POINTS_PER_INCH, points_to_pixels
from extract.template import FieldSpec, FormTemplate

FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Oblique.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
]


def font(index: int, size_px: int, face: str | None = None) -> ImageFont.FreeTypeFont:
    path = face or FONTS[index % len(FONTS)]
    if not Path(path).is_file():
        path = next(p for p in FONTS if Path(p).is_file())
    return ImageFont.truetype(path, size_px)


@dataclass(frozen=True)
class Style:
    font_index: int = 0
    size_pt: float = 9.5
    dx_pt: float = 2.0  # shift of the written text from the zone's left edge
    dy_pt: float = 0.0
    mark: str = "x"  # x | tick | fill
    face: str | None = None  # a font file written in instead of FONTS[font_index]


def rule_row(blank: np.ndarray, box: tuple[int, int, int, int]) -> int | None:
    """The row of the printed rule (underline) under a zone, if there is one."""
    x0, y0, x1, y1 = box
    band = blank[max(0, y0) : y1 + 12, x0:x1] < 128
    if band.size == 0:
        return None
    fill = band.mean(axis=1)
    row = int(np.argmax(fill))
    return y0 + row if fill[row] > 0.6 else None


def type_text(
    draw: ImageDraw.ImageDraw,
    spec: FieldSpec,
    text: str,
    *,
    dpi: int,
    style: Style,
    blank: np.ndarray | None = None,
) -> None:
    """Type ``text`` with its baseline just above the zone's underline (or its bottom)."""
    assert spec.region is not None
    x0, y0, x1, y1 = points_to_pixels(spec.region, dpi)
    s = dpi / POINTS_PER_INCH
    face = font(style.font_index, int(style.size_pt * s), style.face)
    line = rule_row(blank, (x0, y0, x1, y1)) if blank is not None else None
    baseline = (line - 2 if line is not None else y1 - 2 * s) + style.dy_pt * s
    draw.text((x0 + style.dx_pt * s, baseline), text, font=face, fill=0, anchor="ls")


def type_comb(
    draw: ImageDraw.ImageDraw, spec: FieldSpec, text: str, *, dpi: int, style: Style
) -> None:
    assert spec.boxes
    s = dpi / POINTS_PER_INCH
    for ch, box in zip(text, spec.boxes, strict=False):
        x0, y0, x1, y1 = points_to_pixels(box, dpi)
        face = font(style.font_index, int(min(y1 - y0, 1.4 * (x1 - x0)) * 0.75), style.face)
        draw.text(
            ((x0 + x1) / 2, (y0 + y1) / 2 + style.dy_pt * s), ch, font=face, fill=0, anchor="mm"
        )


def mark_box(
    image: np.ndarray,
    box_pt: tuple[float, float, float, float],
    *,
    dpi: int,
    mark: str,
    rng: np.random.Generator,
) -> None:
    x0, y0, x1, y1 = points_to_pixels(box_pt, dpi)
    w, h = x1 - x0, y1 - y0
    j = lambda: int(rng.integers(-2, 3))  # noqa: E731
    thick = max(2, int(w / 9))
    if mark == "x":
        cv2.line(image, (x0 + 3 + j(), y0 + 3 + j()), (x1 - 3 + j(), y1 - 3 + j()), 0, thick)
        cv2.line(image, (x1 - 3 + j(), y0 + 3 + j()), (x0 + 3 + j(), y1 - 3 + j()), 0, thick)
    elif mark == "tick":
        a = (x0 + w // 5, y0 + h // 2)
        b = (x0 + int(w * 0.42), y1 - h // 6)
        c = (x1 + w // 6, y0 - h // 6)
        cv2.line(image, a, b, 0, thick)
        cv2.line(image, b, c, 0, thick)
    else:
        cv2.rectangle(image, (x0 + 2, y0 + 2), (x1 - 2, y1 - 2), 0, -1)


def fill_page(
    blank: np.ndarray,
    template: FormTemplate,
    page: int,
    values: Mapping[str, Any],
    *,
    dpi: int,
    style: Style = Style(),
    seed: int = 0,
) -> np.ndarray:
    """The blank page with ``values`` (field name → text, or option value(s) to mark)."""
    rng = np.random.default_rng(seed)
    pil = Image.fromarray(blank.copy())
    draw = ImageDraw.Draw(pil)
    for spec in template.fields_on_page(page):
        value = values.get(spec.name)
        if value is None or spec.options:
            continue
        if spec.region is not None:
            type_text(draw, spec, str(value), dpi=dpi, style=style, blank=blank)
        else:
            type_comb(draw, spec, str(value), dpi=dpi, style=style)
    image = np.asarray(pil).copy()
    for spec in template.fields_on_page(page):
        value = values.get(spec.name)
        if value is None or not spec.options:
            continue
        wanted = value if isinstance(value, list | tuple | set) else [value]
        for option in spec.options:
            if option.value in wanted:
                mark_box(image, option.box, dpi=dpi, mark=style.mark, rng=rng)
    return image


def move(
    image: np.ndarray,
    *,
    angle: float = 0.0,
    scale: float = 1.0,
    shift: tuple[int, int] = (0, 0),
    quarter_turns: int = 0,
) -> np.ndarray:
    """Turn by ``angle`` degrees, scale and shift (white fill), then turn by 90° steps."""
    h, w = image.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    matrix[:, 2] += shift
    out = cv2.warpAffine(image, matrix, (w, h), borderValue=255)
    return np.rot90(out, quarter_turns).copy() if quarter_turns else out


def fax(image: np.ndarray, *, seed: int = 0, standard: bool = False) -> np.ndarray:
    """Bilevel fax look: threshold, speckle, and for standard resolution half the rows."""
    rng = np.random.default_rng(seed)
    out = image
    if standard:
        h, w = out.shape
        out = cv2.resize(
            cv2.resize(out, (w, h // 2), interpolation=cv2.INTER_AREA),
            (w, h),
            interpolation=cv2.INTER_NEAREST,
        )
    out = np.where(out < 150, 0, 255).astype(np.uint8)
    out[rng.random(out.shape) < 0.002] = 0
    return out


def pale_fax(image: np.ndarray, *, seed: int = 0, strength: float = 0.5) -> np.ndarray:
    """Bilevel fax of pale print (worn toner, a light pen): ink only ``strength`` as dark
    as written, then optics blur, sensor noise and the fax's threshold, which break thin
    strokes into specks."""
    rng = np.random.default_rng(seed)
    grey = 255 - (255 - image.astype(np.float32)) * strength
    grey = cv2.GaussianBlur(grey, (0, 0), 0.5)
    grey += rng.standard_normal(grey.shape).astype(np.float32) * 14
    out = np.where(grey < 150, 0, 255).astype(np.uint8)
    out[rng.random(out.shape) < 0.0003] = 0
    return out
