"""Page images for roles that may not read SSNs: every SSN zone blacked out on the server.

The dashboard masks SSN fields; a page image would show them in clear beside the mask.
So a user without :attr:`dashboard.auth.Permission.REVEAL` gets a copy of the stored image
with black boxes over

- every zone the form's template gives a sensitive field (:func:`loaders.records.is_sensitive`:
  ``applicant_ssn``, ``household_members[i].ssn``…), on the template page the image shows
  (stored page images are warped into their template page's frame, so template points
  scale straight to pixels), and
- every box where extraction actually found a sensitive value (the ``fields`` rows), in
  case a value was written beside its zone.

The redaction is made in memory for each response; the stored original stays as it is
(an admin's reveal shows it whole). It fails closed: a form page whose template cannot be
loaded is not served at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from faxflow.errors import TemplateError

PAD_POINTS = 4.0  # ink overflowing a comb box, and alignment error, stay covered
PAD_PIXELS = 6

Zone = tuple[float, float, float, float]


@lru_cache(maxsize=4)
def sensitive_zones(templates_dir: Path) -> dict[tuple[str, int], tuple[Zone, ...]]:
    """(form type, template page) → the zones of its sensitive fields, in template points
    scaled to the unit square (x / page width, y / page height), padded."""
    from extract.template import load_templates
    from loaders.records import is_sensitive

    zones: dict[tuple[str, int], list[Zone]] = {}
    for form, template in load_templates(templates_dir).items():
        width, height = template.page_size
        for spec in template.fields:
            if not is_sensitive(spec.name):
                continue
            boxes = [*(spec.boxes or []), *([spec.region] if spec.region else [])]
            if not boxes:
                continue
            x0 = min(b[0] for b in boxes) - PAD_POINTS
            y0 = min(b[1] for b in boxes) - PAD_POINTS
            x1 = max(b[2] for b in boxes) + PAD_POINTS
            y1 = max(b[3] for b in boxes) + PAD_POINTS
            zone = (x0 / width, y0 / height, x1 / width, y1 / height)
            zones.setdefault((str(form), spec.page), []).append(zone)
    return {key: tuple(value) for key, value in zones.items()}


def zones_for_page(
    templates_dir: Path, form_type: str | None, template_page: int | None
) -> tuple[Zone, ...]:
    """The unit-square SSN zones of one template page; none for pages of no known form.
    Raises :class:`TemplateError` when the templates cannot be loaded."""
    if not form_type or template_page is None:
        return ()
    return sensitive_zones(templates_dir).get((form_type, template_page), ())


class Redaction(NamedTuple):
    """What to black out of one page image: template zones (unit square) and pixel boxes
    where sensitive values were read."""

    zones: tuple[Zone, ...]
    pixel_boxes: tuple[tuple[int, int, int, int], ...]


def redacted_image(path: Path, redaction: Redaction) -> np.ndarray:
    """The image at ``path`` with the redaction's zones and boxes filled black."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise TemplateError("a stored page image cannot be decoded for redaction")
    height, width = image.shape[:2]
    black = 0 if image.ndim == 2 else (0,) * image.shape[2]
    rectangles = [
        (int(x0 * width), int(y0 * height), int(np.ceil(x1 * width)), int(np.ceil(y1 * height)))
        for x0, y0, x1, y1 in redaction.zones
    ]
    rectangles += [
        (x0 - PAD_PIXELS, y0 - PAD_PIXELS, x1 + PAD_PIXELS, y1 + PAD_PIXELS)
        for x0, y0, x1, y1 in redaction.pixel_boxes
    ]
    for x0, y0, x1, y1 in rectangles:
        image[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = black
    return image


def png_bytes(image: np.ndarray) -> bytes:
    encoded, png = cv2.imencode(".png", image)
    if not encoded:
        raise TemplateError("a redacted page image cannot be encoded")
    return bytes(png.tobytes())


def redacted_png(
    path: Path,
    *,
    zones: Iterable[Zone],
    pixel_boxes: Iterable[tuple[int, int, int, int]],
) -> bytes:
    """The image at ``path`` as PNG with ``zones`` (unit square) and ``pixel_boxes``
    filled black."""
    return png_bytes(redacted_image(path, Redaction(tuple(zones), tuple(pixel_boxes))))
