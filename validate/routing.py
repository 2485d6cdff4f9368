"""Review routing, field by field: every field is auto-accepted or needs a look.

A field needs a person (``FieldResult.needs_review``) for one reason, by precedence:

* ``blocking_issue`` — a blocking issue (:func:`validate.rules.is_blocking`) names it;
* ``unvalidated`` — its threshold is above 1 (``validate/thresholds.json`` "never"): no
  calibration showed its confidence can be trusted at the target accuracy;
* ``low_confidence`` — its confidence is below its threshold (``settings.threshold_for``,
  chosen for ``settings.target_accuracy`` by :mod:`validate.calibrate`).  Blank fields
  count too: a low-confidence blank may be a value the engine missed. A field read as
  nothing (no box marked, an empty zone) is judged by its blank bucket's threshold
  (:func:`faxflow.settings.routing_kind`), not its kind's;
* ``whole_document`` — the document itself is in doubt (below), so every field waits.

The document's status:

* ``rejected`` only for a document that could not be read at all: no page matched a known
  form (the pipeline rejects refused files itself, before extraction);
* ``needs_review`` when any field needs a look, or the whole document is in doubt: the form
  type is unknown although a page matched, a page is of no known kind, or a blocking issue
  names no field of the record (``possible_duplicate``, ``duplicate_check_failed`` …);
* ``accepted`` otherwise — no doubtful field and no blocking issue; except that a share
  (``settings.qa_sample_share``, by document id: :func:`in_qa_sample`) of these go to a
  person for blind QA (issue ``qa_sample``, status ``needs_review``, fields still marked
  auto-accepted): the reviewer types what the form says without seeing the machine's
  value, which measures production accuracy.

The supervision task of a ``needs_review`` document is its fields with ``needs_review``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from faxflow.model import Extraction, FieldResult, FormType, Issue, PageRole, Status
from faxflow.settings import Settings, routing_kind
from validate.rules import is_blocking

UNREADABLE = "unreadable_document"
UNKNOWN_FORM = "unknown_form"
LOW_CONFIDENCE = "low_confidence"
DEFAULT_KIND = "text"

# Field review reasons (stable codes: stored in fields.review_reason, shown to reviewers).
BLOCKING_ISSUE = "blocking_issue"
UNVALIDATED = "unvalidated"
WHOLE_DOCUMENT = "whole_document"
REVIEW_REASONS = (BLOCKING_ISSUE, UNVALIDATED, LOW_CONFIDENCE, WHOLE_DOCUMENT)


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
        kind = routing_kind(field_kinds.get(name, DEFAULT_KIND), evidence.value)
        threshold = settings.threshold_for(name, kind)
        if evidence.confidence < threshold:
            yield name, evidence.confidence, threshold


def fields_with_blocking_issues(issues: Sequence[Issue]) -> frozenset[str]:
    """Fields named by a blocking issue other than ``low_confidence`` (that one is the
    confidence test itself, reported as its own reason)."""
    return frozenset(
        i.field for i in issues if i.field and i.code != LOW_CONFIDENCE and is_blocking(i)
    )


def whole_document_in_doubt(extraction: Extraction, issues: Sequence[Issue]) -> bool:
    """A person must see the whole document, not only some fields: the form type is
    unknown, a page is of no known kind, or a blocking issue names no field of the record."""
    if extraction.form_type is FormType.UNKNOWN:
        return True
    if any(page.role is PageRole.UNKNOWN for page in extraction.pages):
        return True
    return any(
        is_blocking(i) and (i.field is None or i.field not in extraction.fields) for i in issues
    )


def review_reason(
    name: str,
    evidence: FieldResult,
    *,
    kind: str,
    settings: Settings,
    blocked_fields: frozenset[str] = frozenset(),
    whole_document: bool = False,
) -> str | None:
    """Why one field needs a person (a code of :data:`REVIEW_REASONS`), or None when it is
    auto-accepted at the configured target accuracy."""
    if name in blocked_fields:
        return BLOCKING_ISSUE
    threshold = settings.threshold_for(name, routing_kind(kind, evidence.value))
    if threshold > 1:
        return UNVALIDATED
    if evidence.confidence < threshold:
        return LOW_CONFIDENCE
    return WHOLE_DOCUMENT if whole_document else None


def decide_fields(
    extraction: Extraction, issues: Sequence[Issue], settings: Settings
) -> dict[str, FieldResult]:
    """The extraction's fields, each marked ``needs_review`` with its ``review_reason``."""
    blocked = fields_with_blocking_issues(issues)
    whole = whole_document_in_doubt(extraction, issues)
    decided: dict[str, FieldResult] = {}
    for name, evidence in extraction.fields.items():
        reason = review_reason(
            name,
            evidence,
            kind=extraction.field_kinds.get(name, DEFAULT_KIND),
            settings=settings,
            blocked_fields=blocked,
            whole_document=whole,
        )
        decided[name] = evidence.model_copy(
            update={"needs_review": reason is not None, "review_reason": reason}
        )
    return decided


QA_SAMPLE = "qa_sample"


def in_qa_sample(document_id: str, share: float) -> bool:
    """Whether an auto-accepted document goes to blind QA review: decided by its id (a
    sha256), so the same document is always sampled or not, and ``share`` of documents
    are, whatever arrives."""
    if share <= 0 or not document_id:
        return False
    try:
        position = int(document_id[:8], 16) / 0x1_0000_0000
    except ValueError:
        return False
    return position < share


def route(extraction: Extraction, issues: Sequence[Issue], settings: Settings) -> Status:
    """The document's status (see the module docstring)."""
    if is_unreadable(extraction) or any(i.code == UNREADABLE for i in issues):
        return Status.REJECTED
    if whole_document_in_doubt(extraction, issues):
        return Status.NEEDS_REVIEW
    if any(f.needs_review for f in decide_fields(extraction, issues, settings).values()):
        return Status.NEEDS_REVIEW
    return Status.ACCEPTED
