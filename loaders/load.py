"""Loading one processed document: one transaction, an upsert keyed on ``document_id``.

A (re)load replaces everything the machine produced for the document — pages, fields,
validation issues and the typed record rows — and then re-applies every reviewer
correction recorded in ``review_events`` (which a load never touches):

- a field whose latest review event is a correction keeps the reviewed value, in
  ``fields`` and in the typed table; its validation issues stay listed but resolved;
- the document keeps the status the reviewer decided (approve → ``accepted``, reject →
  ``rejected``) unless that decision was later withdrawn (``reopen``) or a correction was
  undone after it; then the machine's status applies again.

So re-running a document never duplicates rows and never overwrites a reviewer's work, and
a failure half-way rolls the whole transaction back: the previous version stays intact.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from PIL import Image, UnidentifiedImageError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from faxflow.errors import ConfigError
from faxflow.model import DocumentResult, FieldResult, RecordType, SourceDocument, Status
from faxflow.settings import Settings, get_settings
from loaders.crypto import encrypt, mask_ssn
from loaders.db import session_scope
from loaders.records import (
    HOUSEHOLD_MEMBERS,
    clean_text,
    coerce,
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

CORRECT, UNDO, APPROVE, REJECT, REOPEN = "correct", "undo", "approve", "reject", "reopen"
CONFIRM = "confirm"  # a person checked a doubtful field and kept the machine's value
# fields.decision: who decided the value now in force.
AUTO, CONFIRMED, CORRECTED = "auto", "confirmed", "corrected"
MACHINE_ACTOR = "faxflow"
DECISION_STATUS = {APPROVE: Status.ACCEPTED.value, REJECT: Status.REJECTED.value}


@dataclass(frozen=True, slots=True)
class Sealed:
    """A sensitive value already encrypted: the Fernet token and its masked form."""

    token: str | None
    masked: str | None


def seal(value: Any, settings: Settings | None = None) -> Sealed:
    """Encrypt a clear sensitive value (None stays None) with ``settings``' key."""
    if isinstance(value, Sealed):
        return value
    if value is None or value == "":
        return Sealed(None, None)
    text = str(value)
    return Sealed(encrypt(text, settings), mask_ssn(text))


@dataclass(frozen=True, slots=True)
class ReviewState:
    """What reviewers did to one document, as the loader re-applies it."""

    corrections: dict[str, Any]  # field name -> reviewed value (Sealed for sensitive)
    reviewers: dict[str, tuple[str, datetime]]  # field name -> (who, when)
    decision: str | None  # the review status in force, or None for the machine's
    decided_by: str | None
    decided_at: datetime | None
    confirmations: dict[str, tuple[str, datetime]] = field(default_factory=dict)


def review_state(session: Session, document_id: str) -> ReviewState:
    """Replay the document's review events in order."""
    rows = session.execute(
        sa.select(review_events)
        .where(review_events.c.document_id == document_id)
        .order_by(review_events.c.id)  # insertion order, not clocks
    ).all()
    corrections: dict[str, Any] = {}
    reviewers: dict[str, tuple[str, datetime]] = {}
    decision: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    confirmations: dict[str, tuple[str, datetime]] = {}
    for row in rows:
        if row.action == CONFIRM and row.field:
            confirmations[row.field] = (row.reviewer, row.at)
        elif row.action == CORRECT and row.field:
            sensitive = is_sensitive(row.field)
            corrections[row.field] = (
                Sealed(row.cipher, row.new_value) if sensitive else row.new_value
            )
            reviewers[row.field] = (row.reviewer, row.at)
        elif row.action == UNDO and row.field:
            corrections.pop(row.field, None)
            reviewers.pop(row.field, None)
            decision = decided_by = decided_at = None  # the approval no longer covers it
        elif row.action in DECISION_STATUS:
            decision, decided_by, decided_at = DECISION_STATUS[row.action], row.reviewer, row.at
        elif row.action == REOPEN:
            decision = decided_by = decided_at = None
    return ReviewState(corrections, reviewers, decision, decided_by, decided_at, confirmations)


def field_decision(
    name: str, needs_review: bool | None, state: ReviewState, *, loaded_at: datetime
) -> tuple[str | None, str | None, datetime | None]:
    """(decision, by whom, when) for one field: a correction, then a confirmation, then
    an approval of the whole document confirms a doubtful field; a field routing
    auto-accepted is ``auto``; a doubtful field nobody decided yet has no decision."""
    if name in state.corrections:
        return (CORRECTED, *state.reviewers[name])
    if name in state.confirmations:
        return (CONFIRMED, *state.confirmations[name])
    if needs_review is False:
        return AUTO, MACHINE_ACTOR, loaded_at
    if state.decision == Status.ACCEPTED.value and state.decided_by and state.decided_at:
        return CONFIRMED, state.decided_by, state.decided_at
    return None, None, None


# --------------------------------------------------------------------------------------
# Typed record rows
# --------------------------------------------------------------------------------------


def _column_values(
    properties: dict[str, dict[str, Any]],
    values: Mapping[str, Any],
    settings: Settings | None = None,
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, prop in properties.items():
        if name == HOUSEHOLD_MEMBERS:
            continue
        value = values.get(name)
        if is_sensitive(name):
            sealed = seal(value, settings)
            row[name], row[masked_column(name)] = sealed.token, sealed.masked
        else:
            row[name] = coerce(prop, value)
    return row


def column_value(record_type: RecordType, field_name: str, value: Any) -> dict[str, Any]:
    """The typed-table column(s) one field sets: ``{column: value}`` (two for SSNs)."""
    path = parse_field_path(field_name)
    properties = member_properties() if path.list_name else record_properties(record_type)
    if path.prop not in properties:
        return {}
    return _column_values({path.prop: properties[path.prop]}, {path.prop: value})


def apply_corrections(record: Mapping[str, Any], corrections: Mapping[str, Any]) -> dict[str, Any]:
    """The record with reviewed values in place of extracted ones (household members
    addressed as ``household_members[i].prop``; missing members are added)."""
    out = dict(record)
    members = [dict(m) for m in (out.get(HOUSEHOLD_MEMBERS) or []) if isinstance(m, Mapping)]
    for name, value in corrections.items():
        path = parse_field_path(name)
        if path.list_name == HOUSEHOLD_MEMBERS and path.index is not None:
            while len(members) <= path.index:
                members.append({})
            members[path.index][path.prop] = value
        elif path.list_name is None and "#" not in name:
            out[name] = value
    if members or HOUSEHOLD_MEMBERS in out:
        out[HOUSEHOLD_MEMBERS] = members
    return out


def _insert_record(
    session: Session,
    record_type: RecordType,
    document_id: str,
    record: Mapping[str, Any],
    settings: Settings | None,
) -> None:
    table = RECORD_TABLES[record_type]
    row = _column_values(record_properties(record_type), record, settings)
    session.execute(sa.insert(table).values(document_id=document_id, **row))
    if record_type is RecordType.BENEFIT_APPLICATION:
        rows = [
            {
                "document_id": document_id,
                "position": position,
                **_column_values(member_properties(), member, settings),
            }
            for position, member in enumerate(record.get(HOUSEHOLD_MEMBERS) or [])
            if isinstance(member, Mapping)
        ]
        if rows:
            session.execute(sa.insert(household_members), rows)


def pack_values(
    name: str, prop: dict[str, Any], value: Any, settings: Settings | None
) -> dict[str, Any]:
    """What a form pack's record stores for one field: the value when it fits its property
    in the pack's schema (else None, like a typed column), text cleaned, a sensitive value
    sealed (``<name>`` the token, ``<name>_masked`` the masked copy)."""
    import jsonschema

    if isinstance(value, Sealed):
        # A reviewer's correction (or a machine value restored by an undo): checked
        # against the property before it was sealed, and its clear text is not here.
        return {name: value.token, masked_column(name): value.masked}
    if isinstance(value, str):
        value = clean_text(value)
    checker = jsonschema.FormatChecker()
    if not jsonschema.Draft202012Validator(prop, format_checker=checker).is_valid(value):
        value = None
    if is_sensitive(name):
        sealed = seal(value, settings)
        return {name: sealed.token, masked_column(name): sealed.masked}
    return {name: value}


def pack_of(form_type: str, settings: Settings | None) -> Any:
    """The form pack (``faxflow.packs.FormPack``) of a stored record's form type."""
    from faxflow.packs import pack_for

    pack = pack_for(form_type, settings or get_settings())
    if pack is None:
        raise ConfigError(f"no form pack {form_type} for its records; is FAXFLOW_FORMS_DIR set?")
    return pack


def _insert_pack_record(
    session: Session,
    result: DocumentResult,
    record: Mapping[str, Any],
    settings: Settings | None,
) -> None:
    """A form pack's record into ``form_records`` (see :func:`pack_values`)."""
    pack = pack_of(str(result.form_type), settings)
    row: dict[str, Any] = {}
    for name, prop in pack.schema["properties"].items():
        row.update(pack_values(name, prop, record.get(name), settings))
    session.execute(
        sa.insert(form_records).values(
            document_id=result.document_id,
            form_type=str(result.form_type),
            template_version=result.template_version,
            record=row,
        )
    )


def _text(value: str | None) -> str | None:
    return clean_text(value) if value is not None else None


# --------------------------------------------------------------------------------------
# Evidence rows
# --------------------------------------------------------------------------------------


def _field_row(
    document_id: str,
    name: str,
    result: FieldResult | None,
    state: ReviewState,
    settings: Settings | None,
    *,
    loaded_at: datetime,
) -> dict[str, Any]:
    machine = to_json_value(result.value) if result is not None else None
    reviewed = name in state.corrections
    current = state.corrections[name] if reviewed else machine
    needs_review = result.needs_review if result is not None else None
    decision, decided_by, decided_at = field_decision(
        name, needs_review, state, loaded_at=loaded_at
    )
    row: dict[str, Any] = {
        "document_id": document_id,
        "name": name,
        "confidence": result.confidence if result is not None else None,
        "page": result.page if result is not None else None,
        "raw_text": _text(result.raw_text) if result is not None else None,
        "provenance": _provenance(result, sensitive=is_sensitive(name)),
        "reviewed": reviewed,
        "reviewed_by": state.reviewers[name][0] if reviewed else None,
        "reviewed_at": state.reviewers[name][1] if reviewed else None,
        "needs_review": needs_review,
        "review_reason": result.review_reason if result is not None else None,
        "decision": decision,
        "decided_by": decided_by,
        "decided_at": decided_at,
        "sensitive": is_sensitive(name),
        "cipher": None,
    }
    bbox = result.bbox if result is not None else None
    row.update(zip(("x0", "y0", "x1", "y1"), bbox or (None, None, None, None), strict=True))
    if row["sensitive"]:
        machine_sealed = seal(machine, settings)
        sealed = seal(current, settings) if reviewed else machine_sealed
        row.update(
            value=sealed.masked,
            machine_value=machine_sealed.masked,
            raw_text=mask_ssn(row["raw_text"]) if row["raw_text"] else None,
            cipher=sealed.token,
            machine_cipher=machine_sealed.token,
        )
    else:
        row.update(value=current, machine_value=machine, machine_cipher=None)
    return row


def _provenance(result: FieldResult | None, *, sensitive: bool) -> list[dict[str, Any]] | None:
    """The field's provenance as JSON rows; a sensitive field's before and after are
    masked exactly as its value is (the clear values are never stored with them)."""
    if result is None or not result.provenance:
        return None

    def shown(value: Any) -> Any:
        if value is None:
            return None
        if sensitive:
            return mask_ssn(str(value))
        return _text(value) if isinstance(value, str) else to_json_value(value)

    return [
        {"step": p.step, "before": shown(p.before), "after": shown(p.after)}
        for p in result.provenance
    ]


def _image_size(image_path: str | None) -> tuple[int | None, int | None]:
    if not image_path:
        return None, None
    try:
        with Image.open(get_settings().var_dir / Path(image_path)) as image:
            return image.size
    except (OSError, UnidentifiedImageError):
        log.warning("page image %s is missing or unreadable; stored without size", image_path)
        return None, None


def _page_rows(
    document_id: str, result: DocumentResult, page_images: Mapping[int, str]
) -> list[dict[str, Any]]:
    rows = []
    listed = {page.number for page in result.pages}
    for page in result.pages:
        image_path = page_images.get(page.number)
        width, height = _image_size(image_path)
        rows.append(
            {
                "document_id": document_id,
                "number": page.number,
                "role": page.role.value,
                "form_type": str(page.form_type) if page.form_type else None,
                "template_page": page.template_page,
                "rotation": page.rotation,
                "skew_degrees": page.skew_degrees,
                "match_score": page.match_score,
                "image_path": image_path,
                "width": width,
                "height": height,
            }
        )
    for number, image_path in sorted(page_images.items()):
        if number not in listed:  # an image with no page report: keep it, role unknown
            width, height = _image_size(image_path)
            rows.append(
                {
                    "document_id": document_id,
                    "number": number,
                    "role": "unknown",
                    "rotation": 0,
                    "skew_degrees": 0.0,
                    "match_score": 0.0,
                    "image_path": image_path,
                    "width": width,
                    "height": height,
                }
            )
    return rows


# --------------------------------------------------------------------------------------
# The document row
# --------------------------------------------------------------------------------------


_KEPT_WHEN_MISSING = frozenset({"centre_id", "received_at", "file_kind", "size_bytes"})
_NEVER_UPDATED = frozenset({"document_id", "processed_at", "load_count"})


def _upsert_document(session: Session, values: dict[str, Any]) -> None:
    """Insert the document row or update it in place (``INSERT … ON CONFLICT``, which also
    locks the row on PostgreSQL so concurrent loads of one document run one after the
    other). A reload keeps the first load's ``processed_at`` and arrival facts it lacks."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(documents).values(**values)
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(documents).values(**values)
    else:
        raise ConfigError(f"faxflow supports SQLite and PostgreSQL databases, not {dialect}")
    excluded = stmt.excluded
    update: dict[str, Any] = {
        name: sa.func.coalesce(excluded[name], documents.c[name])
        if name in _KEPT_WHEN_MISSING
        else excluded[name]
        for name in values
        if name not in _NEVER_UPDATED
    }
    update["load_count"] = documents.c.load_count + 1
    session.execute(stmt.on_conflict_do_update(index_elements=["document_id"], set_=update))


def load_document(
    engine: Engine,
    result: DocumentResult,
    *,
    source: SourceDocument | None = None,
    page_images: Mapping[int, str] | None = None,
    settings: Settings | None = None,
) -> None:
    """Store one processed document in one transaction (see the module docstring).

    ``source`` adds arrival facts (centre, received time, file kind and size);
    ``page_images`` maps page numbers to image paths relative to ``settings.var_dir``
    (None: keep the paths stored by an earlier load); SSNs are encrypted with
    ``settings``' key (default: the environment's settings).
    Raises :class:`faxflow.errors.DatabaseError` when the database fails; then nothing of
    this load is stored.
    """
    document_id = result.document_id
    now = utc_now()
    with session_scope(engine, write=True) as session:
        _upsert_document(
            session,
            {
                "document_id": document_id,
                "source_name": clean_text(result.source_name),
                "centre_id": source.centre_id if source else None,
                "file_kind": source.kind.value if source else None,
                "size_bytes": source.size_bytes if source else None,
                "received_at": source.received_at if source else None,
                "form_type": str(result.form_type),
                "record_type": str(result.record_type) if result.record_type else None,
                "page_count": result.page_count,
                "status": result.status.value,
                "machine_status": result.status.value,
                "processed_at": now,
                "updated_at": now,
                "load_count": 1,
                "pipeline_version": result.pipeline_version,
                "template_version": result.template_version,
            },
        )
        state = review_state(session, document_id)
        if page_images is None:  # a reload without images keeps the ones stored before
            page_images = {
                row.number: row.image_path
                for row in session.execute(
                    sa.select(pages.c.number, pages.c.image_path).where(
                        pages.c.document_id == document_id, pages.c.image_path.is_not(None)
                    )
                )
            }
        for table in (
            pages,
            fields,
            validation_issues,
            household_members,
            form_records,
            *RECORD_TABLES.values(),
        ):
            session.execute(sa.delete(table).where(table.c.document_id == document_id))

        if result.record_type is not None:
            record = apply_corrections(result.record, state.corrections)
            if isinstance(result.record_type, RecordType):
                _insert_record(session, result.record_type, document_id, record, settings)
            else:
                _insert_pack_record(session, result, record, settings)

        names = list(result.fields) + [n for n in state.corrections if n not in result.fields]
        field_rows = [
            _field_row(document_id, n, result.fields.get(n), state, settings, loaded_at=now)
            for n in names
        ]
        if field_rows:
            session.execute(sa.insert(fields), field_rows)

        issue_rows = [
            {
                "document_id": document_id,
                "field": _text(issue.field),
                "code": clean_text(issue.code),
                "message": clean_text(issue.message),
                "resolved_by_review": issue.field is not None and issue.field in state.corrections,
            }
            for issue in result.issues
        ]
        if issue_rows:
            session.execute(sa.insert(validation_issues), issue_rows)

        page_rows = _page_rows(document_id, result, page_images)
        if page_rows:
            session.execute(sa.insert(pages), page_rows)

        session.execute(
            sa.update(documents)
            .where(documents.c.document_id == document_id)
            .values(
                status=state.decision or result.status.value,
                reviewed_by=state.decided_by,
                reviewed_at=state.decided_at,
            )
        )
    log.info(
        "loaded document %s: %d fields, %d issues, %d pages, %d corrections kept",
        document_id[:12],
        len(field_rows),
        len(issue_rows),
        len(page_rows),
        len(state.corrections),
    )
