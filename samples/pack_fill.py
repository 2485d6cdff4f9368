"""Filled and faxed copies of any form pack's blank, for tests and accuracy runs.

Values are drawn from the pack's schema (booleans, enum values, text whose kind of words
follows the property's name: a person's name for ``…name…``, a state code for
``…state…``, an amount for ``…amount…``, else a word or two) and written into the
blank's own widgets, through ``labels.yaml`` (which widget holds which field), by pypdf,
which also draws each filled widget's appearance; poppler renders the page (as it renders
the blanks, ``samples/render.py``) and :func:`samples.degrade.degrade_page` makes it a
fax.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from faker import Faker

from faxflow.packs import LABELS_FILE, FormPack
from samples.degrade import degrade_page, write_document

TYPED_POINTS = 10.0
"""Type size of filled text: a form filler's usual fixed size (a size of 0, "auto", makes
pypdf fill the field's height, larger than any viewer types, and cut off at its edge)."""
FILL_SHARE = 0.75
"""Share of fields given a value; the rest stay blank, as on real forms."""


def draw_record(pack: FormPack, rng: np.random.Generator) -> dict[str, Any]:
    """A record of the pack's schema with values drawn from each property's type."""
    faker = Faker("en_US")
    faker.seed_instance(int(rng.integers(2**31)))
    record: dict[str, Any] = {}
    for name, prop in pack.schema["properties"].items():
        declared = prop.get("type", [])
        types = {declared} if isinstance(declared, str) else set(declared)
        if "boolean" in types:
            record[name] = bool(rng.random() < 0.4)
            continue
        if rng.random() >= FILL_SHARE:
            record[name] = None
            continue
        if "enum" in prop:
            record[name] = rng.choice([v for v in prop["enum"] if v is not None]).item()
        elif "name" in name:
            record[name] = f"{faker.first_name()} {faker.last_name()}"
        elif "state" in name:
            record[name] = faker.state_abbr(include_territories=False)
        elif "amount" in name:
            record[name] = f"{rng.integers(20, 2000)}.{rng.integers(0, 100):02d}"
        else:
            words = [faker.word().capitalize() for _ in range(int(rng.integers(1, 3)))]
            record[name] = " ".join(words)
    return record


def widget_values(pack: FormPack, record: dict[str, Any]) -> dict[str, Any]:
    """Widget name -> the value a PDF form filler sets, from ``labels.yaml``."""
    from extract.from_pdf import load_label_map

    labels = load_label_map(pack.folder / LABELS_FILE)
    values: dict[str, Any] = {}
    for name, source in labels.fields.items():
        value = record.get(name)
        if value is None or value is False:
            continue
        if source.options:
            for option in source.options:
                if option.value == value and option.widget:
                    # a radio group takes its export value; a box cell gets an X
                    values[option.widget] = (
                        f"/{option.export}" if option.export else ("X", "", TYPED_POINTS)
                    )
        elif value is True and source.widget:
            values[source.widget] = "/Yes"
        elif source.widget:
            values[source.widget] = (str(value), "", TYPED_POINTS)
    return values


def filled_pdf(pack: FormPack, record: dict[str, Any]) -> bytes:
    """The pack's blank with the record written into its widgets."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(pack.template.pdf_path))
    values = widget_values(pack, record)
    for page in writer.pages:
        # pypdf draws the appearances itself: a viewer told to redraw them (NeedAppearances)
        # would drop the printed squares that the blank's button appearances carry.
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_pages(pdf: bytes, dpi: int) -> list[np.ndarray]:
    """Each page of a filled PDF as grey pixels, widgets drawn from their appearances."""
    from pdf2image import convert_from_bytes

    pages = convert_from_bytes(pdf, dpi=dpi, grayscale=True, timeout=120)
    return [np.asarray(page.convert("L"), dtype=np.uint8) for page in pages]


def faxed_copy(
    pack: FormPack,
    record: dict[str, Any],
    path: Path,
    *,
    profile: str,
    rng: np.random.Generator,
    dpi: int = 300,
) -> Path:
    """Write a filled copy of the pack's form, degraded as ``profile``, to ``path``."""
    pages = [
        degrade_page(image, profile=profile, dpi=dpi, rng=rng)
        for image in render_pages(filled_pdf(pack, record), dpi)
    ]
    return write_document(pages, profile, path)
