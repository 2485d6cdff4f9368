"""View models: what the templates show, built from ``loaders.review`` views.

Templates only format; every decision (which colour a box gets, which fields need a look,
where a page image lives on disk) is made here, in typed and testable code.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from dashboard.fields import (
    display_value,
    edit_text,
    field_label,
    form_pack,
    input_hint,
    pack_titles,
    property_schema,
)
from dashboard.queries import QueueChoices
from faxflow.errors import TemplateError
from faxflow.packs import choice_titles
from faxflow.settings import Settings, routing_kind
from loaders.review import (
    DocumentView,
    FieldView,
    IssueView,
    PageView,
    QueueItem,
    ReviewEventView,
)

log = logging.getLogger(__name__)

DEFAULT_KIND = "text"  # the kind the router assumes for a field its template lacks
LOW_CONFIDENCE = 0.5
"""Below this a field is 'doubtful' (red); between it and the field's auto-accept
threshold (calibrated per kind, see ``faxflow calibrate``) it is 'check' (amber); at or
above the threshold 'confident' (green)."""


@lru_cache(maxsize=4)
def _template_kinds(templates_dir: Path) -> dict[str, dict[str, str]]:
    from extract.template import load_templates

    try:
        templates = load_templates(templates_dir)
    except TemplateError as error:
        log.warning("field kinds unavailable, default thresholds used: %s", error.code.value)
        return {}
    return {
        str(form): {spec.name: spec.kind.value for spec in template.fields}
        for form, template in templates.items()
    }


def field_kinds(settings: Settings, form_type: str) -> dict[str, str]:
    """Field name → template kind (``date``, ``name``, ``checkbox`` …) for one form: the
    key, with the name, of the calibrated auto-accept thresholds the router applied. A
    form pack's come from its own template."""
    built_in = _template_kinds(settings.templates_dir)
    if form_type in built_in or settings.forms_dir is None:
        return built_in.get(form_type, {})
    pack = form_pack(settings, form_type)
    return {} if pack is None else {spec.name: spec.kind.value for spec in pack.template.fields}


def threshold_of(settings: Settings, kinds: dict[str, str], name: str, machine_value: Any) -> float:
    """The auto-accept threshold the router used for this field (``x#2`` uses ``x``'s), as
    it read ``machine_value`` (a reading of nothing has its blank bucket's)."""
    base = name.partition("#")[0]
    return settings.threshold_for(base, routing_kind(kinds.get(base, DEFAULT_KIND), machine_value))


def confidence_band(confidence: float | None, threshold: float) -> str:
    if confidence is None or math.isnan(confidence) or confidence < LOW_CONFIDENCE:
        return "low"
    return "high" if confidence >= threshold else "mid"


def ago_label(moment: datetime, *, now: datetime | None = None) -> str:
    """``12 min ago``, ``3 h ago``, ``4 days ago``."""
    seconds = max(0.0, ((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


def when_label(moment: datetime | None, *, now: datetime | None = None) -> str:
    """``2026-11-27 07:20 UTC (3 h ago)``."""
    if moment is None:
        return "unknown"
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({ago_label(moment, now=now)})"


@dataclass(frozen=True, slots=True)
class QueueRow:
    document_id: str
    source_name: str
    form_type: str
    centre_id: str | None
    page_count: int
    issue_codes: tuple[str, ...]
    issue_count: int
    received_at: str  # 2026-11-27 07:20 UTC
    received_ago: str
    received_at_iso: str


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: tuple[QueueRow, ...]
    total: int
    centres: tuple[str, ...]
    form_types: tuple[str, ...]
    issue_codes: tuple[str, ...]


def queue_page(
    shown: list[QueueItem], choices: QueueChoices, *, total: int, now: datetime | None = None
) -> QueuePage:
    """The queue table (``shown``) with the filter menus' ``choices``."""
    rows = tuple(
        QueueRow(
            document_id=item.document_id,
            source_name=item.source_name,
            form_type=item.form_type,
            centre_id=item.centre_id,
            page_count=item.page_count,
            issue_codes=item.issue_codes,
            issue_count=item.issue_count,
            received_at=f"{(item.received_at or item.processed_at):%Y-%m-%d %H:%M} UTC",
            received_ago=ago_label(item.received_at or item.processed_at, now=now),
            received_at_iso=(item.received_at or item.processed_at).isoformat(),
        )
        for item in shown
    )
    return QueuePage(
        items=rows,
        total=total,
        centres=choices.centres,
        form_types=choices.form_types,
        issue_codes=choices.issue_codes,
    )


@dataclass(frozen=True, slots=True)
class FieldRow:
    name: str
    label: str
    display: str | None
    edit_value: str
    hint: str
    confidence: float | None
    confidence_label: str
    threshold_label: str  # the auto-accept threshold this field is held to
    band: str
    page: int | None
    bbox: tuple[int, int, int, int] | None
    raw_text: str | None
    provenance: tuple[tuple[str, str, str], ...]  # (step, before, after) as shown
    issues: tuple[IssueView, ...]
    reviewed: bool
    reviewed_by: str | None
    sensitive: bool
    editable: bool
    flagged: bool


@dataclass(frozen=True, slots=True)
class PageRow:
    number: int
    role: str
    width: int
    height: int
    has_image: bool
    fields: tuple[FieldRow, ...]  # the fields with a box on this page


@dataclass(frozen=True, slots=True)
class DocumentPage:
    document_id: str
    source_name: str
    form_type: str
    record_type: str | None
    centre_id: str | None
    status: str
    page_count: int
    received_label: str
    reviewed_by: str | None
    pages: tuple[PageRow, ...]
    fields: tuple[FieldRow, ...]
    document_issues: tuple[IssueView, ...]
    flagged_count: int
    first_page: int
    has_sensitive: bool


def page_image_file(settings: Settings, page: PageView) -> Path | None:
    """The page's image on disk, only if it lies inside ``settings.var_dir`` (a path in
    the database is never trusted to point elsewhere)."""
    if not page.image_path:
        return None
    root = settings.var_dir.resolve()
    path = (root / page.image_path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def _image_size(settings: Settings, page: PageView) -> tuple[int, int] | None:
    if page.width and page.height:
        return page.width, page.height
    path = page_image_file(settings, page)
    if path is None:
        return None
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (OSError, UnidentifiedImageError):
        return None
    return int(width), int(height)


def _field_row(
    doc: DocumentView,
    field: FieldView,
    settings: Settings,
    kinds: dict[str, str],
    revealed: dict[str, str],
    titles: dict[str, str],
) -> FieldRow:
    open_issues = tuple(i for i in doc.issues if i.field == field.name and not i.resolved_by_review)
    threshold = threshold_of(settings, kinds, field.name, field.machine_value)
    band = "high" if field.reviewed else confidence_band(field.confidence, threshold)
    if field.needs_review is not None and not field.reviewed:
        # Routing's verdict decides the colour: green only for a value it auto-accepted.
        band = "high" if not field.needs_review else ("mid" if band == "high" else band)
    prop = property_schema(doc.record_type, field.name, settings)
    choices = choice_titles(prop) if prop is not None else {}
    shown = revealed.get(field.name, field.value)
    confidence_label = "—" if field.confidence is None else f"{field.confidence * 100:.0f}%"
    threshold_label = "never auto-accepted" if threshold > 1 else f"threshold {threshold:.0%}"
    return FieldRow(
        name=field.name,
        label=field_label(field.name, titles),
        display=display_value(shown, choices),
        # Sensitive fields are re-typed, never pre-filled with the masked value.
        edit_value="" if field.sensitive else edit_text(field.value),
        hint=input_hint(doc.record_type, field.name, settings),
        confidence=field.confidence,
        confidence_label=confidence_label,
        threshold_label=threshold_label,
        band=band,
        page=field.page,
        bbox=field.bbox,
        raw_text=None if field.sensitive else field.raw_text,
        provenance=tuple(
            (
                p.step,
                display_value(p.before, choices) or "blank",
                display_value(p.after, choices) or "blank",
            )
            for p in field.provenance
        ),
        issues=open_issues,
        reviewed=field.reviewed,
        reviewed_by=field.reviewed_by,
        sensitive=field.sensitive,
        editable=prop is not None,
        flagged=not field.reviewed and (band != "high" or bool(open_issues)),
    )


def _reading_order(row: FieldRow) -> tuple[float, float, float, str]:
    if row.page is None or row.bbox is None:
        return (math.inf, math.inf, math.inf, row.name)
    return (row.page, row.bbox[1], row.bbox[0], row.name)


def document_page(
    doc: DocumentView, settings: Settings, *, revealed: dict[str, str] | None = None
) -> DocumentPage:
    """The review page of one document; ``revealed`` holds clear SSNs for this one view."""
    kinds = field_kinds(settings, doc.form_type)
    titles = pack_titles(settings, doc.form_type)
    rows = sorted(
        (_field_row(doc, f, settings, kinds, revealed or {}, titles) for f in doc.fields),
        key=_reading_order,
    )
    pages = []
    for page in doc.pages:
        size = _image_size(settings, page)
        has_image = size is not None and page_image_file(settings, page) is not None
        width, height = size or (1, 1)
        boxed = tuple(r for r in rows if r.page == page.number and r.bbox is not None and has_image)
        pages.append(PageRow(page.number, page.role, width, height, has_image, boxed))
    field_names = {f.name for f in doc.fields}
    document_issues = tuple(
        i
        for i in doc.issues
        if not i.resolved_by_review and (i.field is None or i.field not in field_names)
    )
    return DocumentPage(
        document_id=doc.document_id,
        source_name=doc.source_name,
        form_type=doc.form_type,
        record_type=doc.record_type,
        centre_id=doc.centre_id,
        status=doc.status,
        page_count=doc.page_count,
        received_label=when_label(doc.received_at or doc.processed_at),
        reviewed_by=doc.reviewed_by,
        pages=tuple(pages),
        fields=tuple(rows),
        document_issues=document_issues,
        flagged_count=sum(1 for r in rows if r.flagged),
        first_page=pages[0].number if pages else 1,
        has_sensitive=any(f.sensitive and f.value is not None for f in doc.fields),
    )


ACTION_LABELS = {
    "correct": "corrected",
    "undo": "undid the correction of",
    "approve": "approved the document",
    "reject": "rejected the document",
    "reopen": "reopened the document",
}


@dataclass(frozen=True, slots=True)
class HistoryRow:
    when: str
    reviewer: str
    action: str
    field_label: str | None
    old: str | None
    new: str | None
    reason: str | None


def history_row(event: ReviewEventView, titles: Mapping[str, str] | None = None) -> HistoryRow:
    """One line of the review history (SSNs arrive masked from the loader); ``titles``:
    a form pack's field titles."""
    return HistoryRow(
        when=f"{event.at:%Y-%m-%d %H:%M} UTC",
        reviewer=event.reviewer,
        action=ACTION_LABELS.get(event.action, event.action),
        field_label=field_label(event.field, titles) if event.field else None,
        old=display_value(event.old_value),
        new=display_value(event.new_value),
        reason=event.reason,
    )
