"""Validation, cross-field checks and review routing.

The pipeline calls :func:`validate_extraction` once per document::

    outcome = validate_extraction(
        extraction, settings=settings, duplicate_finder=finder, document_id=source.document_id
    )
    outcome.issues, outcome.status, outcome.fields  # fields marked needs_review / reason

``document_id`` matters when a document is re-processed: without it, the duplicate look-up
finds the document's own earlier load and flags it as its own duplicate.

Rules live in :mod:`validate.rules` (codes documented there), routing in
:mod:`validate.routing`, threshold calibration in :mod:`validate.calibrate`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from faxflow.errors import FaxflowError
from faxflow.model import (
    RECORD_TYPE_BY_FORM,
    Extraction,
    FieldResult,
    FormType,
    Issue,
    RecordType,
    Status,
)
from faxflow.packs import FormPack, Identity, built_in_rules
from faxflow.settings import Settings
from validate.declared import check_declared
from validate.routing import (
    LOW_CONFIDENCE,
    QA_SAMPLE,
    UNKNOWN_FORM,
    UNREADABLE,
    decide_fields,
    in_qa_sample,
    is_unreadable,
    low_confidence_fields,
    route,
)
from validate.rules import check_record, merge_issues

__all__ = ["DuplicateFinder", "ValidationOutcome", "required_fields", "validate_extraction"]

log = logging.getLogger(__name__)

DuplicateFinder = Callable[..., list[str]]
"""``finder(*, record_type, document_id, person_names, birth_date, event_date) -> [ids]``
(the shape of ``loaders.duplicates.find_possible_duplicates`` with its engine bound)."""


@dataclass(frozen=True, slots=True)
class ValidationOutcome:
    issues: tuple[Issue, ...]
    status: Status
    # The extraction's fields, each marked auto-accepted or needing a look (with a reason).
    fields: dict[str, FieldResult] = field(default_factory=dict)


def _routed(
    extraction: Extraction, issues: tuple[Issue, ...], settings: Settings, document_id: str = ""
) -> ValidationOutcome:
    status = route(extraction, issues, settings)
    fields = decide_fields(extraction, issues, settings)
    if status is Status.ACCEPTED and in_qa_sample(document_id, settings.qa_sample_share):
        # The fields stay auto-accepted: the sample checks what the machine let through.
        sample = Issue(code=QA_SAMPLE, message="blind QA sample of an auto-accepted document")
        issues, status = (*issues, sample), Status.NEEDS_REVIEW
    return ValidationOutcome(issues, status, fields)


def required_fields(form_type: FormType | str, settings: Settings) -> frozenset[str]:
    """Fields the form's template marks ``required`` (none when there is no template)."""
    from faxflow.packs import pack_templates

    try:
        templates = pack_templates(settings)
    except FaxflowError as exc:
        log.warning("templates unavailable for required-field checks: %s", exc.code.value)
        return frozenset()
    template = templates.get(form_type)
    if template is None:
        return frozenset()
    return frozenset(spec.name for spec in template.fields if spec.required)


def duplicate_issues(
    extraction: Extraction,
    finder: DuplicateFinder,
    *,
    document_id: str = "",
    identity: Identity | None = None,
) -> Iterable[Issue]:
    """``possible_duplicate`` when the same person and event already is in the database.
    ``identity`` (the form's ``rules.yaml``) names the person's names, birth date and event
    dates (the first filled one counts); without one there is no look-up."""
    if identity is None:
        return []
    built_in = RECORD_TYPE_BY_FORM.get(extraction.form_type)
    record_type: RecordType | str = built_in or str(extraction.form_type)
    name_fields, birth_field = identity.names, identity.birth_date
    event_fields = identity.event_dates
    record = extraction.record
    names = [v for n in name_fields if isinstance(v := record.get(n), str) and v.strip()]
    birth = record.get(birth_field) if birth_field else None
    event = next((record[n] for n in event_fields if isinstance(record.get(n), str)), None)
    if not names or (birth_field is not None and not isinstance(birth, str)):
        return []  # not enough to identify a person; missing_required already says so
    try:
        # a pack's identity travels with the look-up: its records are JSON, its fields data
        pack_identity = {"identity": identity.model_dump()} if built_in is None else {}
        earlier = finder(
            record_type=record_type,
            document_id=document_id,
            person_names=names,
            birth_date=birth,
            event_date=event,
            **pack_identity,
        )
    except FaxflowError as exc:
        log.warning("duplicate look-up failed: %s", exc.code.value)
        return [
            Issue(
                code="duplicate_check_failed",
                message=f"duplicate look-up failed ({exc.code.value})",
            )
        ]
    earlier = [d for d in dict.fromkeys(earlier) if d and d != document_id]
    if not earlier:
        return []
    return [
        Issue(
            field=None,
            code="possible_duplicate",
            message="same person and event as earlier document(s) " + ", ".join(earlier),
        )
    ]


def _pack(extraction: Extraction, settings: Settings) -> FormPack | None:
    from faxflow.packs import pack_for

    return pack_for(str(extraction.form_type), settings)


def validate_extraction(
    extraction: Extraction,
    *,
    settings: Settings,
    duplicate_finder: DuplicateFinder | None = None,
    document_id: str = "",
    today: date | None = None,
) -> ValidationOutcome:
    """Check one extracted document and decide where it goes.

    Issues are the engine's own (``extraction.issues``) merged by (field, code) with the
    rules', plus ``possible_duplicate`` from ``duplicate_finder`` and one ``low_confidence``
    per field below its threshold, so a reviewer sees why a document waits.  ``document_id``
    lets the finder skip the document itself when it is re-processed.
    """
    if is_unreadable(extraction):
        issue = Issue(code=UNREADABLE, message="no page matched a known form")
        return ValidationOutcome(
            (*extraction.issues, issue),
            Status.REJECTED,
            decide_fields(extraction, (*extraction.issues, issue), settings),
        )
    if extraction.form_type is FormType.UNKNOWN:
        issue = Issue(code=UNKNOWN_FORM, message="a page matched a form, but not which one")
        return _routed(extraction, tuple(merge_issues(extraction.issues, [issue])), settings)
    pack = None if extraction.form_type in RECORD_TYPE_BY_FORM else _pack(extraction, settings)
    if pack is not None and pack.rules is not None:
        found = check_declared(
            pack.rules,
            pack.schema,
            extraction.record,
            extraction.fields,
            required=required_fields(extraction.form_type, settings),
            today=today,
        )
    else:
        found = check_record(
            extraction.form_type,
            extraction.record,
            extraction.fields,
            required=required_fields(extraction.form_type, settings),
            today=today,
        )
    if pack is not None:
        identity = pack.rules.identity if pack.rules is not None else None
    else:
        rules = built_in_rules(settings.templates_dir, str(extraction.form_type))
        identity = rules.identity if rules is not None else None
    dupes = (
        duplicate_issues(extraction, duplicate_finder, document_id=document_id, identity=identity)
        if duplicate_finder
        else []
    )
    low = [
        Issue(
            field=name,
            code=LOW_CONFIDENCE,
            message=f"{name} read with confidence {conf:.2f}, below its threshold {threshold:.2f}",
        )
        for name, conf, threshold in low_confidence_fields(
            extraction.fields, extraction.field_kinds, settings
        )
    ]
    issues = tuple(merge_issues(extraction.issues, found, dupes, low))
    return _routed(extraction, issues, settings, document_id)
