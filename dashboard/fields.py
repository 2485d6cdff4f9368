"""Fields as people read and type them: labels, displayed values, edit text, input hints,
and the parsing of a reviewer's typed text into the record's normal form.

Everything is driven by the record schemas (``faxflow/schemas``, a form pack's
``schema.json``), so a new field or form needs no code here. A form pack's fields and form
are labelled by its ``schema.json`` titles and its template's title (:func:`pack_titles`,
:func:`form_label`); its fields are parsed by their property's type, enum and format (the
format its ``rules.yaml`` gives wins, as in validation). Parsing is deliberately
forgiving about *how* a person writes a value (``3/4/2020``, ``(555) 123-4567``, ``Yes``)
and strict about *what* it is: text that is not a value of the field's kind is refused with
a message naming the rule, never the value.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine

from faxflow.errors import FaxflowError
from faxflow.model import RecordType
from faxflow.packs import choice_titles
from faxflow.settings import Settings, get_settings
from loaders.records import (
    HOUSEHOLD_MEMBERS,
    member_properties,
    parse_field_path,
    record_properties,
)
from loaders.review import InvalidCorrection
from validate.declared import declared_formats
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
    return {} if pack is None else _schema_titles(pack)


def _schema_titles(pack: Any) -> dict[str, str]:
    """The titles the pack's schema gives (a property without one is labelled from its
    name's words by :func:`field_label`, not shown as ``snake_case``)."""
    properties = pack.schema["properties"].items()
    return {name: str(prop["title"]) for name, prop in properties if prop.get("title")}


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


def record_pack(record_type: str | None, settings: Settings | None = None) -> Any:
    """The form pack whose records are of ``record_type`` (a pack's record type is its
    name), or None for a built-in record type, an unknown form, or a pack that fails its
    checks. ``settings`` say where packs are (None: the environment's)."""
    if record_type is None or record_type in set(RecordType):
        return None
    return form_pack(settings or get_settings(), record_type)


def _pack_property(pack: Any, name: str) -> dict[str, Any] | None:
    path = parse_field_path(name.partition("#")[0])
    if path.list_name is not None:
        return None  # a pack's properties are flat
    prop = pack.schema["properties"].get(path.prop)
    return dict(prop) if isinstance(prop, dict) else None


def property_schema(
    record_type: str | None, name: str, settings: Settings | None = None
) -> dict[str, Any] | None:
    """The JSON-schema property a field name addresses, or None when it is not a record
    field (an unknown form, or a name the schema does not have). A form pack's come from
    its ``schema.json``, found through ``settings``."""
    if record_type is None:
        return None
    try:
        kind = RecordType(record_type)
    except ValueError:
        pack = record_pack(record_type, settings)
        return None if pack is None else _pack_property(pack, name)
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


def display_value(value: Any, titles: Mapping[str, str] | None = None) -> str | None:
    """A stored value as text for the page (None when blank); a choice by its title when
    the schema gives one (``titles``: :func:`faxflow.packs.choice_titles`)."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "yes (marked)" if value else "no (not marked)"
    if isinstance(value, list):
        return ", ".join(display_value(v, titles) or "—" for v in value)
    if titles and isinstance(value, str) and value in titles:
        return titles[value]
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


def format_kind(record_type: str | None, name: str, settings: Settings | None = None) -> str | None:
    """The field's format (``date``, ``phone``, ``ssn``, ``zip``, ``state``, ``email``,
    ``money``, the Japanese ``jp_postal`` …) as validation reads it: from the schema
    (``validate.rules``), and for a form pack its ``rules.yaml``'s ``formats`` first
    (``validate.declared``); or None."""
    try:
        kind = RecordType(record_type) if record_type else None
    except ValueError:
        pack = record_pack(record_type, settings)
        if pack is None:
            return None
        from faxflow.packs import PackRules

        formats = declared_formats(pack.rules or PackRules(), pack.schema)
        return formats.get(parse_field_path(name.partition("#")[0]).prop)
    if kind is None:
        return None
    path = parse_field_path(name.partition("#")[0])
    key = f"{path.list_name}[*].{path.prop}" if path.list_name else path.prop
    return field_formats(kind).get(key)


FORMAT_HINTS = {
    "date": "YYYY-MM-DD, MM/DD/YYYY or 令和3年4月5日",
    "phone": "10 digits",
    "ssn": "9 digits",
    "zip": "12345 or 12345-6789",
    "state": "two-letter state code",
    "email": "name@example.org",
    "money": "amount in dollars",
    "jp_postal": "123-4567",
    "jp_phone": "03-1234-5678",
    "katakana": "カタカナ",
    "prefecture": "東京都",
    "bank_account": "7 digits",
    "my_number": "12 digits",
}


def input_hint(record_type: str | None, name: str, settings: Settings | None = None) -> str:
    """What the field accepts, shown as the input's placeholder."""
    prop = property_schema(record_type, name, settings)
    if prop is None:
        return ""
    titles = choice_titles(prop)
    if "enum" in prop:
        return " / ".join(_titled(_enum_values(prop), titles)) + " (empty = blank)"
    types = _types(prop)
    if "array" in types:
        items = _enum_values(prop.get("items", {}))
        return "comma-separated: " + ", ".join(_titled(items, titles))
    kind = format_kind(record_type, name, settings)
    if kind in FORMAT_HINTS:
        return FORMAT_HINTS[kind] + (_bounds_hint(prop) if types & {"integer", "number"} else "")
    if "boolean" in types:
        return "yes / no"
    if "integer" in types:
        return "whole number" + _bounds_hint(prop)
    if "number" in types:
        return "number" + _bounds_hint(prop)
    return "text as written"


def _bounds_hint(prop: dict[str, Any]) -> str:
    low, high = prop.get("minimum"), prop.get("maximum")
    if low is not None and high is not None:
        return f", {low:g} to {high:g}"
    if low is not None:
        return f", at least {low:g}"
    return "" if high is None else f", at most {high:g}"


def _refuse(label: str, rule: str) -> InvalidCorrection:
    """``label``: the field as people read it (:func:`field_label`), never its value."""
    return InvalidCorrection(f"{label}: {rule}")


def _titled(values: list[str], titles: Mapping[str, str]) -> list[str]:
    return [titles.get(value, value) for value in values]


def _parse_choice(
    label: str, text: str, options: list[str], titles: Mapping[str, str] | None = None
) -> str:
    """An option from its value or a prefix of it, or from its title (``titles``) as
    written whole, full-width or not."""
    folded = unicodedata.normalize("NFKC", text.strip())
    by_title = [
        value
        for value, title in (titles or {}).items()
        if value in options and unicodedata.normalize("NFKC", title) == folded
    ]
    if len(by_title) == 1:
        return by_title[0]
    wanted = _SPACE.sub("_", text.strip().lower()).replace("-", "_")
    if wanted in options:
        return wanted
    matches = [option for option in options if option.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    raise _refuse(label, "use one of " + ", ".join(_titled(options, titles or {})))


def _parse_date(label: str, text: str) -> str:
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
        from extract.japanese import normalise_era_date

        # Japanese forms' dates: 令和3年4月5日, R3.4.5, 2021年4月5日 (full-width digits too)
        written = normalise_era_date(compact)
        if written is not None:
            return written
        raise _refuse(label, "write the date as YYYY-MM-DD, MM/DD/YYYY or 令和3年4月5日")
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise _refuse(label, "that day does not exist in the calendar") from None


def _digits(label: str, text: str, count: int, what: str) -> str:
    digits = re.sub(r"[\s().\-+/]", "", text)
    if count == 10 and len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if not digits.isdigit() or len(digits) != count:
        raise _refuse(label, f"{what} has {count} digits")
    return digits


def _parse_money(label: str, text: str) -> float:
    amount = text.replace("$", "").replace(",", "").replace(" ", "")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", amount):
        raise _refuse(label, "an amount in dollars, such as 1250.00")
    return float(amount)


def _parse_zip(label: str, text: str) -> str:
    digits = re.sub(r"[\s\-]", "", text)
    if digits.isdigit() and len(digits) in (5, 9):
        return digits if len(digits) == 5 else f"{digits[:5]}-{digits[5:]}"
    raise _refuse(label, "a ZIP code is 12345 or 12345-6789")


def _parse_state(label: str, text: str) -> str:
    code = text.replace(".", "").upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise _refuse(label, "a two-letter state code such as MI")
    return code


def _japanese(format_name: str, rule: str) -> Callable[[str, str], Any]:
    """A parser for one of the Japanese formats: the reader's own normaliser
    (``extract.japanese``: width folded, separators dropped), refusing what it rejects."""

    def parse(label: str, text: str) -> Any:
        from extract import japanese

        value = getattr(japanese, f"normalise_{format_name}")(text)
        if value is None:
            raise _refuse(label, rule)
        return value

    return parse


FORMAT_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "date": _parse_date,
    "phone": lambda label, text: _digits(label, text, 10, "a phone number"),
    "ssn": lambda label, text: _digits(label, text, 9, "an SSN"),
    "zip": _parse_zip,
    "state": _parse_state,
    "email": lambda _name, text: text.replace(" ", "").lower(),
    "money": _parse_money,
    "jp_postal": _japanese("jp_postal", "a postal code is 123-4567"),
    "jp_phone": _japanese("jp_phone", "a Japanese phone number has 10 or 11 digits from 0"),
    "katakana": _japanese("katakana", "write it in katakana"),
    "prefecture": _japanese("prefecture", "one of the 47 prefectures, such as 東京都"),
    "bank_account": _japanese("bank_account", "an account number has 7 digits"),
    "my_number": _japanese("my_number", "a My Number has 12 digits and a right check digit"),
}
"""Reviewer text → normal form, per format kind (the kinds of ``validate.rules``)."""


def parse_input(
    record_type: str | None, name: str, text: str, settings: Settings | None = None
) -> Any:
    """The normal-form value of a reviewer's typed ``text`` for field ``name``; empty text
    clears the field (None). Raises :class:`loaders.review.InvalidCorrection` (a coded
    :class:`~faxflow.errors.FaxflowError`) when the text is not a value of that field.
    A form pack's field (``settings`` say where packs are) is parsed by its property in
    ``schema.json`` and held to its bounds there and in ``rules.yaml``'s ``ranges``."""
    pack = record_pack(record_type, settings)
    label = field_label(name, _schema_titles(pack) if pack is not None else None)
    if len(text) > MAX_INPUT:
        raise _refuse(label, f"at most {MAX_INPUT} characters")
    prop = property_schema(record_type, name, settings)
    if prop is None:
        raise InvalidCorrection(f"{name!r} is not a field of this record")
    stripped = _SPACE.sub(" ", text).strip()
    types = _types(prop)
    if not stripped:
        return [] if types == {"array"} else None
    value = _parse_typed(label, prop, stripped, format_kind(record_type, name, settings))
    if pack is not None and pack.rules is not None:
        bounds = pack.rules.ranges.get(parse_field_path(name.partition("#")[0]).prop)
        if bounds is not None:
            declared = {"minimum": bounds.min, "maximum": bounds.max}
            prop = {**prop, **{k: v for k, v in declared.items() if v is not None}}
    _check_property(label, prop, value)
    return value


def _parse_typed(label: str, prop: dict[str, Any], text: str, kind: str | None) -> Any:
    types = _types(prop)
    if "enum" in prop:
        return _parse_choice(label, text, _enum_values(prop), choice_titles(prop))
    if "array" in types:
        options = _enum_values(prop.get("items", {}))
        parts = [p for p in re.split(r"[,;、，]\s*|\s+", text) if p]
        titles = choice_titles(prop)
        return sorted({_parse_choice(label, part, options, titles) for part in parts})
    if "boolean" in types:
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise _refuse(label, "answer yes (marked) or no (not marked)")
    if "integer" in types:
        if not re.fullmatch(r"-?\d{1,9}", text):
            raise _refuse(label, "a whole number")
        return int(text)
    parser = FORMAT_PARSERS.get(kind or "")
    if parser is not None:
        return parser(label, text)
    if "number" in types:
        number = text.replace(",", "").replace(" ", "")
        if not re.fullmatch(r"-?\d{1,12}(\.\d{1,6})?", number):
            raise _refuse(label, "a number, such as 12 or 3.5")
        return float(number)
    return text


def _check_property(label: str, prop: dict[str, Any], value: Any) -> None:
    """Refuse a parsed value its property's schema does not allow (bounds, lengths,
    patterns), with the rule in words. The value is never in the message."""
    import jsonschema

    low, high = prop.get("minimum"), prop.get("maximum")
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and ((low is not None and value < low) or (high is not None and value > high)):
        raise _refuse(label, "a number" + _bounds_hint(prop))
    limit = prop.get("maxLength")
    if isinstance(value, str) and isinstance(limit, int) and len(value) > limit:
        raise _refuse(label, f"at most {limit} characters")
    checker = jsonschema.FormatChecker()
    validator = jsonschema.Draft202012Validator(prop, format_checker=checker)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return
    if error.validator == "pattern":
        raise _refuse(label, f"must have the form {prop['pattern']}")
    if error.validator == "format":
        raise _refuse(label, f"must be a valid {prop.get('format')}")
    raise _refuse(label, f"not a value this field allows ({error.validator})")


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
    value = parse_input(record_type, name, text, settings)
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
    value = parse_input(doc.record_type, name, text, settings)
    current = doc.field(name)
    if current is None or current.sensitive:
        raise InvalidCorrection(f"field {name!r} is not part of blind QA")
    if value == current.machine_value:
        confirm_field(engine, document_id, name, reviewer=reviewer)
        return "confirmed"
    apply_correction(engine, document_id, name, value, reviewer=reviewer, settings=settings)
    return "corrected"
