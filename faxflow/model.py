"""The shared document model: typed, immutable values passed between stages.

Stages are functions from these values to these values (see the package READMEs):

    ingest   path            -> SourceDocument, Iterator[PageImage]
    ocr      PageImage       -> CleanPage, list[OcrWord]
    extract  CleanPage...    -> Extraction
    validate Extraction      -> list[Issue], Status
    loaders  DocumentResult  -> rows in the database

:class:`DocumentResult` serialises exactly to the per-document JSON of
``../shared/spec/README.md`` (plus the ``pages`` list and version stamps).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

PIPELINE_VERSION = "0.1.0"


class FileKind(StrEnum):
    """Input file types, decided by magic bytes, never by extension."""

    PDF = "pdf"
    TIFF = "tiff"
    PNG = "png"
    JPEG = "jpeg"


class FormType(StrEnum):
    CDC_PUI_2020 = "cdc_pui_2020"
    MDHHS_DHS1171 = "mdhhs_dhs1171"
    UNKNOWN = "unknown"


class RecordType(StrEnum):
    INFECTION_REPORT = "infection_report"
    BENEFIT_APPLICATION = "benefit_application"


RECORD_TYPE_BY_FORM: dict[str, RecordType] = {
    FormType.CDC_PUI_2020: RecordType.INFECTION_REPORT,
    FormType.MDHHS_DHS1171: RecordType.BENEFIT_APPLICATION,
}


def _built_in_name(kind: type[StrEnum]) -> Any:
    """A validator that turns a built-in form's or record's name into its enum member and
    leaves a form pack's name a plain string: the code written for the two built-in forms
    compares by identity (``form_type is FormType.UNKNOWN``), a pack is known by name."""

    def coerce(value: Any) -> Any:
        if isinstance(value, str) and not isinstance(value, kind):
            try:
                return kind(value)
            except ValueError:
                return value
        return value

    return BeforeValidator(coerce)


def record_type_of(form_type: str) -> RecordType | str | None:
    """The record type a form fills: a built-in form's, else a form pack's own name
    (a pack's record type is its form's name); None for an unknown form."""
    if form_type == FormType.UNKNOWN:
        return None
    return RECORD_TYPE_BY_FORM.get(form_type, str(form_type))


FormName = Annotated[FormType | str, _built_in_name(FormType)]
"""A form's name: a built-in :class:`FormType` or the name of a form pack
(``faxflow.packs``)."""
RecordName = Annotated[RecordType | str, _built_in_name(RecordType)]
"""A record type's name: a built-in :class:`RecordType` or a form pack's record name."""


class Status(StrEnum):
    ACCEPTED = "accepted"
    NEEDS_REVIEW = "needs_review"
    REJECTED = "rejected"


class PageRole(StrEnum):
    """What a page of an input document turned out to be."""

    FORM = "form"  # a page of a known form template
    COVER = "cover"  # a fax cover sheet
    BLANK = "blank"
    UNKNOWN = "unknown"


BBox = tuple[int, int, int, int]
"""Pixel box (x0, y0, x1, y1), origin top-left, in the page image the pipeline OCR'd."""


# --------------------------------------------------------------------------------------
# Stage values (in-process; never put into XCom: they may hold page pixels)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """One input file after intake checks. Safe to log: holds no personal data."""

    document_id: str  # sha256 of the file's bytes, hex
    path: Path  # where the bytes are now (work copy or the original for the CLI)
    source_name: str  # original file name, for display only
    kind: FileKind
    page_count: int
    size_bytes: int
    centre_id: str | None = None
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True, eq=False)
class PageImage:
    """One rasterised page: 8-bit grey, square pixels at ``dpi``."""

    number: int  # 1-based page number in the input file
    image: np.ndarray  # uint8, shape (height, width)
    dpi: int  # square working resolution after normalisation
    source_dpi: tuple[float, float]  # (x, y) resolution the file declared or implied


@dataclass(frozen=True, slots=True)
class OcrWord:
    """One word from Tesseract's ``image_to_data``."""

    text: str
    confidence: float  # 0..1 (Tesseract's 0..100 divided by 100); -1 never appears here
    bbox: BBox
    line_key: tuple[int, int, int]  # (block, paragraph, line) as Tesseract numbers them


@dataclass(frozen=True, slots=True, eq=False)
class CleanPage:
    """A page after cleanup: upright, deskewed, binarised as configured."""

    number: int
    image: np.ndarray  # uint8 grey or binary (0/255), upright
    dpi: int
    rotation: int  # degrees clockwise applied to make it upright: 0, 90, 180, 270
    skew_degrees: float  # skew that was corrected
    seconds: float = 0.0  # time spent cleaning


@dataclass(frozen=True, slots=True)
class PageTiming:
    """Seconds per stage for one document, for the closing summary and `make bench`."""

    stage: str
    seconds: float


# --------------------------------------------------------------------------------------
# The per-document result (the JSON contract)
# --------------------------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Issue(_Frozen):
    """A coded finding about a field or the whole document. Never holds personal data
    beyond what the field itself stores (messages may quote dates, not names or SSNs)."""

    field: str | None = None
    code: str
    message: str


class ProvenanceStep(_Frozen):
    """One change an extraction step made to a field's value: the step's name and the
    value before and after it. The first reading is ``FieldResult.raw_text``; the steps,
    in order, lead from it to ``FieldResult.value``."""

    step: str
    before: Any = None
    after: Any = None


class FieldResult(_Frozen):
    """One extracted field with its evidence.

    ``provenance`` lists every step that changed the value after it was read.
    ``needs_review`` says whether a person must look at this field before the record is
    trusted (``None`` until routing has decided), with ``review_reason`` a stable code."""

    value: Any = None
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    page: int | None = Field(default=None, ge=1)
    bbox: tuple[int, int, int, int] | None = None
    raw_text: str | None = None
    provenance: tuple[ProvenanceStep, ...] = ()
    needs_review: bool | None = None
    review_reason: str | None = None
    # The OCR words (text, confidence 0..1) the value was read from, so that a later step
    # knows which words OCR doubted. In-process only: never serialised, never shown.
    words: tuple[tuple[str, float], ...] = Field(default=(), exclude=True, repr=False)


class PageReport(_Frozen):
    """What one input page was, so cover sheets and unknown pages are listed, not lost."""

    number: int = Field(ge=1)
    role: PageRole
    form_type: FormName | None = None
    template_page: int | None = None
    rotation: int = 0
    skew_degrees: float = 0.0
    match_score: float = 0.0


class DocumentResult(_Frozen):
    """One processed document: what the CLI writes as JSON and the loader stores."""

    document_id: str
    source_name: str
    form_type: FormName
    record_type: RecordName | None
    page_count: int = Field(ge=0)
    status: Status
    record: dict[str, Any] = Field(default_factory=dict)
    fields: dict[str, FieldResult] = Field(default_factory=dict)
    issues: list[Issue] = Field(default_factory=list)
    pages: list[PageReport] = Field(default_factory=list)
    pipeline_version: str = PIPELINE_VERSION
    template_version: str | None = None

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


@dataclass(frozen=True, slots=True)
class Extraction:
    """What extraction found in one document, before validation and routing."""

    form_type: FormType | str
    record: dict[str, Any]
    fields: dict[str, FieldResult]
    pages: tuple[PageReport, ...]
    issues: tuple[Issue, ...] = ()
    template_version: str | None = None
    field_kinds: dict[str, str] = field(default_factory=dict)  # field name -> template kind
