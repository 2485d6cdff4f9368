"""Filled and faxed copies of any form pack's blank, for tests and accuracy runs.

Values are drawn from the pack's schema: booleans, enum values, values of the field's
format (``date``, ``phone``, ``ssn``, ``zip``, ``state``, ``email``, ``money``: the format
validation reads, from the schema's ``format`` or pattern and ``rules.yaml``'s
``formats``), integers and numbers within the schema's bounds, else text whose kind of
words follows the property's name (a person's name for ``…name…``, a state code for
``…state…``, an amount for ``…amount…``, else a word or two). The record holds each
value in its normal form (``2020-03-04``, ``5551234567``); the form shows it as a person
writes it (``03/04/2020``, ``(555) 123-4567``). Values are written into the
blank's own widgets, through ``labels.yaml`` (which widget holds which field), by pypdf,
which also draws each filled widget's appearance; poppler renders the page (as it renders
the blanks, ``samples/render.py``) and :func:`samples.degrade.degrade_page` makes it a
fax.

A Japanese pack (:func:`samples.pack_jp.is_japanese`) is filled by :mod:`samples.pack_jp`
instead: values from Faker ``ja_JP``, drawn onto the rendered blank in the split's Japanese
faces (pypdf's widget appearances cannot draw CJK text).
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from faker import Faker

from faxflow.packs import LABELS_FILE, FormPack, PackRules
from samples.degrade import degrade_page, write_document
from validate.declared import declared_formats

TYPED_POINTS = 10.0
"""Type size of filled text: a form filler's usual fixed size (a size of 0, "auto", makes
pypdf fill the field's height, larger than any viewer types, and cut off at its edge)."""
DIGIT_FORMATS = frozenset({"phone", "ssn", "zip"})
"""Formats a comb holds as digits alone, one a cell."""
FILL_SHARE = 0.75
"""Share of fields given a value; the rest stay blank, as on real forms."""


def field_formats(pack: FormPack) -> dict[str, str]:
    """Field -> format kind, as validation reads it (``validate.declared``)."""
    return declared_formats(pack.rules or PackRules(), pack.schema)


def _types(prop: dict[str, Any]) -> set[str]:
    declared = prop.get("type", [])
    return ({declared} if isinstance(declared, str) else set(declared)) - {"null"}


def _formatted(
    kind: str, name: str, prop: dict[str, Any], faker: Faker, rng: np.random.Generator
) -> Any:
    """A value of format ``kind`` in the record's normal form (``validate.rules``)."""
    if kind == "date":
        # in the past (a future date is an issue); a birth date decades back
        back = (365 * 18, 365 * 80) if "birth" in name else (1, 365 * 3)
        return (date.today() - timedelta(days=int(rng.integers(*back)))).isoformat()
    if kind == "phone":
        return f"{rng.integers(2, 10)}{rng.integers(0, 10**9):09d}"
    if kind == "ssn":
        return str(faker.ssn()).replace("-", "")  # Faker avoids never-issued areas
    if kind == "zip":
        return f"{rng.integers(48001, 49972):05d}"  # Michigan's range
    if kind == "state":
        return faker.state_abbr(include_territories=False)
    if kind == "email":
        return str(faker.email()).lower()
    if kind == "integer":
        return _number(prop, rng, low=0, high=12, cents=False)  # a count of people
    amount = _number(prop, rng, low=20, high=2000, cents=True)  # money
    if "integer" in _types(prop):
        return int(amount)
    return amount if "number" in _types(prop) else f"{amount:.2f}"


def _number(
    prop: dict[str, Any], rng: np.random.Generator, *, low: int, high: int, cents: bool
) -> Any:
    """A number inside the property's ``minimum`` / ``maximum`` (else ``low``-``high``)."""
    low = int(np.ceil(prop.get("minimum", low)))
    high = max(low, int(np.floor(prop.get("maximum", high))))
    whole = int(rng.integers(low, high + 1))
    if not cents or whole == high:
        return whole if not cents else float(whole)
    return round(whole + int(rng.integers(0, 100)) / 100, 2)


def draw_record(pack: FormPack, rng: np.random.Generator) -> dict[str, Any]:
    """A record of the pack's schema with values drawn from each property's type and
    format (module docstring)."""
    from samples.pack_jp import draw_japanese_record, is_japanese

    if is_japanese(pack):
        return draw_japanese_record(pack, rng)
    faker = Faker("en_US")
    faker.seed_instance(int(rng.integers(2**31)))
    formats = field_formats(pack)
    combs = {spec.name: len(spec.boxes) for spec in pack.template.fields if spec.boxes}
    record: dict[str, Any] = {}
    for name, prop in pack.schema["properties"].items():
        types = _types(prop)
        if "boolean" in types:
            record[name] = bool(rng.random() < 0.4)
            continue
        if rng.random() >= FILL_SHARE:
            record[name] = None
            continue
        if "enum" in prop:
            record[name] = rng.choice([v for v in prop["enum"] if v is not None]).item()
        elif name in formats:
            record[name] = _formatted(formats[name], name, prop, faker, rng)
        elif "integer" in types:
            record[name] = _number(prop, rng, low=0, high=20, cents=False)
        elif "number" in types:
            record[name] = _number(prop, rng, low=0, high=1000, cents=True)
        elif "name" in name:
            record[name] = f"{faker.first_name()} {faker.last_name()}"
        elif "state" in name:
            record[name] = faker.state_abbr(include_territories=False)
        elif "amount" in name:
            record[name] = f"{rng.integers(20, 2000)}.{rng.integers(0, 100):02d}"
        else:
            words = [faker.word().capitalize() for _ in range(int(rng.integers(1, 3)))]
            record[name] = " ".join(words)
        if isinstance(record[name], str) and "maxLength" in prop:
            record[name] = record[name][: prop["maxLength"]].strip()
        if isinstance(record[name], str) and name in combs and name not in formats:
            # a comb shows one character a cell and nothing past its last cell: free
            # text is drawn to fit, so the truth holds what the copy shows
            record[name] = record[name][: combs[name]].strip()
    return record


def written(kind: str | None, value: Any) -> str:
    """A record value as a person writes it on the form: ``03/04/2020`` for a date,
    ``(555) 123-4567``, ``123-45-6789``, ``1,250.50``; else as it is."""
    from samples.render import written_date

    if kind == "date" and isinstance(value, str):
        return written_date(date.fromisoformat(value), "mm/dd/yyyy")
    if kind == "phone" and isinstance(value, str) and len(value) == 10:
        return f"({value[:3]}) {value[3:6]}-{value[6:]}"
    if kind == "ssn" and isinstance(value, str) and len(value) == 9:
        return f"{value[:3]}-{value[3:5]}-{value[5:]}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def widget_values(pack: FormPack, record: dict[str, Any]) -> dict[str, Any]:
    """Widget name -> the value a PDF form filler sets, from ``labels.yaml``."""
    from extract.from_pdf import load_label_map

    labels = load_label_map(pack.folder / LABELS_FILE)
    formats = field_formats(pack)
    combs = {spec.name: len(spec.boxes) for spec in pack.template.fields if spec.boxes}
    values: dict[str, Any] = {}
    for name, source in labels.fields.items():
        value = record.get(name)
        if value is None or value is False:
            continue
        if name in combs and source.widget:
            # comb cells <stem>_0 … <stem>_N take a character each, without separators
            # for the number formats or where they do not fit (a phone's 10 cells hold no
            # brackets or dashes, a date's 8 no slashes)
            text = written(formats.get(name), value)
            if formats.get(name) in DIGIT_FORMATS or len(text) > combs[name]:
                text = "".join(c for c in text if c.isalnum())
            for index, char in enumerate(text[: combs[name]]):
                values[f"{source.widget}_{index}"] = (char, "", TYPED_POINTS)
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
            values[source.widget] = (written(formats.get(name), value), "", TYPED_POINTS)
    return values


def filled_pdf(pack: FormPack, record: dict[str, Any]) -> bytes:
    """The pack's blank with the record written into its widgets."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(pack.template.pdf_path))
    values = widget_values(pack, record)
    for page in writer.pages:
        if "/Annots" not in page:
            continue  # a page without widgets (pypdf would warn "No fields to update")
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


def filled_pages(
    pack: FormPack, record: dict[str, Any], *, dpi: int, rng: np.random.Generator, split: str
) -> tuple[list[np.ndarray], dict[str, Any] | None]:
    """The pack's pages at ``dpi`` with ``record`` written on them, and how they were
    written for the truth file: None for a pack typed into its widgets; a Japanese pack's
    hand (drawn from ``split``, the tune split's for the classic generator)."""
    from samples.pack_jp import is_japanese, japanese_pages
    from samples.splits import CLASSIC, draw_japanese_hand, get_split

    if not is_japanese(pack):
        return render_pages(filled_pdf(pack, record), dpi), None
    hand = draw_japanese_hand(get_split("tune" if split == CLASSIC else split), rng)
    return japanese_pages(pack, record, dpi=dpi, hand=hand, rng=rng), hand.as_truth()


def faxed_copy(
    pack: FormPack,
    record: dict[str, Any],
    path: Path,
    *,
    profile: str,
    rng: np.random.Generator,
    dpi: int = 300,
    split: str = "tune",
) -> Path:
    """Write a filled copy of the pack's form, degraded as ``profile``, to ``path`` (a
    Japanese pack's in a hand of ``split``)."""
    pages = [
        degrade_page(image, profile=profile, dpi=dpi, rng=rng)
        for image in filled_pages(pack, record, dpi=dpi, rng=rng, split=split)[0]
    ]
    return write_document(pages, profile, path)
