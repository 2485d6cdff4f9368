"""Form templates as data: the model of ``extract/templates/<form_type>/template.yaml``.

A template says, for each page of a blank form, where each schema field is written.
Coordinates are PDF points of the blank form (612 x 792 for US Letter) with the origin at
the **top-left** (y grows downwards), so they convert to pixels of a page rendered at D dpi
by multiplying by D / 72.

Templates are validated on load; an invalid file raises :class:`TemplateError` naming the
file and the field, so a data engineer can add a form without writing Python.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from extract.vocabularies import load_vocabulary
from faxflow.errors import TemplateError
from faxflow.model import FormName, RecordName

Box = tuple[float, float, float, float]
"""(x0, y0, x1, y1) in PDF points, origin top-left."""


class FieldKind(StrEnum):
    """How a field is read and normalised."""

    TEXT = "text"  # free text: collapse white space
    NAME = "name"  # a person's name
    DATE = "date"  # -> YYYY-MM-DD
    INTEGER = "integer"
    PHONE = "phone"  # -> 10 digits
    SSN = "ssn"  # -> 9 digits
    ZIP = "zip"  # -> 12345 or 12345-6789
    STATE = "state"  # -> two-letter USPS code
    EMAIL = "email"  # -> lower-cased
    MONEY = "money"  # -> float dollars
    # A case/record number (cdc_ncov_id, nndss_case_id ...): formats differ by jurisdiction,
    # so the normaliser only repairs OCR look-alikes and separators, never checks a pattern.
    IDENTIFIER = "identifier"
    CHOICE = "choice"  # single-choice checkbox group -> the marked option's value
    MULTI_CHOICE = "multi_choice"  # check-all-that-apply -> sorted list of values, None if none
    CHECKBOX = "checkbox"  # a box that stands alone -> True / False
    # Japanese forms (issue #23; normalisers in extract/japanese.py)
    ERA_DATE = "era_date"  # 令和3年4月5日, R3.4.5, digits in the gaps of 令和　年　月　日 -> ISO
    JP_POSTAL = "jp_postal"  # 〒123-4567 -> 123-4567
    JP_PHONE = "jp_phone"  # 03-1234-5678 -> 10 or 11 digits, leading 0
    KATAKANA = "katakana"  # furigana, account holder -> full-width katakana
    PREFECTURE = "prefecture"  # 東京, 東京都 -> the official name of one of the 47
    BANK_ACCOUNT = "bank_account"  # -> 7 digits
    MY_NUMBER = "my_number"  # -> 12 digits whose check digit is right


CHECKBOX_KINDS = frozenset({FieldKind.CHOICE, FieldKind.MULTI_CHOICE, FieldKind.CHECKBOX})

Era = Literal["meiji", "taisho", "showa", "heisei", "reiwa"]
"""The eras a template may print before a year gap (``era``), and the values of an era
choice field (``era_field``): faxflow/eras.py's ERAS."""
ERA_NAMES: tuple[str, ...] = get_args(Era)

_LANG = re.compile(r"^[a-z_]{3,}(\+[a-z_]{3,})*$")
"""Tesseract language names joined by '+': 'jpn', 'jpn+eng' (as settings.tesseract_lang)."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Option(_Strict):
    """One box of a checkbox group."""

    value: Any  # the enum value this box stands for ("yes", "male", True …)
    box: Box  # the square to look for ink in
    label: str | None = None  # the printed option text, for the spaCy fallback
    # Where a program filling the PDF draws the check when that is not the printed square:
    # it centres the mark in the button widget, and a few DHS-1171 widgets sit off their
    # square. A square of the printed box's size centred on the widget; read like ``box``.
    mark_box: Box | None = None


def _option_boxes(options: list[Option] | None) -> list[Box]:
    """Every box of a group's options: printed squares and the marks' places."""
    return [b for o in options or [] for b in (o.box, o.mark_box) if b is not None]


class FieldSpec(_Strict):
    """Where and how one record field is written on the form."""

    name: str  # schema property, or household_members[i].<prop>
    page: int = Field(ge=1)  # page of the blank form
    kind: FieldKind
    region: Box | None = None  # where the written value lies (text kinds)
    boxes: list[Box] | None = None  # comb fields: one box per character, in reading order
    options: list[Option] | None = None  # checkbox kinds
    label: str | None = None  # printed label next to the field (anchor / fallback)
    required: bool = False
    whitelist: str | None = None  # Tesseract character whitelist for this zone
    # OCR repair from known words: "county" snaps the value to a US county name
    # (extract/rules/us_counties.tsv), "state" to a state's code or name as written
    # ('Wi' -> 'WI', 'Ghio' -> 'Ohio'), "street" repairs a street line by its parts
    # (extract/streets.py: house number, suffix, unit); ``vocabulary`` lists the words
    # free text of this field is usually made of ("County", "Health", "Dept"), near-misses
    # are repaired;
    # ``state_field`` names the field whose value says which state's counties apply;
    # ``name_fields`` (e-mail fields) the name fields of the person the address is
    # likely made from ('daniel.hines@' for Daniel Hines).
    lexicon: Literal["county", "state", "street", "place"] | None = None
    vocabulary: list[str] | None = None
    state_field: str | None = None
    name_fields: list[str] | None = None
    # Japanese forms: ``lang`` the Tesseract language(s) of this zone ('jpn', 'jpn+eng';
    # default: the kind's, see extract.japanese.zone_lang, else settings.tesseract_lang);
    # ``era`` (era_date only) the era printed before the year gap; ``era_field`` (era_date
    # only) the choice field whose ticked era applies (birth dates: □明治 … □令和).
    lang: str | None = None
    era: Era | None = None
    era_field: str | None = None
    # ``closed_vocabulary`` (text only) names extract/rules/vocabularies/<name>.txt, the
    # short list the field's answers come from (続柄: jp_relationships); see
    # extract/vocabularies.py for how it helps the reading.
    closed_vocabulary: str | None = None

    @model_validator(mode="after")
    def _geometry_fits_kind(self) -> FieldSpec:
        if self.lang is not None and not _LANG.match(self.lang):
            raise ValueError(f"field {self.name}: lang must look like 'jpn' or 'jpn+eng'")
        if (self.era or self.era_field) and self.kind is not FieldKind.ERA_DATE:
            raise ValueError(f"field {self.name}: era and era_field need kind era_date")
        if self.era and self.era_field:
            raise ValueError(f"field {self.name}: give era or era_field, not both")
        if self.kind in CHECKBOX_KINDS:
            if not self.options:
                raise ValueError(f"field {self.name}: kind {self.kind} needs 'options'")
        elif self.region is None and not self.boxes:
            raise ValueError(f"field {self.name}: kind {self.kind} needs 'region' or 'boxes'")
        if (self.lexicon or self.vocabulary) and self.kind is not FieldKind.TEXT:
            raise ValueError(f"field {self.name}: lexicon and vocabulary need kind text")
        if self.name_fields is not None and self.kind is not FieldKind.EMAIL:
            raise ValueError(f"field {self.name}: name_fields needs kind email")
        if self.closed_vocabulary is not None:
            if self.kind is not FieldKind.TEXT:
                raise ValueError(f"field {self.name}: closed_vocabulary needs kind text")
            try:
                load_vocabulary(self.closed_vocabulary)
            except TemplateError as exc:
                raise ValueError(f"field {self.name}: {exc}") from exc
        for box in [self.region, *(self.boxes or []), *_option_boxes(self.options)]:
            if box is not None and not (box[0] < box[2] and box[1] < box[3]):
                raise ValueError(f"field {self.name}: box {box} must have x0<x1 and y0<y1")
        return self


class PageSpec(_Strict):
    """One page of the blank form."""

    number: int = Field(ge=1)
    carries_fields: bool = False  # pages without fields are classified but never OCR'd
    anchors: list[str] = Field(default_factory=list)  # printed phrases unique to this page


class FormTemplate(_Strict):
    """A whole form: its pages and fields."""

    form_type: FormName
    record_type: RecordName
    version: str
    title: str
    source_pdf: str = "blank.pdf"  # relative to the template folder
    page_size: tuple[float, float] = (612.0, 792.0)
    pages: list[PageSpec]
    fields: list[FieldSpec]
    # schema properties the form has no place for, each with the reason (for coverage checks)
    not_on_form: dict[str, str] = Field(default_factory=dict)
    # zones `faxflow template from-pdf` proposed that no field claims yet; never read
    proposals: list[FieldSpec] = Field(default_factory=list)
    folder: Path | None = None  # set by the loader

    @model_validator(mode="after")
    def _pages_and_names(self) -> FormTemplate:
        numbers = [p.number for p in self.pages]
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            raise ValueError("pages must be numbered 1..N without gaps")
        seen: set[str] = set()
        for spec in self.fields:
            if spec.page > len(numbers):
                raise ValueError(f"field {spec.name}: page {spec.page} is not in 'pages'")
            if spec.name in seen:
                raise ValueError(f"field {spec.name} is defined twice")
            seen.add(spec.name)
        kinds = {spec.name: spec.kind for spec in self.fields}
        for spec in self.fields:
            if spec.state_field is not None and spec.state_field not in seen:
                raise ValueError(
                    f"field {spec.name}: state_field {spec.state_field} is not a field"
                )
            for name in spec.name_fields or []:
                if kinds.get(name) is not FieldKind.NAME:
                    raise ValueError(f"field {spec.name}: name_fields {name} is no name field")
            if spec.era_field is not None:
                if kinds.get(spec.era_field) is not FieldKind.CHOICE:
                    raise ValueError(
                        f"field {spec.name}: era_field {spec.era_field} is no choice field"
                    )
                choice = next(f for f in self.fields if f.name == spec.era_field)
                odd = [o.value for o in choice.options or [] if o.value not in ERA_NAMES]
                if odd:
                    raise ValueError(
                        f"field {spec.name}: era_field {spec.era_field} has options {odd} "
                        f"that are no era ({', '.join(ERA_NAMES)})"
                    )
        return self

    @property
    def pdf_path(self) -> Path:
        assert self.folder is not None
        return self.folder / self.source_pdf

    def fields_on_page(self, page: int) -> list[FieldSpec]:
        return [f for f in self.fields if f.page == page]


def load_template(path: Path) -> FormTemplate:
    """Load and validate one ``template.yaml``; raise TemplateError with the file named.

    Beyond the model's own rules, the fields are checked against the record schema (see
    :func:`schema_problems`): unknown names, kinds that cannot hold the property, option
    values the schema does not allow, boxes off the page, overlapping checkboxes.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"cannot read template {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise TemplateError(f"template {path} must be a YAML mapping")
    try:
        template = FormTemplate.model_validate({**data, "folder": path.parent})
    except ValidationError as exc:
        problems = "; ".join(
            f"{_error_location(data, err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise TemplateError(f"template {path} is invalid: {problems}") from exc
    if not template.pdf_path.is_file():
        raise TemplateError(f"template {path} names {template.source_pdf}, which is missing")
    schema_issues = schema_problems(template)
    if schema_issues:
        raise TemplateError(f"template {path} is invalid: {'; '.join(schema_issues)}")
    return template


def _error_location(data: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    """``fields.3.kind`` -> ``fields[3] (patient_first_name).kind``: name the field."""
    parts = [str(p) for p in loc]
    if len(loc) >= 2 and loc[0] in ("fields", "proposals") and isinstance(loc[1], int):
        entries = data.get(str(loc[0]))
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        head = f"{loc[0]}[{loc[1]}]" + (f" ({name})" if name else "")
        return ".".join([head, *parts[2:]])
    return ".".join(parts)


# --------------------------------------------------------------------------------------
# Checks against the record schema
# --------------------------------------------------------------------------------------

_MEMBER_FIELD = re.compile(r"^(?P<array>[a-z_]+)\[(?P<index>\d+)\]\.(?P<prop>[a-z_]+)$")
_REPEAT_SUFFIX = re.compile(r"#\d+$")


def schema_property_of(name: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON-schema property a template field name stands for, or None.

    ``date_of_birth`` and its second place on the form ``date_of_birth#2`` stand for the
    top-level property; ``household_members[0].ssn`` for the item property of the array.
    """
    properties: dict[str, Any] = schema["properties"]
    base = _REPEAT_SUFFIX.sub("", name)
    member = _MEMBER_FIELD.match(base)
    if member:
        array = properties.get(member["array"])
        if array is None or array.get("type") != "array":
            return None
        item_props: dict[str, Any] = array.get("items", {}).get("properties", {})
        return item_props.get(member["prop"])
    return properties.get(base)


def record_property(name: str) -> str:
    """The top-level record property a template field feeds (``household_members[0].ssn``
    -> ``household_members``; ``cdc_ncov_id#2`` -> ``cdc_ncov_id``)."""
    base = _REPEAT_SUFFIX.sub("", name)
    member = _MEMBER_FIELD.match(base)
    return member["array"] if member else base


def _types(prop: dict[str, Any]) -> set[str]:
    declared = prop.get("type", [])
    types = {declared} if isinstance(declared, str) else set(declared)
    if "enum" in prop:
        types |= {"enum"}
    return types - {"null"}


_KINDS_FOR_TYPE: dict[str, frozenset[FieldKind]] = {
    "string": frozenset(FieldKind) - CHECKBOX_KINDS,
    # an enum is normally ticked; where the form has a blank instead (CDC "Age units
    # (yr/mo/day): ____") the written word is read as text and normalised to the enum
    "enum": frozenset({FieldKind.CHOICE, FieldKind.TEXT}),
    "boolean": frozenset({FieldKind.CHECKBOX, FieldKind.CHOICE}),
    "integer": frozenset({FieldKind.INTEGER}),
    "number": frozenset({FieldKind.MONEY, FieldKind.INTEGER}),
    "array": frozenset({FieldKind.MULTI_CHOICE}),
}


_KIND_FOR_PATTERN: dict[str, FieldKind] = {
    r"^\d{10}$": FieldKind.PHONE,
    r"^\d{9}$": FieldKind.SSN,
    r"^\d{5}(-\d{4})?$": FieldKind.ZIP,
    r"^[A-Z]{2}$": FieldKind.STATE,
}

# A schema "format" and the kinds whose normalisers yield it (validate.rules.FORMAT_CHECKS
# has the same names): a Japanese date is ISO too, read from era or western writing.
_KINDS_FOR_FORMAT: dict[str, frozenset[FieldKind]] = {
    "date": frozenset({FieldKind.DATE, FieldKind.ERA_DATE}),
    "jp_postal": frozenset({FieldKind.JP_POSTAL}),
    "jp_phone": frozenset({FieldKind.JP_PHONE}),
    "katakana": frozenset({FieldKind.KATAKANA}),
    "prefecture": frozenset({FieldKind.PREFECTURE}),
    "bank_account": frozenset({FieldKind.BANK_ACCOUNT}),
    "my_number": frozenset({FieldKind.MY_NUMBER}),
}


KINDS_READING_FORMAT: dict[str, frozenset[FieldKind]] = {
    **_KINDS_FOR_FORMAT,
    # the US formats are read by the kind of the same name
    **{
        fmt: frozenset({FieldKind(fmt)})
        for fmt in ("phone", "ssn", "zip", "state", "email", "money", "integer")
    },
}
"""Each validation format (``rules.yaml`` ``formats``) and the kinds that read a field
into it: a field checked as a state but read as free text keeps 'vA' as written and
fails its check on every copy."""


def _kinds_for_normal_form(prop: dict[str, Any]) -> frozenset[FieldKind] | None:
    """The kinds whose normalisers yield the property's normal form, if it has one (a
    date property must be read as a date or an era date, a 10-digit pattern as a phone …)."""
    kinds = _KINDS_FOR_FORMAT.get(str(prop.get("format")))
    if kinds is not None:
        return kinds
    kind = _KIND_FOR_PATTERN.get(str(prop.get("pattern")))
    return None if kind is None else frozenset({kind})


def _allowed_values(prop: dict[str, Any]) -> list[Any] | None:
    """The values an option of this property may stand for; None when unconstrained."""
    if "enum" in prop:
        return [v for v in prop["enum"] if v is not None]
    if "boolean" in _types(prop):
        return [True, False]
    items = prop.get("items", {})
    if "enum" in items:
        return [v for v in items["enum"] if v is not None]
    return None


def schema_problems(template: FormTemplate) -> list[str]:
    """Everything wrong with a template's fields for its record schema, one message each.

    Each message names the field. Coverage (every property placed somewhere) is not
    checked here: see :func:`coverage_problems`.
    """
    schema = template_schema(template)
    width, height = template.page_size
    problems: list[str] = []
    option_boxes: dict[int, list[tuple[str, Box]]] = {}
    for spec in template.fields:
        prop = schema_property_of(spec.name, schema)
        if prop is None:
            problems.append(
                f"field {spec.name}: not a property of {template.record_type} "
                "(nor '<property>#N' or 'household_members[i].<property>')"
            )
            continue
        types = _types(prop)
        if not any(spec.kind in _KINDS_FOR_TYPE.get(t, frozenset()) for t in types):
            problems.append(
                f"field {spec.name}: kind {spec.kind} cannot hold a {'/'.join(sorted(types))}"
            )
        needed = _kinds_for_normal_form(prop)
        if needed is not None and spec.kind not in needed:
            names = " or ".join(sorted(needed))
            problems.append(
                f"field {spec.name}: kind {spec.kind}, but its normal form needs kind {names}"
            )
        allowed = _allowed_values(prop)
        seen_values: list[Any] = []
        for option in spec.options or []:
            if allowed is not None and not any(
                option.value == v and type(option.value) is type(v) for v in allowed
            ):
                problems.append(
                    f"field {spec.name}: option value {option.value!r} is not one of {allowed}"
                )
            if option.value in seen_values and spec.kind is not FieldKind.CHECKBOX:
                problems.append(f"field {spec.name}: option value {option.value!r} appears twice")
            seen_values.append(option.value)
            option_boxes.setdefault(spec.page, []).append((spec.name, option.box))
        for box in [spec.region, *(spec.boxes or []), *_option_boxes(spec.options)]:
            if box is not None and not (
                box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
            ):
                problems.append(f"field {spec.name}: box {list(box)} is outside the page")
    for page, boxes in sorted(option_boxes.items()):
        for i, (name_a, a) in enumerate(boxes):
            for name_b, b in boxes[i + 1 :]:
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    problems.append(
                        f"field {name_a}: checkbox {list(a)} overlaps one of {name_b} "
                        f"{list(b)} on page {page}"
                    )
    for name in template.not_on_form:
        if name not in schema["properties"]:
            problems.append(f"not_on_form {name}: not a property of {template.record_type}")
    return problems


def coverage_problems(template: FormTemplate) -> list[str]:
    """Schema properties the template neither places nor lists under ``not_on_form``,
    and properties that are both placed and listed as absent."""
    placed = {record_property(f.name) for f in template.fields}
    problems = []
    for name in template_schema(template)["properties"]:
        if name in placed and name in template.not_on_form:
            problems.append(f"field {name}: placed on the form and listed under not_on_form")
        elif name not in placed and name not in template.not_on_form:
            problems.append(
                f"field {name}: no place on the form; add it to 'fields' or to "
                "'not_on_form' with the reason"
            )
    return problems


PACK_SCHEMA_FILE = "schema.json"
"""A form pack's record schema, beside its ``template.yaml`` (see ``faxflow/packs.py``)."""


def template_schema(template: FormTemplate) -> dict[str, Any]:
    """The JSON Schema of the record a template fills: the pack's own ``schema.json`` when
    its folder has one, else the built-in schema of its record type."""
    if template.folder is not None and (template.folder / PACK_SCHEMA_FILE).is_file():
        return _pack_schema(template.folder / PACK_SCHEMA_FILE)
    from faxflow.model import RecordType
    from faxflow.schemas import load_schema

    if not isinstance(template.record_type, RecordType):
        folder = template.folder or Path(".")
        raise TemplateError(
            f"template of {template.form_type} names record type {template.record_type}, "
            f"which is not built in, and {folder / PACK_SCHEMA_FILE} is missing"
        )
    return load_schema(template.record_type)


@cache
def _pack_schema(path: Path) -> dict[str, Any]:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TemplateError(f"cannot read schema {path}: {exc}") from exc
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        raise TemplateError(f"schema {path} must be a JSON object with 'properties'")
    return schema


@cache
def load_templates(templates_dir: Path) -> dict[str, FormTemplate]:
    """Every template under ``templates_dir`` (one sub-folder per form type)."""
    templates: dict[str, FormTemplate] = {}
    for path in sorted(templates_dir.glob("*/template.yaml")):
        template = load_template(path)
        templates[template.form_type] = template
    return templates
