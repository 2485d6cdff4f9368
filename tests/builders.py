"""Hand-made document results and sources, for tests that store or show documents without
running OCR (the loader tests and the dashboard tests build on these).

Document ``n`` always has the id :func:`doc_id` ``(n)`` and a file name that says which
form it is (``fax-<n>.tif`` or ``application-<n>.pdf``), so a test can name its documents
by number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from faxflow.model import (
    RECORD_TYPE_BY_FORM,
    DocumentResult,
    FieldResult,
    FileKind,
    FormType,
    Issue,
    PageReport,
    PageRole,
    SourceDocument,
    Status,
)
from faxflow.schemas import empty_record

SOURCE_NAMES = {
    FormType.CDC_PUI_2020: "fax-{n}.tif",
    FormType.MDHHS_DHS1171: "application-{n}.pdf",
}
CDC_TEMPLATE_PAGES = (1, 2)
DHS1171_TEMPLATE_PAGES = tuple(range(1, 22))


def doc_id(n: int) -> str:
    """The 64-hex-digit document id of test document ``n``."""
    return f"{n:064x}"


def field_result(
    value: Any,
    confidence: float,
    bbox: tuple[int, int, int, int],
    *,
    page: int = 1,
    raw: str | None = None,
) -> FieldResult:
    """One field's evidence; the OCR text is the value's text unless ``raw`` is given."""
    return FieldResult(
        value=value,
        confidence=confidence,
        page=page,
        bbox=bbox,
        raw_text=raw if raw is not None else (None if value is None else str(value)),
    )


def form_result(
    n: int,
    form_type: FormType,
    *,
    status: Status,
    values: Mapping[str, Any],
    fields: Mapping[str, FieldResult],
    issues: Sequence[Issue] = (),
    template_pages: Sequence[int],
    template_version: str | None = None,
) -> DocumentResult:
    """Test document ``n``: a ``form_type`` result whose record has every schema property,
    ``values`` set, and one form page per entry of ``template_pages`` (the template page
    that input page matched)."""
    record_type = RECORD_TYPE_BY_FORM[form_type]
    record = empty_record(record_type)
    record.update(values)
    return DocumentResult(
        document_id=doc_id(n),
        source_name=SOURCE_NAMES[form_type].format(n=n),
        form_type=form_type,
        record_type=record_type,
        page_count=len(template_pages),
        status=status,
        record=record,
        fields=dict(fields),
        issues=list(issues),
        pages=[
            PageReport(
                number=number, role=PageRole.FORM, form_type=form_type, template_page=template
            )
            for number, template in enumerate(template_pages, start=1)
        ],
        template_version=template_version,
    )


def source_for(result: DocumentResult, *, centre: str, received: datetime) -> SourceDocument:
    """The arrival facts of a hand-made result: a TIFF of 1234 bytes from ``centre``."""
    return SourceDocument(
        document_id=result.document_id,
        path=Path("/nonexistent") / result.source_name,
        source_name=result.source_name,
        kind=FileKind.TIFF,
        page_count=result.page_count,
        size_bytes=1234,
        centre_id=centre,
        received_at=received,
    )
