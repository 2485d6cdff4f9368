"""What reviewers and the dashboard do with stored documents.

Every change is a row in ``review_events`` (who, when, field, old → new) written in the
same transaction as the change itself, so the loader can re-apply it after a reprocess.
Sensitive values (SSNs) are masked everywhere here except :func:`reveal`, the one
function that decrypts, which writes an ``audit_events`` row.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import jsonschema
import sqlalchemy as sa
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Session

from faxflow.errors import ErrorCode, ExitCode, FaxflowError
from faxflow.model import RecordType, Status
from faxflow.settings import Settings
from loaders.audit import REVEAL_SSN, write_audit
from loaders.crypto import decrypt
from loaders.db import session_scope
from loaders.load import (
    APPROVE,
    AUTO,
    CONFIRM,
    CONFIRMED,
    CORRECT,
    CORRECTED,
    DECISION_STATUS,
    MACHINE_ACTOR,
    REJECT,
    REOPEN,
    UNDO,
    Sealed,
    column_value,
    pack_of,
    pack_values,
    review_state,
    seal,
)
from loaders.records import (
    HOUSEHOLD_MEMBERS,
    is_sensitive,
    member_properties,
    parse_field_path,
    record_properties,
    to_json_value,
)
from loaders.tables import (
    RECORD_TABLES,
    documents,
    fields,
    form_records,
    household_members,
    masked_column,
    pages,
    review_events,
    utc_now,
    validation_issues,
)

log = logging.getLogger(__name__)


class DocumentNotFound(FaxflowError):
    """No stored document has this id."""

    code = ErrorCode.NOT_FOUND
    exit_code = ExitCode.INPUT_ERROR
    transient = False


class DocumentNotInReview(FaxflowError):
    """A review action (correct, approve, reject) on a document that is not waiting for
    review: already decided, accepted by the machine, or rejected by the pipeline."""

    code = ErrorCode.NOT_IN_REVIEW
    exit_code = ExitCode.BAD_ARGS
    transient = False


def _require_in_review(doc: Any, action: str) -> None:
    """Refuse ``action`` unless the (locked) document row is in review."""
    if doc.status != Status.NEEDS_REVIEW.value:
        raise DocumentNotInReview(
            f"document {doc.document_id[:12]} is {doc.status.replace('_', ' ')}, not in "
            f"review: it cannot be {action}; nothing was changed"
        )


class InvalidCorrection(FaxflowError):
    """A reviewer's value does not fit the field (the message names the field and rule,
    never the value)."""

    code = ErrorCode.CONFIG
    exit_code = ExitCode.BAD_ARGS
    transient = False


# --------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One document waiting for a reviewer."""

    document_id: str
    source_name: str
    centre_id: str | None
    form_type: str
    status: str
    received_at: datetime | None
    processed_at: datetime
    page_count: int
    issue_codes: tuple[str, ...]  # distinct codes of unresolved issues, sorted
    issue_count: int  # unresolved issues


@dataclass(frozen=True, slots=True)
class FieldView:
    """One field as a reviewer sees it (SSNs masked)."""

    name: str
    value: Any
    machine_value: Any
    raw_text: str | None
    confidence: float | None
    page: int | None
    bbox: tuple[int, int, int, int] | None
    sensitive: bool
    reviewed: bool
    reviewed_by: str | None
    reviewed_at: datetime | None
    needs_review: bool | None = None  # routing's verdict (None: loaded before it existed)
    review_reason: str | None = None
    decision: str | None = None  # auto | confirmed | corrected; None while it waits
    decided_by: str | None = None
    provenance: tuple[ProvenanceView, ...] = ()


@dataclass(frozen=True, slots=True)
class ProvenanceView:
    """One step that changed a field's value after reading (masked for SSNs)."""

    step: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class IssueView:
    field: str | None
    code: str
    message: str
    resolved_by_review: bool


@dataclass(frozen=True, slots=True)
class PageView:
    number: int
    role: str
    form_type: str | None
    template_page: int | None
    rotation: int
    image_path: str | None  # relative to settings.var_dir
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class ReviewEventView:
    at: datetime
    reviewer: str
    action: str  # correct, undo, approve, reject, reopen
    field: str | None
    old_value: Any  # masked for SSNs
    new_value: Any
    reason: str | None


@dataclass(frozen=True, slots=True)
class DocumentView:
    """A stored document with its record, evidence and history; SSNs masked."""

    document_id: str
    source_name: str
    centre_id: str | None
    form_type: str
    record_type: str | None
    status: str
    machine_status: str
    page_count: int
    received_at: datetime | None
    processed_at: datetime
    updated_at: datetime
    pipeline_version: str
    template_version: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    record: dict[str, Any]  # every schema property; SSNs as ***-**-1234
    fields: tuple[FieldView, ...]
    issues: tuple[IssueView, ...]
    pages: tuple[PageView, ...]
    history: tuple[ReviewEventView, ...]

    def field(self, name: str) -> FieldView | None:
        return next((f for f in self.fields if f.name == name), None)


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


def _document_row(session: Session, document_id: str, *, lock: bool = False) -> Any:
    query = sa.select(documents).where(documents.c.document_id == document_id)
    if lock:
        query = query.with_for_update()
    row = session.execute(query).first()
    if row is None:
        raise DocumentNotFound(f"no stored document with id {document_id[:16]}…")
    return row


def review_queue(
    engine: Engine,
    *,
    centre: str | None = None,
    form_type: str | None = None,
    issue_code: str | None = None,
    limit: int | None = None,
    centres: Collection[str] | None = None,
) -> list[QueueItem]:
    """Documents that need review, oldest arrival first, optionally filtered by centre,
    form type and the code of an unresolved issue; only ``centres``' documents (None:
    every centre's)."""
    open_issue = sa.and_(
        validation_issues.c.document_id == documents.c.document_id,
        validation_issues.c.resolved_by_review.is_(False),
    )
    query = sa.select(documents).where(documents.c.status == Status.NEEDS_REVIEW.value)
    if centre is not None:
        query = query.where(documents.c.centre_id == centre)
    if centres is not None:
        query = query.where(documents.c.centre_id.in_(sorted(centres)))
    if form_type is not None:
        query = query.where(documents.c.form_type == form_type)
    if issue_code is not None:
        query = query.where(sa.exists().where(open_issue, validation_issues.c.code == issue_code))
    arrival = sa.func.coalesce(documents.c.received_at, documents.c.processed_at)
    query = query.order_by(arrival, documents.c.document_id)
    if limit is not None:
        query = query.limit(limit)
    with session_scope(engine) as session:
        rows = session.execute(query).all()
        ids = [row.document_id for row in rows]
        codes: dict[str, list[str]] = {i: [] for i in ids}
        if ids:
            for doc, code in session.execute(
                sa.select(validation_issues.c.document_id, validation_issues.c.code).where(
                    validation_issues.c.document_id.in_(ids),
                    validation_issues.c.resolved_by_review.is_(False),
                )
            ):
                codes[doc].append(code)
    return [
        QueueItem(
            document_id=row.document_id,
            source_name=row.source_name,
            centre_id=row.centre_id,
            form_type=row.form_type,
            status=row.status,
            received_at=row.received_at,
            processed_at=row.processed_at,
            page_count=row.page_count,
            issue_codes=tuple(sorted(set(codes[row.document_id]))),
            issue_count=len(codes[row.document_id]),
        )
        for row in rows
    ]


def _record_kind(record_type: str) -> RecordType | str:
    """A stored record type: a built-in one's enum member, else a form pack's name."""
    return RecordType(record_type) if record_type in set(RecordType) else record_type


def _pack_record(session: Session, document_id: str) -> dict[str, Any]:
    stored = session.execute(
        sa.select(form_records.c.record).where(form_records.c.document_id == document_id)
    ).scalar()
    return dict(stored) if isinstance(stored, dict) else {}


def _masked_pack_record(session: Session, document_id: str) -> dict[str, Any]:
    """A form pack's record as stored, sensitive values shown by their masked copies."""
    stored = _pack_record(session, document_id)
    masked = {masked_column(name) for name in stored if is_sensitive(name)}
    return {
        name: stored.get(masked_column(name)) if is_sensitive(name) else value
        for name, value in stored.items()
        if name not in masked
    }


def _masked_record(
    session: Session, record_type: RecordType | str, document_id: str
) -> dict[str, Any]:
    if not isinstance(record_type, RecordType):
        return _masked_pack_record(session, document_id)
    table = RECORD_TABLES[record_type]
    row = session.execute(sa.select(table).where(table.c.document_id == document_id)).first()
    if row is None:
        return {}
    values = row._mapping

    def shown(properties: dict[str, dict[str, Any]], mapping: Any) -> dict[str, Any]:
        return {
            name: mapping[f"{name}_masked"] if is_sensitive(name) else to_json_value(mapping[name])
            for name in properties
            if name != HOUSEHOLD_MEMBERS
        }

    record = shown(record_properties(record_type), values)
    if record_type is RecordType.BENEFIT_APPLICATION:
        members = session.execute(
            sa.select(household_members)
            .where(household_members.c.document_id == document_id)
            .order_by(household_members.c.position)
        ).all()
        record[HOUSEHOLD_MEMBERS] = [shown(member_properties(), m._mapping) for m in members]
    # schema order, household members where the schema puts them
    order = list(record_properties(record_type))
    return {name: record[name] for name in order if name in record}


def get_document(engine: Engine, document_id: str) -> DocumentView:
    """Everything stored about one document, SSNs masked. Raises DocumentNotFound."""
    with session_scope(engine) as session:
        doc = _document_row(session, document_id)
        record = (
            _masked_record(session, _record_kind(doc.record_type), document_id)
            if doc.record_type
            else {}
        )
        field_rows = session.execute(
            sa.select(fields).where(fields.c.document_id == document_id).order_by(fields.c.id)
        ).all()
        issue_rows = session.execute(
            sa.select(validation_issues)
            .where(validation_issues.c.document_id == document_id)
            .order_by(validation_issues.c.id)
        ).all()
        page_rows = session.execute(
            sa.select(pages).where(pages.c.document_id == document_id).order_by(pages.c.number)
        ).all()
        event_rows = session.execute(
            sa.select(review_events)
            .where(review_events.c.document_id == document_id)
            .order_by(review_events.c.id)  # insertion order, not clocks
        ).all()
    return DocumentView(
        document_id=doc.document_id,
        source_name=doc.source_name,
        centre_id=doc.centre_id,
        form_type=doc.form_type,
        record_type=doc.record_type,
        status=doc.status,
        machine_status=doc.machine_status,
        page_count=doc.page_count,
        received_at=doc.received_at,
        processed_at=doc.processed_at,
        updated_at=doc.updated_at,
        pipeline_version=doc.pipeline_version,
        template_version=doc.template_version,
        reviewed_by=doc.reviewed_by,
        reviewed_at=doc.reviewed_at,
        record=record,
        fields=tuple(
            FieldView(
                name=f.name,
                value=f.value,
                machine_value=f.machine_value,
                raw_text=f.raw_text,
                confidence=f.confidence,
                page=f.page,
                bbox=(f.x0, f.y0, f.x1, f.y1) if f.x0 is not None else None,
                sensitive=f.sensitive,
                reviewed=f.reviewed,
                reviewed_by=f.reviewed_by,
                reviewed_at=f.reviewed_at,
                needs_review=f.needs_review,
                review_reason=f.review_reason,
                decision=f.decision,
                decided_by=f.decided_by,
                provenance=tuple(
                    ProvenanceView(p.get("step", ""), p.get("before"), p.get("after"))
                    for p in (f.provenance or [])
                    if isinstance(p, dict)
                ),
            )
            for f in field_rows
        ),
        issues=tuple(
            IssueView(i.field, i.code, i.message, i.resolved_by_review) for i in issue_rows
        ),
        pages=tuple(
            PageView(
                p.number,
                p.role,
                p.form_type,
                p.template_page,
                p.rotation,
                p.image_path,
                p.width,
                p.height,
            )
            for p in page_rows
        ),
        history=tuple(
            ReviewEventView(e.at, e.reviewer, e.action, e.field, e.old_value, e.new_value, e.reason)
            for e in event_rows
        ),
    )


# --------------------------------------------------------------------------------------
# Changing
# --------------------------------------------------------------------------------------


def _check_reviewer(reviewer: str) -> str:
    name = reviewer.strip()
    if not name or len(name) > 64:
        raise InvalidCorrection("the reviewer's user name must be 1-64 characters")
    return name


def _property_schema(
    record_type: RecordType | str, field: str, settings: Settings | None
) -> dict[str, Any]:
    """The schema of the property a field name addresses (``x#2`` extras use ``x``'s); a
    form pack's from its ``schema.json``, found through ``settings``."""
    path = parse_field_path(field.split("#", 1)[0])
    if not isinstance(record_type, RecordType):
        pack_properties: dict[str, Any] = pack_of(record_type, settings).schema["properties"]
        if path.list_name is not None or path.prop not in pack_properties:
            raise InvalidCorrection(f"field {field!r} is not part of a {record_type} record")
        return dict(pack_properties[path.prop])
    if path.list_name is not None:
        if path.list_name != HOUSEHOLD_MEMBERS or record_type is not RecordType.BENEFIT_APPLICATION:
            raise InvalidCorrection(f"field {field!r} is not part of a {record_type.value} record")
        properties = member_properties()
    else:
        properties = record_properties(record_type)
    if path.prop not in properties or path.prop == HOUSEHOLD_MEMBERS:
        raise InvalidCorrection(f"field {field!r} is not part of a {record_type.value} record")
    return properties[path.prop]


def _check_value(
    record_type: RecordType | str, field: str, value: Any, settings: Settings | None
) -> None:
    schema = _property_schema(record_type, field, settings)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is not None:
        rule = error.validator
        hint = ""
        if "enum" in schema:
            hint = f"; one of {', '.join(repr(v) for v in schema['enum'] if v is not None)} or null"
        elif schema.get("format") == "date":
            hint = "; a date is written YYYY-MM-DD"
        elif "pattern" in schema:
            hint = f"; it must match {schema['pattern']}"
        raise InvalidCorrection(f"the value for {field!r} violates '{rule}'{hint}")


def _set_typed_value(
    session: Session,
    record_type: RecordType | str,
    document_id: str,
    field: str,
    value: Any,
    settings: Settings | None,
) -> None:
    if "#" in field:
        return  # a second reading of a field: not part of the record
    if not isinstance(record_type, RecordType):
        record = _pack_record(session, document_id)
        prop = _property_schema(record_type, field, settings)
        record.update(pack_values(field, prop, value, settings))
        session.execute(
            sa.update(form_records)
            .where(form_records.c.document_id == document_id)
            .values(record=record)
        )
        return
    columns = column_value(record_type, field, value)
    path = parse_field_path(field)
    if path.list_name == HOUSEHOLD_MEMBERS and path.index is not None:
        where = sa.and_(
            household_members.c.document_id == document_id,
            household_members.c.position == path.index,
        )
        updated = session.execute(sa.update(household_members).where(where).values(**columns))
        if cast(CursorResult[Any], updated).rowcount == 0:
            session.execute(
                sa.insert(household_members).values(
                    document_id=document_id, position=path.index, **columns
                )
            )
        return
    table = RECORD_TABLES[record_type]
    updated = session.execute(
        sa.update(table).where(table.c.document_id == document_id).values(**columns)
    )
    if cast(CursorResult[Any], updated).rowcount == 0:
        session.execute(sa.insert(table).values(document_id=document_id, **columns))


def _current_field(session: Session, document_id: str, field: str) -> Any:
    return session.execute(
        sa.select(fields).where(fields.c.document_id == document_id, fields.c.name == field)
    ).first()


def _add_event(session: Session, document_id: str, **values: Any) -> None:
    session.execute(sa.insert(review_events).values(document_id=document_id, **values))


def _resolve_issues(session: Session, document_id: str, field: str, *, resolved: bool) -> None:
    session.execute(
        sa.update(validation_issues)
        .where(validation_issues.c.document_id == document_id, validation_issues.c.field == field)
        .values(resolved_by_review=resolved)
    )


def _update_document(session: Session, document_id: str, **values: Any) -> None:
    session.execute(
        sa.update(documents).where(documents.c.document_id == document_id).values(**values)
    )


def apply_correction(
    engine: Engine,
    document_id: str,
    field: str,
    new_value: Any,
    *,
    reviewer: str,
    settings: Settings | None = None,
) -> None:
    """Set a field to a reviewer's value: a review event (old → new), the ``fields`` row
    and the typed record row, in one transaction. The value must fit the schema
    (dates YYYY-MM-DD, enum values …) or :class:`InvalidCorrection` is raised."""
    reviewer = _check_reviewer(reviewer)
    now = utc_now()
    with session_scope(engine, write=True) as session:
        doc = _document_row(session, document_id, lock=True)
        _require_in_review(doc, "corrected")
        if doc.record_type is None:
            raise InvalidCorrection("this document holds no record (its form is unknown)")
        record_type = _record_kind(doc.record_type)
        _check_value(record_type, field, new_value, settings)
        sensitive = is_sensitive(field)
        current = _current_field(session, document_id, field)
        old_shown = current.value if current is not None else None
        sealed = seal(new_value, settings) if sensitive else None
        shown = sealed.masked if sealed else new_value
        _add_event(
            session,
            document_id,
            at=now,
            reviewer=reviewer,
            action=CORRECT,
            field=field,
            old_value=old_shown,
            new_value=shown,
            cipher=sealed.token if sealed else None,
        )
        values = {
            "value": shown,
            "cipher": sealed.token if sealed else None,
            "reviewed": True,
            "reviewed_by": reviewer,
            "reviewed_at": now,
            "decision": CORRECTED,
            "decided_by": reviewer,
            "decided_at": now,
        }
        if current is not None:
            session.execute(sa.update(fields).where(fields.c.id == current.id).values(**values))
        else:
            session.execute(
                sa.insert(fields).values(
                    document_id=document_id,
                    name=field,
                    machine_value=None,
                    sensitive=sensitive,
                    **values,
                )
            )
        _set_typed_value(session, record_type, document_id, field, sealed or new_value, settings)
        _resolve_issues(session, document_id, field, resolved=True)
        _update_document(session, document_id, updated_at=now)
    log.info("document %s: field %s corrected by %s", document_id[:12], field, reviewer)


def undo_correction(
    engine: Engine,
    document_id: str,
    field: str,
    *,
    reviewer: str,
    settings: Settings | None = None,
) -> None:
    """Withdraw the corrections of one field: the machine's value applies again (now and
    on every reload), its issues are open again, and an approval or rejection given
    before no longer stands (the document goes back to the machine's status)."""
    reviewer = _check_reviewer(reviewer)
    now = utc_now()
    with session_scope(engine, write=True) as session:
        doc = _document_row(session, document_id, lock=True)
        if doc.record_type is None:
            raise InvalidCorrection("this document holds no record (its form is unknown)")
        current = _current_field(session, document_id, field)
        if current is None or not current.reviewed:
            raise InvalidCorrection(f"field {field!r} has no correction to undo")
        _add_event(
            session,
            document_id,
            at=now,
            reviewer=reviewer,
            action=UNDO,
            field=field,
            old_value=current.value,
            new_value=current.machine_value,
        )
        machine: Any = current.machine_value
        if current.sensitive:
            machine = Sealed(current.machine_cipher, current.machine_value)
        session.execute(
            sa.update(fields)
            .where(fields.c.id == current.id)
            .values(
                value=current.machine_value,
                cipher=current.machine_cipher,
                reviewed=False,
                reviewed_by=None,
                reviewed_at=None,
                # Back to the machine's value: auto-accepted again, or waiting again.
                decision=AUTO if current.needs_review is False else None,
                decided_by=MACHINE_ACTOR if current.needs_review is False else None,
                decided_at=now if current.needs_review is False else None,
            )
        )
        kind = _record_kind(doc.record_type)
        _set_typed_value(session, kind, document_id, field, machine, settings)
        _resolve_issues(session, document_id, field, resolved=False)
        _update_document(
            session,
            document_id,
            status=doc.machine_status,
            reviewed_by=None,
            reviewed_at=None,
            updated_at=now,
        )
    log.info("document %s: correction of %s undone by %s", document_id[:12], field, reviewer)


def _decide(
    engine: Engine,
    document_id: str,
    *,
    reviewer: str,
    action: str,
    reason: str | None = None,
    seconds: float | None = None,
) -> None:
    reviewer = _check_reviewer(reviewer)
    now = utc_now()
    with session_scope(engine, write=True) as session:
        doc = _document_row(session, document_id, lock=True)
        if action in DECISION_STATUS:
            _require_in_review(doc, DECISION_STATUS[action].replace("_", " "))
        _add_event(
            session,
            document_id,
            at=now,
            reviewer=reviewer,
            action=action,
            reason=reason,
            seconds=seconds,
        )
        decided = action in DECISION_STATUS
        _update_document(
            session,
            document_id,
            status=DECISION_STATUS.get(action, doc.machine_status),
            reviewed_by=reviewer if decided else None,
            reviewed_at=now if decided else None,
            updated_at=now,
        )
        if action == APPROVE:
            # Doubtful fields nobody corrected or confirmed: the approver vouches for them.
            session.execute(
                sa.update(fields)
                .where(
                    fields.c.document_id == document_id,
                    fields.c.decision.is_(None),
                    fields.c.needs_review.is_not(False),
                )
                .values(decision=CONFIRMED, decided_by=reviewer, decided_at=now)
            )
    log.info("document %s: %s by %s", document_id[:12], action, reviewer)


def approve(
    engine: Engine, document_id: str, *, reviewer: str, seconds: float | None = None
) -> None:
    """Accept the document as it now stands; it leaves the review queue. Doubtful fields
    nobody corrected or confirmed count as confirmed by the approver (the dashboard asks
    for an explicit confirmation before it approves those)."""
    _decide(engine, document_id, reviewer=reviewer, action=APPROVE, seconds=seconds)


def confirm_field(engine: Engine, document_id: str, field: str, *, reviewer: str) -> None:
    """A person checked one field and keeps the machine's value: a ``confirm`` review
    event and ``fields.decision = confirmed``, in one transaction. A label for
    ``faxflow calibrate --from-reviews``."""
    reviewer = _check_reviewer(reviewer)
    now = utc_now()
    with session_scope(engine, write=True) as session:
        doc = _document_row(session, document_id, lock=True)
        _require_in_review(doc, "confirmed")
        current = _current_field(session, document_id, field)
        if current is None:
            raise InvalidCorrection(f"document has no field {field!r}")
        if current.decision == CORRECTED:
            raise InvalidCorrection(f"field {field!r} was corrected: undo the correction first")
        _add_event(session, document_id, at=now, reviewer=reviewer, action=CONFIRM, field=field)
        session.execute(
            sa.update(fields)
            .where(fields.c.id == current.id)
            .values(decision=CONFIRMED, decided_by=reviewer, decided_at=now)
        )
        _update_document(session, document_id, updated_at=now)
    log.info("document %s: field %s confirmed by %s", document_id[:12], field, reviewer)


def reject(engine: Engine, document_id: str, *, reviewer: str, reason: str) -> None:
    """Reject the document with a reason (stored with the event; never logged)."""
    if not reason.strip():
        raise InvalidCorrection("a rejection needs a reason")
    _decide(engine, document_id, reviewer=reviewer, action=REJECT, reason=reason.strip())


def reopen(engine: Engine, document_id: str, *, reviewer: str) -> None:
    """Withdraw an approval or rejection: the machine's status applies again."""
    _decide(engine, document_id, reviewer=reviewer, action=REOPEN)


def reveal(
    engine: Engine, document_id: str, field: str, *, actor: str, settings: Settings | None = None
) -> str:
    """The clear value of a sensitive field (an SSN). The ONE function that decrypts; it
    writes an ``audit_events`` row (``reveal_ssn``) in the same transaction."""
    actor = _check_reviewer(actor)
    if not is_sensitive(field):
        raise InvalidCorrection(f"field {field!r} is not a sensitive field; read it directly")
    with session_scope(engine) as session:
        _document_row(session, document_id)
        token = session.execute(
            sa.select(fields.c.cipher).where(
                fields.c.document_id == document_id, fields.c.name == field
            )
        ).scalar()
        if token is None:
            token = _typed_token(session, document_id, field)
        if token is None:
            raise DocumentNotFound(f"document {document_id[:16]}… stores no value for {field!r}")
        clear = decrypt(token, settings)
        write_audit(session, actor=actor, action=REVEAL_SSN, document_id=document_id, field=field)
    assert clear is not None
    return clear


def _typed_token(session: Session, document_id: str, field: str) -> str | None:
    pack_record = _pack_record(session, document_id)
    if pack_record:
        token = pack_record.get(field)
        return token if isinstance(token, str) else None
    path = parse_field_path(field)
    if path.list_name == HOUSEHOLD_MEMBERS and path.index is not None:
        column = household_members.c.get(path.prop)
        if column is None:
            return None
        return session.execute(
            sa.select(column).where(
                household_members.c.document_id == document_id,
                household_members.c.position == path.index,
            )
        ).scalar()
    table = RECORD_TABLES[RecordType.BENEFIT_APPLICATION]
    if path.prop not in table.c:
        return None
    return session.execute(
        sa.select(table.c[path.prop]).where(table.c.document_id == document_id)
    ).scalar()


__all__ = [
    "DocumentNotFound",
    "DocumentNotInReview",
    "DocumentView",
    "FieldView",
    "InvalidCorrection",
    "IssueView",
    "PageView",
    "QueueItem",
    "ReviewEventView",
    "Sealed",
    "apply_correction",
    "approve",
    "get_document",
    "reject",
    "reopen",
    "reveal",
    "review_queue",
    "review_state",
    "undo_correction",
]
