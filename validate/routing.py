"""Review routing: accepted, needs_review or rejected, from issues and field confidence.

* ``rejected`` only for a document that could not be read at all: no page matched a known
  form (the pipeline rejects refused files itself, before extraction).
* ``needs_review`` when the form type is unknown although a page matched, when any
  blocking issue is present (:func:`validate.rules.is_blocking`)
  or any field's confidence is below its threshold (``settings.threshold_for``).  Blank
  fields count too: a low-confidence blank may be a value the engine missed.
* ``accepted`` otherwise.

Thresholds come from ``faxflow calibrate`` (``validate/thresholds.json``, the settings
default); see :mod:`validate.calibrate`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from faxflow.model import Extraction, FieldResult, FormType, Issue, PageRole, Status
from faxflow.settings import Settings
from validate.rules import is_blocking

UNREADABLE = "unreadable_document"
UNKNOWN_FORM = "unknown_form"
LOW_CONFIDENCE = "low_confidence"
DEFAULT_KIND = "text"


def is_unreadable(extraction: Extraction) -> bool:
    """The form is unknown and not one page matched a template."""
    return extraction.form_type is FormType.UNKNOWN and not any(
        page.role is PageRole.FORM for page in extraction.pages
    )


def low_confidence_fields(
    fields: Mapping[str, FieldResult], field_kinds: Mapping[str, str], settings: Settings
) -> Iterator[tuple[str, float, float]]:
    """(field, confidence, threshold) for every field below its auto-accept threshold."""
    for name, evidence in fields.items():
        kind = field_kinds.get(name, DEFAULT_KIND)
        threshold = settings.threshold_for(name, kind)
        if evidence.confidence < threshold:
            yield name, evidence.confidence, threshold


def route(extraction: Extraction, issues: Sequence[Issue], settings: Settings) -> Status:
    """The document's status (see the module docstring)."""
    if is_unreadable(extraction) or any(i.code == UNREADABLE for i in issues):
        return Status.REJECTED
    if extraction.form_type is FormType.UNKNOWN:
        return Status.NEEDS_REVIEW  # some page matched, but no record could be built
    if any(is_blocking(issue) for issue in issues):
        return Status.NEEDS_REVIEW
    if next(low_confidence_fields(extraction.fields, extraction.field_kinds, settings), None):
        return Status.NEEDS_REVIEW
    return Status.ACCEPTED
