"""Form templates as data: the model of ``extract/templates/<form_type>/template.yaml``.

A template says, for each page of a blank form, where each schema field is written.
Coordinates are PDF points of the blank form (612 x 792 for US Letter) with the origin at
the **top-left** (y grows downwards), so they convert to pixels of a page rendered at D dpi
by multiplying by D / 72.

Templates are validated on load; an invalid file raises :class:`TemplateError` naming the
file and the field, so a data engineer can add a form without writing Python.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from faxflow.errors import TemplateError
from faxflow.model import FormType, RecordType

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
    CHOICE = "choice"  # single-choice checkbox group -> the marked option's value
    MULTI_CHOICE = "multi_choice"  # check-all-that-apply -> sorted list of values, None if none
    CHECKBOX = "checkbox"  # a box that stands alone -> True / False


CHECKBOX_KINDS = frozenset({FieldKind.CHOICE, FieldKind.MULTI_CHOICE, FieldKind.CHECKBOX})


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Option(_Strict):
    """One box of a checkbox group."""

    value: Any  # the enum value this box stands for ("yes", "male", True …)
    box: Box  # the square to look for ink in
    label: str | None = None  # the printed option text, for the spaCy fallback


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

    @model_validator(mode="after")
    def _geometry_fits_kind(self) -> FieldSpec:
        if self.kind in CHECKBOX_KINDS:
            if not self.options:
                raise ValueError(f"field {self.name}: kind {self.kind} needs 'options'")
        elif self.region is None and not self.boxes:
            raise ValueError(f"field {self.name}: kind {self.kind} needs 'region' or 'boxes'")
        for box in [self.region, *(self.boxes or []), *[o.box for o in self.options or []]]:
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

    form_type: FormType
    record_type: RecordType
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
        return self

    @property
    def pdf_path(self) -> Path:
        assert self.folder is not None
        return self.folder / self.source_pdf

    def fields_on_page(self, page: int) -> list[FieldSpec]:
        return [f for f in self.fields if f.page == page]


def load_template(path: Path) -> FormTemplate:
    """Load and validate one ``template.yaml``; raise TemplateError with the file named."""
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
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise TemplateError(f"template {path} is invalid: {problems}") from exc
    if not template.pdf_path.is_file():
        raise TemplateError(f"template {path} names {template.source_pdf}, which is missing")
    return template


@cache
def load_templates(templates_dir: Path) -> dict[FormType, FormTemplate]:
    """Every template under ``templates_dir`` (one sub-folder per form type)."""
    templates: dict[FormType, FormTemplate] = {}
    for path in sorted(templates_dir.glob("*/template.yaml")):
        template = load_template(path)
        templates[template.form_type] = template
    return templates
