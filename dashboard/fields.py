"""Fields as people read and type them: labels, displayed values, edit text, input hints,
and the parsing of a reviewer's typed text into the record's normal form.

Everything is driven by the record schemas (``faxflow/schemas``), so a new field needs no
code here. A form pack's fields and form are labelled by its ``schema.json`` titles and its
template's title (:func:`pack_titles`, :func:`form_label`). Parsing is deliberately
forgiving about *how* a person writes a value (``3/4/2020``, ``(555) 123-4567``, ``Yes``)
and strict about *what* it is: text that is not a value of the field's kind is refused with
a message naming the rule, never the value.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine

from faxflow.errors import FaxflowError
from faxflow.model import RecordType
from faxflow.settings import Settings
from loaders.records import (
    HOUSEHOLD_MEMBERS,
    member_properties,
    parse_field_path,
    record_properties,
)
from loaders.review import InvalidCorrection
from validate.rules import field_formats

ACRONYMS = {
    "ssn": "SSN",
    "icu": "ICU",
    "ards": "ARDS",
    "ecmo": "ECMO",
    "zip": "ZIP",
    "id": "ID",
    "cdc": "CDC",
    "ncov": "nCoV",
    "nndss": "NNDSS",
    "pui": "PUI",
    "us": "US",
    "xray": "X-ray",
}
FORM_LABELS = {
    "cdc_pui_2020": "CDC 2019-nCoV PUI & case report",
    "mdhhs_dhs1171": "MDHHS DHS-1171 assistance application",
    "unknown": "Unknown form",
}
TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "x", "checked", "marked", "on"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "unchecked", "blank", "off"})
MAX_INPUT = 500

log = logging.getLogger(__name__)

_SPACE = re.compile(r"\s+")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def form_label(form_type: str | None, settings: Settings | None = None) -> str:
    """A form's name for people: the built-in forms' from ``FORM_LABELS``, a form pack's
    its template's title (with ``settings``, which say where packs are), else its name."""
    if form_type in FORM_LABELS or form_type is None:
        return FORM_LABELS[form_type or "unknown"]
    pack = form_pack(settings, form_type) if settings is not None else None
    return pack.title if pack is not None else form_type


def form_pack(settings: Settings, form_type: str) -> Any:
    """The form pack (``faxflow.packs.FormPack``) of a form that is not built in, or None.
    A pack that fails its checks gives None: the page renders with plain names, and
    ``faxflow forms check`` names the fault."""
    from faxflow.packs import pack_for

    if form_type in FORM_LABELS:
        return None
    try:
        pack = pack_for(form_type, settings)
    except FaxflowError as error:
        log.warning("form pack labels unavailable: %s", error.code.value)
        return None
    return pack if pack is not None and not pack.builtin else None


def pack_titles(settings: Settings, form_type: str | None) -> dict[str, str]:
    """Field name -> the ``title`` its form pack's schema gives it; empty for a built-in
    or unknown form (their labels come from the names, :func:`field_label`)."""
    pack = form_pack(settings, form_type) if form_type else None
    return {} if pack is None else dict(pack.field_titles())


def _words(name: str) -> str:
    words = [ACRONYMS.get(word, word) for word in name.split("_") if word]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def field_label(name: str, titles: Mapping[str, str] | None = None) -> str:
    """``date_of_birth`` → "Date of birth"; ``household_members[1].ssn`` → "Household
    member 2 · SSN"; ``applicant_ssn#2`` → "Applicant SSN (reading 2)". ``titles``: a
    form pack's field titles (:func:`pack_titles`), used before the name's words."""
    base, _, extra = name.partition("#")
    path = parse_field_path(base)
    if path.list_name is not None and path.index is not None:
        owner = (
            "Household member" if path.list_name == HOUSEHOLD_MEMBERS else _words(path.list_name)
        )
        label = f"{owner} {path.index + 1} · {_words(path.prop)}"
    elif titles and path.prop in titles:
        label = titles[path.prop]
    else:
        label = _words(path.prop)
    return f"{label} (reading {extra})" if extra else label


def property_schema(record_type: str | None, name: str) -> dict[str, Any] | None:
    """The JSON-schema property a field name addresses, or None when it is not a record
    field (an unknown form, or a name the schema does not have)."""
    if record_type is None:
        return None
    try:
        kind = RecordType(record_type)
    except ValueError:
        return None
    path = parse_field_path(name.partition("#")[0])
    if path.list_name is not None:
        if path.list_name != HOUSEHOLD_MEMBERS or kind is not RecordType.BENEFIT_APPLICATION:
            return None
        return member_properties().get(path.prop)
    prop = record_properties(kind).get(path.prop)
    return None if path.prop == HOUSEHOLD_MEMBERS else prop


def _types(prop: dict[str, Any]) -> set[str]:
    declared = prop.get("type", [])
    return ({declared} if isinstance(declared, str) else set(declared)) - {"null"}


def _enum_values(prop: dict[str, Any]) -> list[str]:
    return [v for v in prop.get("enum", []) if v is not None]


def display_value(value: Any) -> str | None:
    """A stored value as text for the page (None when blank)."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "yes (marked)" if value else "no (not marked)"
    if isinstance(value, list):
        return ", ".join(display_value(v) or "—" for v in value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def edit_text(value: Any) -> str:
    """A stored value as the text a reviewer edits (parses back to the same value)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def format_kind(record_type: str | None, name: str) -> str | None:
    """The field's format (``date``, ``phone``, ``ssn``, ``zip``, ``state``, ``email``,
    ``money``) as ``validate.rules`` reads it from the schema, or None."""
    try:
        kind = RecordType(record_type) if record_type else None
    except ValueError:
        return None
    if kind is None:
        return None
    path = parse_field_path(name.partition("#")[0])
    key = f"{path.list_name}[*].{path.prop}" if path.list_name else path.prop
    return field_formats(kind).get(key)


FORMAT_HINTS = {
    "date": "YYYY-MM-DD or MM/DD/YYYY",
    "phone": "10 digits",
    "ssn": "9 digits",
    "zip": "12345 or 12345-6789",
    "state": "two-letter state code",
    "email": "name@example.org",
    "money": "amount in dollars",
}


def input_hint(record_type: str | None, name: str) -> str:
    """What the field accepts, shown as the input's placeholder."""
    prop = property_schema(record_type, name)
    if prop is None:
        return ""
    if "enum" in prop:
        return " / ".join(_enum_values(prop)) + " (empty = blank)"
    types = _types(prop)
    if "array" in types:
        return "comma-separated: " + ", ".join(_enum_values(prop.get("items", {})))
    kind = format_kind(record_type, name)
    if kind in FORMAT_HINTS:
        return FORMAT_HINTS[kind]
    if "boolean" in types:
        return "yes / no"
    if "integer" in types:
        return "whole number"
    return "text as written"


def _refuse(name: str, rule: str) -> InvalidCorrection:
    return InvalidCorrection(f"{field_label(name)}: {rule}")


def _parse_choice(name: str, text: str, options: list[str]) -> str:
    wanted = _SPACE.sub("_", text.strip().lower()).replace("-", "_")
    if wanted in options:
        return wanted
    matches = [option for option in options if option.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    raise _refuse(name, "use one of " + ", ".join(options))


def _parse_date(name: str, text: str) -> str:
    compact = text.strip()
    iso = _ISO_DATE.match(compact)
    numeric = _NUMERIC_DATE.match(compact)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif numeric:
        month, day, year = (int(g) for g in numeric.groups())
        if year < 100:
            # Two-digit years are read as the most recent past century, never the future.
            this_year = date.today().year
            year += 2000 if 2000 + year <= this_year else 1900
    else:
        raise _refuse(name, "write the date as YYYY-MM-DD or MM/DD/YYYY")
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise _refuse(name, "that day does not exist in the calendar") from None


def _digits(name: str, text: str, count: int, what: str) -> str:
    digits = re.sub(r"[\s().\-+/]", "", text)
    if count == 10 and len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if not digits.isdigit() or len(digits) != count:
        raise _refuse(name, f"{what} has {count} digits")
    return digits


def _parse_money(name: str, text: str) -> float:
    amount = text.replace("$", "").replace(",", "").replace(" ", "")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", amount):
        raise _refuse(name, "an amount in dollars, such as 1250.00")
    return float(amount)


def _parse_zip(name: str, text: str) -> str:
    digits = re.sub(r"[\s\-]", "", text)
    if digits.isdigit() and len(digits) in (5, 9):
        return digits if len(digits) == 5 else f"{digits[:5]}-{digits[5:]}"
    raise _refuse(name, "a ZIP code is 12345 or 12345-6789")


def _parse_state(name: str, text: str) -> str:
    code = text.replace(".", "").upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise _refuse(name, "a two-letter state code such as MI")
    return code


FORMAT_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "date": _parse_date,
    "phone": lambda name, text: _digits(name, text, 10, "a phone number"),
    "ssn": lambda name, text: _digits(name, text, 9, "an SSN"),
    "zip": _parse_zip,
    "state": _parse_state,
    "email": lambda _name, text: text.replace(" ", "").lower(),
    "money": _parse_money,
}
"""Reviewer text → normal form, per format kind (the kinds of ``validate.rules``)."""


def parse_input(record_type: str | None, name: str, text: str) -> Any:
    """The normal-form value of a reviewer's typed ``text`` for field ``name``; empty text
    clears the field (None). Raises :class:`loaders.review.InvalidCorrection` (a coded
    :class:`~faxflow.errors.FaxflowError`) when the text is not a value of that field."""
    if len(text) > MAX_INPUT:
        raise _refuse(name, f"at most {MAX_INPUT} characters")
    prop = property_schema(record_type, name)
    if prop is None:
        raise InvalidCorrection(f"{name!r} is not a field of this record")
    stripped = _SPACE.sub(" ", text).strip()
    types = _types(prop)
    if not stripped:
        return [] if types == {"array"} else None
    if "enum" in prop:
        return _parse_choice(name, stripped, _enum_values(prop))
    if "array" in types:
        options = _enum_values(prop.get("items", {}))
        parts = [p for p in re.split(r"[,;]\s*|\s+", stripped) if p]
        return sorted({_parse_choice(name, part, options) for part in parts})
    if "boolean" in types:
        word = stripped.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise _refuse(name, "answer yes (marked) or no (not marked)")
    if "integer" in types:
        if not re.fullmatch(r"\d{1,9}", stripped):
            raise _refuse(name, "a whole number")
        return int(stripped)
    parser = FORMAT_PARSERS.get(format_kind(record_type, name) or "")
    return parser(name, stripped) if parser is not None else stripped


def correct_from_text(
    engine: Engine,
    document_id: str,
    name: str,
    text: str,
    *,
    reviewer: str,
    settings: Settings | None = None,
) -> None:
    """A reviewer's typed correction of one field: parsed by :func:`parse_input`, stored by
    :func:`loaders.review.apply_correction`; raises ``InvalidCorrection`` when refused."""
    from loaders.review import apply_correction, get_document

    record_type = get_document(engine, document_id).record_type
    value = parse_input(record_type, name, text)
    apply_correction(engine, document_id, name, value, reviewer=reviewer, settings=settings)


def answer_blind(
    engine: Engine,
    document_id: str,
    name: str,
    text: str,
    *,
    reviewer: str,
    settings: Settings | None = None,
) -> str:
    """A blind QA answer for one field: the machine's value confirmed when the typed one
    equals it, else corrected. Returns the decision (``confirmed`` or ``corrected``)."""
    from loaders.review import apply_correction, confirm_field, get_document

    doc = get_document(engine, document_id)
    value = parse_input(doc.record_type, name, text)
    current = doc.field(name)
    if current is None or current.sensitive:
        raise InvalidCorrection(f"field {name!r} is not part of blind QA")
    if value == current.machine_value:
        confirm_field(engine, document_id, name, reviewer=reviewer)
        return "confirmed"
    apply_correction(engine, document_id, name, value, reviewer=reviewer, settings=settings)
    return "corrected"
