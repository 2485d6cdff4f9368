"""The database model (SQLAlchemy 2). Alembic migrations in ``loaders/migrations`` create it;
a test checks that the migrations and these definitions never drift apart.

Three kinds of tables:

- the document and its evidence: ``documents``, ``pages``, ``fields``,
  ``validation_issues``; replaced by every (re)load of a document;
- the typed records analysts query: ``infection_reports``, ``benefit_applications`` and
  ``household_members``, with one column per schema property (types from the schemas);
  the records of form packs in ``form_records`` (JSON, typed by per-pack views);
- history that a reload never touches: ``review_events``, ``audit_events``,
  ``intake_ledger``, ``users``.

Sensitive values (SSNs) are stored as Fernet tokens (``loaders.crypto``) plus a masked
copy (``***-**-6789``) for display; only :func:`loaders.review.reveal` decrypts.
Timestamps are stored in UTC and always read back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from faxflow.model import RecordType
from loaders.records import (
    HOUSEHOLD_MEMBERS,
    column_type,
    is_sensitive,
    member_properties,
    record_properties,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DOCUMENT_ID = sa.String(64)  # sha256 hex
FIELD_NAME = sa.String(128)
ACTOR = sa.String(64)
MASKED_SSN = sa.String(16)
JSON_VALUE = sa.JSON(none_as_null=True)  # Python None is SQL NULL, not JSON null
ROLES = ("reviewer", "analyst", "admin")


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A timestamp stored in UTC; naive values are taken to be UTC; results are aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC so text comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _document_fk(*, cascade: bool = True) -> sa.ForeignKey:
    return sa.ForeignKey("documents.document_id", ondelete="CASCADE" if cascade else None)


class Document(Base):
    """One processed input file; the key is the sha256 of its bytes."""

    __tablename__ = "documents"

    document_id: Mapped[str] = mapped_column(DOCUMENT_ID, primary_key=True)
    source_name: Mapped[str] = mapped_column(sa.Text)
    centre_id: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    file_kind: Mapped[str | None] = mapped_column(sa.String(8))
    size_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    form_type: Mapped[str] = mapped_column(sa.String(32), index=True)
    record_type: Mapped[str | None] = mapped_column(sa.String(32))
    page_count: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    machine_status: Mapped[str] = mapped_column(sa.String(16))
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime)  # first load: the record exists
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)  # latest (re)load or review
    load_count: Mapped[int] = mapped_column(sa.Integer, default=1)
    pipeline_version: Mapped[str] = mapped_column(sa.String(32))
    template_version: Mapped[str | None] = mapped_column(sa.String(32))
    reviewed_by: Mapped[str | None] = mapped_column(ACTOR)  # who approved or rejected
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Page(Base):
    """One input page: what it turned out to be and where its image is."""

    __tablename__ = "pages"
    __table_args__ = (sa.UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(DOCUMENT_ID, _document_fk())
    number: Mapped[int] = mapped_column(sa.Integer)
    role: Mapped[str] = mapped_column(sa.String(16))
    form_type: Mapped[str | None] = mapped_column(sa.String(32))
    template_page: Mapped[int | None] = mapped_column(sa.Integer)
    rotation: Mapped[int] = mapped_column(sa.Integer, default=0)
    skew_degrees: Mapped[float] = mapped_column(sa.Float, default=0.0)
    match_score: Mapped[float] = mapped_column(sa.Float, default=0.0)
    image_path: Mapped[str | None] = mapped_column(sa.Text)  # relative to settings.var_dir
    width: Mapped[int | None] = mapped_column(sa.Integer)
    height: Mapped[int | None] = mapped_column(sa.Integer)


class FieldRow(Base):
    """One extracted field with its evidence. ``value`` is what the record holds now (the
    reviewer's value when ``reviewed``), ``machine_value`` what the pipeline read. For
    sensitive fields both are masked and the clear values live encrypted in ``cipher``."""

    __tablename__ = "fields"
    __table_args__ = (sa.UniqueConstraint("document_id", "name"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(DOCUMENT_ID, _document_fk())
    name: Mapped[str] = mapped_column(FIELD_NAME)
    value: Mapped[Any] = mapped_column(JSON_VALUE, nullable=True)
    machine_value: Mapped[Any] = mapped_column(JSON_VALUE, nullable=True)
    raw_text: Mapped[str | None] = mapped_column(sa.Text)
    # The steps that changed the value after reading: [{step, before, after}, ...]
    # (masked like ``value`` for sensitive fields).
    provenance: Mapped[Any] = mapped_column(JSON_VALUE, nullable=True)
    sensitive: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    cipher: Mapped[str | None] = mapped_column(sa.Text)  # the current clear value, encrypted
    machine_cipher: Mapped[str | None] = mapped_column(sa.Text)  # the machine's, encrypted
    confidence: Mapped[float | None] = mapped_column(sa.Float)
    page: Mapped[int | None] = mapped_column(sa.Integer)
    x0: Mapped[int | None] = mapped_column(sa.Integer)
    y0: Mapped[int | None] = mapped_column(sa.Integer)
    x1: Mapped[int | None] = mapped_column(sa.Integer)
    y1: Mapped[int | None] = mapped_column(sa.Integer)
    reviewed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    reviewed_by: Mapped[str | None] = mapped_column(ACTOR)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Field-level routing (validate.routing): whether a person must look, and why.
    needs_review: Mapped[bool | None] = mapped_column(sa.Boolean)
    review_reason: Mapped[str | None] = mapped_column(sa.String(32))
    # Who decided the value: auto (no person touched it), confirmed or corrected; NULL
    # while a doubtful field waits for a person.
    decision: Mapped[str | None] = mapped_column(sa.String(16), index=True)
    decided_by: Mapped[str | None] = mapped_column(ACTOR)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ValidationIssue(Base):
    """A coded finding; ``resolved_by_review`` once a reviewer corrected its field."""

    __tablename__ = "validation_issues"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(DOCUMENT_ID, _document_fk(), index=True)
    field: Mapped[str | None] = mapped_column(FIELD_NAME)
    code: Mapped[str] = mapped_column(sa.String(64), index=True)
    message: Mapped[str] = mapped_column(sa.Text)
    resolved_by_review: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class ReviewEvent(Base):
    """What a reviewer did: ``correct`` (field, old → new), ``approve``, ``reject``
    (reason) or ``reopen``. Never deleted or replaced by a reload."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(DOCUMENT_ID, _document_fk(cascade=False), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    reviewer: Mapped[str] = mapped_column(ACTOR)
    action: Mapped[str] = mapped_column(sa.String(16))
    field: Mapped[str | None] = mapped_column(FIELD_NAME)
    old_value: Mapped[Any] = mapped_column(JSON_VALUE, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON_VALUE, nullable=True)
    cipher: Mapped[str | None] = mapped_column(sa.Text)  # sensitive corrections: {old, new}
    reason: Mapped[str | None] = mapped_column(sa.Text)
    seconds: Mapped[float | None] = mapped_column(sa.Float)  # reviewer's time on the task


class LedgerRow(Base):
    """One arrival of one file in the inbox (``faxflow.ledger.LedgerEntry``)."""

    __tablename__ = "intake_ledger"

    arrival_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    original_name: Mapped[str] = mapped_column(sa.Text)
    centre_id: Mapped[str | None] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    document_id: Mapped[str | None] = mapped_column(DOCUMENT_ID, index=True)
    stored_path: Mapped[str | None] = mapped_column(sa.Text)
    reason_code: Mapped[str | None] = mapped_column(sa.String(32))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    duplicate_of: Mapped[str | None] = mapped_column(DOCUMENT_ID)


class User(Base):
    """A dashboard user. Passwords are Argon2 hashes (``dashboard.auth``)."""

    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint(sa.column("role").in_(ROLES), name="role"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.Text)
    role: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    disabled: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class UserCentre(Base):
    """A centre whose documents a reviewer or analyst may see (``faxflow users add …
    --centre ID``). Admins see every centre and need no rows here."""

    __tablename__ = "user_centres"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    centre_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)


class AuditEvent(Base):
    """Who looked at or revealed what (``view_record``, ``reveal_ssn``, ``login`` …).
    ``detail`` never holds personal data. Not tied to documents by a foreign key: the
    audit trail outlives everything else."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(ACTOR)
    action: Mapped[str] = mapped_column(sa.String(32))
    document_id: Mapped[str | None] = mapped_column(DOCUMENT_ID, index=True)
    field: Mapped[str | None] = mapped_column(FIELD_NAME)
    detail: Mapped[str | None] = mapped_column(sa.Text)


# --------------------------------------------------------------------------------------
# Typed record tables: one column per schema property
# --------------------------------------------------------------------------------------


def masked_column(name: str) -> str:
    """The display column beside an encrypted one: ``applicant_ssn`` → ``applicant_ssn_masked``."""
    return f"{name}_masked"


def _property_columns(properties: dict[str, dict[str, Any]]) -> list[sa.Column[Any]]:
    columns: list[sa.Column[Any]] = []
    for name, prop in properties.items():
        if name == HOUSEHOLD_MEMBERS:
            continue  # its own table
        sensitive = is_sensitive(name)
        columns.append(sa.Column(name, column_type(prop, sensitive=sensitive), nullable=True))
        if sensitive:
            columns.append(sa.Column(masked_column(name), MASKED_SSN, nullable=True))
    return columns


infection_reports = sa.Table(
    "infection_reports",
    Base.metadata,
    sa.Column("document_id", DOCUMENT_ID, _document_fk(), primary_key=True),
    *_property_columns(record_properties(RecordType.INFECTION_REPORT)),
    sa.Index(None, "onset_date"),
    sa.Index(None, "reporting_jurisdiction", "county_of_residence"),
)

benefit_applications = sa.Table(
    "benefit_applications",
    Base.metadata,
    sa.Column("document_id", DOCUMENT_ID, _document_fk(), primary_key=True),
    *_property_columns(record_properties(RecordType.BENEFIT_APPLICATION)),
    sa.Index(None, "residential_county"),
)

household_members = sa.Table(
    "household_members",
    Base.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("document_id", DOCUMENT_ID, _document_fk(), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),  # 0-based index in the record's list
    *_property_columns(member_properties()),
    sa.UniqueConstraint("document_id", "position"),
)

form_records = sa.Table(
    "form_records",
    Base.metadata,
    sa.Column("document_id", DOCUMENT_ID, _document_fk(), primary_key=True),
    sa.Column("form_type", sa.String(64), nullable=False),
    sa.Column("template_version", sa.String(64), nullable=True),
    # The record as the pack's schema.json shapes it (validated before loading; values
    # that break it stay in `fields` with their issue, here they are NULL), sensitive
    # values as tokens plus masked copies like the typed tables. Per-pack views type it.
    sa.Column("record", JSON_VALUE, nullable=False),
    sa.Index(None, "form_type"),
)
"""The records of form packs (``faxflow/packs.py``): one generic table for every pack,
typed per pack by the views ``loaders.pack_views`` derives from its schema (see
``loaders/README.md`` for why)."""

RECORD_TABLES: dict[RecordType, sa.Table] = {
    RecordType.INFECTION_REPORT: infection_reports,
    RecordType.BENEFIT_APPLICATION: benefit_applications,
}

# Handy handles for Core queries.
documents = cast(sa.Table, Document.__table__)
pages = cast(sa.Table, Page.__table__)
fields = cast(sa.Table, FieldRow.__table__)
validation_issues = cast(sa.Table, ValidationIssue.__table__)
review_events = cast(sa.Table, ReviewEvent.__table__)
intake_ledger = cast(sa.Table, LedgerRow.__table__)
users = cast(sa.Table, User.__table__)
audit_events = cast(sa.Table, AuditEvent.__table__)
