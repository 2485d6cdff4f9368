"""A small fillable PDF made by the tests themselves (pypdf only): printed labels and
squares, a text widget, comb cells, a single checkbox, a radio group (with a tooltip) and a
yes/no pair of box cells, so that drafting a pack is tested on every widget kind without a
shared file."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

PAGE = (612.0, 792.0)


def _stream(writer: PdfWriter, data: bytes, **extra: object) -> object:
    stream = DecodedStreamObject()
    stream.set_data(data)
    for key, value in extra.items():
        stream[NameObject(key)] = value
    return writer._add_object(stream)


def _rect(x0: float, top: float, x1: float, bottom: float) -> ArrayObject:
    """PDF rectangle from top-left coordinates."""
    return ArrayObject(
        [
            FloatObject(x0),
            FloatObject(PAGE[1] - bottom),
            FloatObject(x1),
            FloatObject(PAGE[1] - top),
        ]
    )


def make_fillable_pdf(path: Path) -> Path:
    writer = PdfWriter()
    page = writer.add_blank_page(*PAGE)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    font_ref = writer._add_object(font)
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})}
    )
    lines = [
        (72, 100, "Household Support Request", 16),
        (72, 160, "Full name of the person asking", 10),
        (72, 210, "ZIP code", 10),
        (72, 260, "Owns a car", 10),
        (72, 310, "Marital status:   Married        Single", 10),
        (72, 360, "Has a job?     Y   N", 10),
        (72, 420, "Signature ____________________________", 10),
    ]
    text = b"".join(
        b"BT /F1 %d Tf %.1f %.1f Td (%s) Tj ET\n" % (size, x, PAGE[1] - y, s.encode())
        for x, y, s, size in lines
    )
    squares = [(160, 250), (180, 300), (262, 300)]
    boxes = b"".join(b"%.1f %.1f 12 12 re S\n" % (x, PAGE[1] - y - 2) for x, y in squares)
    cells = b"".join(b"%.1f %.1f 16 18 re S\n" % (200 + 16 * i, PAGE[1] - 214) for i in range(5))
    content = _stream(writer, text + b"0.8 w\n" + boxes + cells)
    page[NameObject("/Contents")] = content

    fields = ArrayObject()
    annots = ArrayObject()

    def widget(name: str | None, rect: ArrayObject, ft: str | None, **extra: object):
        annot = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Widget"),
                NameObject("/Rect"): rect,
                NameObject("/F"): NumberObject(4),
                NameObject("/P"): page.indirect_reference,
            }
        )
        if name is not None:
            annot[NameObject("/T")] = TextStringObject(name)
        if ft is not None:
            annot[NameObject("/FT")] = NameObject(ft)
        for key, value in extra.items():
            annot[NameObject(key)] = value
        ref = writer._add_object(annot)
        annots.append(ref)
        return annot, ref

    def text_field(name: str, rect: ArrayObject) -> None:
        _, ref = widget(name, rect, "/Tx", **{"/DA": TextStringObject("/Helv 0 Tf 0 g")})
        fields.append(ref)

    def appearance(on: str) -> DictionaryObject:
        mark = _stream(
            writer,
            b"q 0 g BT /ZaDb 10 Tf 2 2 Td (4) Tj ET Q",
            **{
                "/BBox": ArrayObject(
                    [FloatObject(0), FloatObject(0), FloatObject(12), FloatObject(12)]
                )
            },
        )
        off = _stream(
            writer,
            b"",
            **{
                "/BBox": ArrayObject(
                    [FloatObject(0), FloatObject(0), FloatObject(12), FloatObject(12)]
                )
            },
        )
        return DictionaryObject(
            {
                NameObject("/N"): DictionaryObject(
                    {NameObject(f"/{on}"): mark, NameObject("/Off"): off}
                )
            }
        )

    text_field("Full Name (Applicant)", _rect(250, 148, 520, 166))
    for i in range(5):
        text_field(f"zip_{i}", _rect(200 + 16 * i, 196, 216 + 16 * i, 214))
    _, ref = widget(
        "Owns Car",
        _rect(160, 248, 172, 260),
        "/Btn",
        **{"/AP": appearance("Yes"), "/AS": NameObject("/Off")},
    )
    fields.append(ref)
    radio = DictionaryObject(
        {
            NameObject("/FT"): NameObject("/Btn"),
            NameObject("/T"): TextStringObject("marital"),
            # the group's tooltip, on the group, not on its buttons: the drafted title
            NameObject("/TU"): TextStringObject("婚姻状況"),
            NameObject("/Ff"): NumberObject(49152),
            NameObject("/Kids"): ArrayObject(),
        }
    )
    radio_ref = writer._add_object(radio)
    for export, x in (("Married", 180), ("Single", 262)):
        _, kid = widget(
            None,
            _rect(x, 298, x + 12, 310),
            None,
            **{"/AP": appearance(export), "/AS": NameObject("/Off"), "/Parent": radio_ref},
        )
        radio["/Kids"].append(kid)
    fields.append(radio_ref)
    text_field("has_job_yes", _rect(146, 350, 160, 364))
    text_field("has_job_no", _rect(160, 350, 174, 364))
    page[NameObject("/Annots")] = annots
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): fields})
    with path.open("wb") as handle:
        writer.write(handle)
    return path


FORMAT_WIDGETS: tuple[tuple[str, str, str | None, int | None], ...] = (
    # (printed label, widget name, tooltip, /MaxLen)
    ("Name of the person asking", "applicant_name", None, None),
    ("Date of birth", "date_of_birth", None, None),
    ("Home phone", "field_3", "Home phone number", None),
    ("Monthly rent", "monthly_rent", None, None),
    ("State", "mailing_state", None, None),
    ("E-mail address", "E-mail", None, None),
    ("SSN, last four digits", "ssn", None, 4),
    ("Phone type (home, cell)", "phone_type", None, None),
    ("Payment date", "payment_date", "Payment amount", None),
)
"""The text widgets of :func:`make_formats_pdf`: names and tooltips that name a format
clearly, and some that must not get one (a /MaxLen too short for an SSN, a veto word, a
name and a tooltip naming two formats)."""


def make_formats_pdf(path: Path) -> Path:
    """A one-page fillable PDF of labelled text widgets (:data:`FORMAT_WIDGETS`), one a
    line, for drafting formats from widget names and tooltips."""
    writer = PdfWriter()
    page = writer.add_blank_page(*PAGE)
    font_ref = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})}
    )
    lines = [(72, 90, "Rental Assistance Contact Sheet", 16)]
    lines += [(72, 150 + 50 * i, label, 10) for i, (label, *_) in enumerate(FORMAT_WIDGETS)]
    text = b"".join(
        b"BT /F1 %d Tf %.1f %.1f Td (%s) Tj ET\n" % (size, x, PAGE[1] - y, s.encode())
        for x, y, s, size in lines
    )
    # a line under each widget, as a printed form has
    rules = b"".join(
        b"260 %.1f m 520 %.1f l S\n" % (PAGE[1] - 154 - 50 * i, PAGE[1] - 154 - 50 * i)
        for i in range(len(FORMAT_WIDGETS))
    )
    page[NameObject("/Contents")] = _stream(writer, text + b"0.8 w\n" + rules)
    fields, annots = ArrayObject(), ArrayObject()
    for i, (_, name, tooltip, max_len) in enumerate(FORMAT_WIDGETS):
        annot = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Widget"),
                NameObject("/Rect"): _rect(262, 134 + 50 * i, 520, 153 + 50 * i),
                NameObject("/F"): NumberObject(4),
                NameObject("/P"): page.indirect_reference,
                NameObject("/T"): TextStringObject(name),
                NameObject("/FT"): NameObject("/Tx"),
                NameObject("/DA"): TextStringObject("/Helv 0 Tf 0 g"),
            }
        )
        if tooltip is not None:
            annot[NameObject("/TU")] = TextStringObject(tooltip)
        if max_len is not None:
            annot[NameObject("/MaxLen")] = NumberObject(max_len)
        ref = writer._add_object(annot)
        annots.append(ref)
        fields.append(ref)
    page[NameObject("/Annots")] = annots
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): fields})
    with path.open("wb") as handle:
        writer.write(handle)
    return path
