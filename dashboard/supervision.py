"""The supervision task of one document: only the fields the machine doubts.

Routing (:mod:`validate.routing`) marks every field auto-accepted or ``needs_review``;
the task lists the doubtful ones, each with a crop of its page around its box, the value
read and the steps that changed it (provenance). Auto-accepted fields are listed apart,
collapsed. Documents loaded before field-level routing (``needs_review`` NULL) fall back
to the review page's rule: below the field's threshold or named by an open issue.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image

from dashboard.fields import (
    display_value,
    edit_text,
    field_label,
    input_hint,
    pack_titles,
    property_schema,
)
from dashboard.redaction import Redaction, png_bytes, redacted_image
from dashboard.views import (
    confidence_band,
    field_kinds,
    page_image_file,
    threshold_of,
)
from faxflow.packs import choice_titles
from faxflow.settings import Settings
from loaders.review import DocumentView, FieldView
from validate.routing import QA_SAMPLE

CROP_MARGIN = 0.6
"""Around a field's box, this share of its size on each side (at least 40 px): enough of
the form to read the printed label beside the writing."""

REASON_LABELS = {
    "low_confidence": "read with low confidence",
    "unvalidated": "no calibration vouches for this field yet",
    "blocking_issue": "a check failed",
    "whole_document": "the whole document is in doubt",
    "qa_sample": "blind QA sample",
}


@dataclass(frozen=True, slots=True)
class TaskField:
    name: str
    label: str
    display: str | None
    edit_value: str
    hint: str
    confidence_label: str
    reason: str  # a code of validate.routing.REVIEW_REASONS (or "legacy")
    reason_label: str
    decision: str | None  # None: still to check
    decided_by: str | None
    issues: tuple[str, ...]  # open issue messages naming this field
    provenance: tuple[str, ...]  # "step: before → after"
    raw_text: str | None
    has_crop: bool
    editable: bool
    sensitive: bool
    band: str  # colour: high only when routing auto-accepted it


@dataclass(frozen=True, slots=True)
class SupervisionTask:
    document_id: str
    source_name: str
    form_type: str
    status: str
    centre_id: str | None
    doubtful: tuple[TaskField, ...]
    automatic: tuple[TaskField, ...]
    document_issues: tuple[str, ...]
    whole_document: bool
    qa: bool = False  # blind QA: the machine's values are not shown before the answer

    @property
    def open_count(self) -> int:
        return sum(1 for f in self.doubtful if f.decision is None)


def is_doubtful(field: FieldView, *, threshold: float, open_issue: bool) -> bool:
    """Whether a person must see this field: routing's verdict when it was stored, else
    the older rule (below its threshold, or an open issue names it)."""
    if field.needs_review is not None:
        return field.needs_review
    confidence = field.confidence if field.confidence is not None else 0.0
    return confidence < threshold or open_issue


def band_of(field: FieldView, *, doubtful: bool, threshold: float) -> str:
    """Green (``high``) only for a value routing auto-accepted or a person decided; a
    doubtful value is amber, or red when read below 50 %."""
    if field.decision in ("confirmed", "corrected") or field.reviewed:
        return "high"
    if not doubtful:
        return "high"
    band = confidence_band(field.confidence, threshold)
    return "mid" if band == "high" else band


def _provenance(field: FieldView, choices: dict[str, str]) -> tuple[str, ...]:
    steps = []
    for step in field.provenance:
        before, after = display_value(step.before, choices), display_value(step.after, choices)
        steps.append(f"{step.step or '?'}: {before or 'blank'} → {after or 'blank'}")
    return tuple(steps)


def supervision_task(doc: DocumentView, settings: Settings) -> SupervisionTask:
    kinds = field_kinds(settings, doc.form_type)
    titles = pack_titles(settings, doc.form_type)
    open_issues = [i for i in doc.issues if not i.resolved_by_review]
    qa = doc.status == "needs_review" and any(i.code == QA_SAMPLE for i in doc.issues)
    pages_with_image = {p.number for p in doc.pages if page_image_file(settings, p) is not None}
    doubtful: list[TaskField] = []
    automatic: list[TaskField] = []
    for field in doc.fields:
        threshold = threshold_of(settings, kinds, field.name, field.machine_value)
        issues = tuple(i.message for i in open_issues if i.field == field.name)
        # SSNs stay out of blind QA: their stored value is masked, nothing to compare with.
        doubt = (qa and not field.sensitive) or (
            not qa and is_doubtful(field, threshold=threshold, open_issue=bool(issues))
        )
        reason = QA_SAMPLE if qa else field.review_reason or ("legacy" if doubt else "")
        blind = qa and field.decision not in ("confirmed", "corrected")
        prop = property_schema(doc.record_type, field.name, settings)
        choices = choice_titles(prop) if prop is not None else {}
        row = TaskField(
            name=field.name,
            label=field_label(field.name, titles),
            display=None if blind else display_value(field.value, choices),
            edit_value="" if field.sensitive or blind else edit_text(field.value),
            hint=input_hint(doc.record_type, field.name, settings),
            confidence_label="—" if field.confidence is None else f"{field.confidence * 100:.0f}%",
            reason=reason,
            reason_label=REASON_LABELS.get(reason, "below its threshold or has an issue"),
            decision=field.decision
            if doubt and not (qa and field.decision == "auto")
            else (None if qa else field.decision or "auto"),
            decided_by=field.decided_by,
            issues=issues,
            provenance=() if blind else _provenance(field, choices),
            raw_text=None if field.sensitive or blind else field.raw_text,
            has_crop=field.bbox is not None and field.page in pages_with_image,
            editable=property_schema(doc.record_type, field.name, settings) is not None,
            sensitive=field.sensitive,
            band=band_of(field, doubtful=doubt, threshold=threshold),
        )
        (doubtful if doubt else automatic).append(row)
    names = {f.name for f in doc.fields}
    document_issues = tuple(
        i.message for i in open_issues if i.field is None or i.field not in names
    )
    return SupervisionTask(
        document_id=doc.document_id,
        source_name=doc.source_name,
        form_type=doc.form_type,
        status=doc.status,
        centre_id=doc.centre_id,
        doubtful=tuple(sorted(doubtful, key=lambda f: (f.decision is not None, f.name))),
        automatic=tuple(automatic),
        document_issues=document_issues,
        whole_document=any(f.review_reason == "whole_document" for f in doc.fields),
        qa=qa,
    )


def crop_box(
    bbox: tuple[int, int, int, int], size: tuple[int, int], *, margin: float = CROP_MARGIN
) -> tuple[int, int, int, int]:
    """The field's box grown by ``margin`` of its size on each side (at least 40 px),
    clipped to the page."""
    x0, y0, x1, y1 = bbox
    grow_x = max(40, int((x1 - x0) * margin))
    grow_y = max(40, int((y1 - y0) * margin))
    width, height = size
    return (
        max(0, x0 - grow_x),
        max(0, y0 - grow_y),
        min(width, x1 + grow_x),
        min(height, y1 + grow_y),
    )


def field_crop_png(
    doc: DocumentView, field_name: str, settings: Settings, redaction: Redaction | None = None
) -> bytes | None:
    """PNG bytes of the page around one field's box, or None when there is no box or no
    stored image; ``redaction`` is blacked out of the page first (roles that may not
    read SSNs)."""
    field: Any = doc.field(field_name)
    if field is None or field.bbox is None or field.page is None:
        return None
    page = next((p for p in doc.pages if p.number == field.page), None)
    path = page_image_file(settings, page) if page is not None else None
    if path is None:
        return None
    if redaction is not None:
        image = redacted_image(path, redaction)
        x0, y0, x1, y1 = crop_box(field.bbox, (image.shape[1], image.shape[0]))
        return png_bytes(image[y0:y1, x0:x1])
    with Image.open(path) as opened:
        crop = opened.crop(crop_box(field.bbox, opened.size))
        out = io.BytesIO()
        crop.save(out, format="PNG")
    return out.getvalue()
