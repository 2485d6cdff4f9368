"""One document: the review page, its page images, corrections, approve, reject, reveal.

Every view of a record's personal data writes an ``audit_events`` row (``view_record``);
revealing an SSN goes through :func:`loaders.review.reveal`, which audits it too. Pages
are sent with ``Cache-Control: no-store`` (see :mod:`dashboard.security`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from dashboard.app import flash, render, state_of
from dashboard.auth import Permission, User, requires
from dashboard.fields import correct_from_text, pack_titles
from dashboard.queries import STATUSES, distinct_values, list_documents
from dashboard.redaction import Redaction, png_bytes, redacted_image, zones_for_page
from dashboard.views import LOW_CONFIDENCE, document_page, history_row, page_image_file, when_label
from loaders.audit import VIEW_RECORD, record_audit
from loaders.review import (
    DocumentNotFound,
    DocumentView,
    InvalidCorrection,
    approve,
    get_document,
    reject,
    reveal,
    undo_correction,
)

router = APIRouter(prefix="/documents")
VIEW_PAGE_IMAGE = "view_page_image"

Reader = Annotated[User, Depends(requires(Permission.READ_RECORD))]
Reviewer = Annotated[User, Depends(requires(Permission.REVIEW))]
Revealer = Annotated[User, Depends(requires(Permission.REVEAL))]
DocumentId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]
FieldName = Annotated[str, Path(pattern=r"^[a-z_]+(\[\d{1,3}\]\.[a-z_]+)?(#\d{1,2})?$")]
Filter = Annotated[str, Query(max_length=100)]


@router.get("", name="documents")
def documents_list(
    request: Request,
    user: Reader,
    status: Filter = "",
    form_type: Filter = "",
    centre: Filter = "",
) -> Response:
    engine = state_of(request).engine
    rows, total = list_documents(
        engine,
        status=status or None,
        form_type=form_type or None,
        centre=centre or None,
        centres=user.centres,
    )
    centres, form_types = distinct_values(engine, user.centres)
    context = {
        "active": "documents",
        "rows": rows,
        "total": total,
        "statuses": STATUSES,
        "centres": centres,
        "form_types": form_types,
        "filters": {"status": status, "form_type": form_type, "centre": centre},
        "when_label": when_label,
    }
    return render(request, "documents.html", context)


def visible_document(request: Request, user: User, document_id: str) -> DocumentView:
    """The document, if its centre is one of the user's. Another centre's document is
    "not found", exactly like an id that does not exist, so ids cannot be probed."""
    doc = get_document(state_of(request).engine, document_id)
    if not user.sees_centre(doc.centre_id):
        raise DocumentNotFound(f"no stored document with id {document_id[:16]}…")
    return doc


def redaction_for(request: Request, user: User, doc: DocumentView, number: int) -> Redaction | None:
    """What to black out of page ``number`` before it leaves the server for ``user``:
    nothing for a role that may reveal SSNs, else every SSN zone of the template page and
    every box where an SSN was read (least privilege; see dashboard.redaction)."""
    if user.can(Permission.REVEAL):
        return None
    page = next((p for p in doc.pages if p.number == number), None)
    if page is None:
        return None
    templates_dir = state_of(request).settings.templates_dir
    zones = zones_for_page(templates_dir, page.form_type, page.template_page)
    boxes = tuple(f.bbox for f in doc.fields if f.sensitive and f.page == number and f.bbox)
    return Redaction(zones, boxes) if zones or boxes else None


def _review_page(
    request: Request,
    user: User,
    document_id: str,
    *,
    revealed: dict[str, str] | None = None,
    error: str | None = None,
    failed_field: str | None = None,
    status_code: int = 200,
) -> Response:
    state = state_of(request)
    doc = visible_document(request, user, document_id)
    record_audit(state.engine, actor=user.username, action=VIEW_RECORD, document_id=document_id)
    page = document_page(doc, state.settings, revealed=revealed)
    context = {
        "doc": page,
        "revealed": bool(revealed),
        "can_review": user.can(Permission.REVIEW) and page.status == "needs_review",
        "low_threshold": LOW_CONFIDENCE,
        "error": error,
        "failed_field": failed_field,
        "history": [
            history_row(event, pack_titles(state.settings, doc.form_type))
            for event in reversed(doc.history)
        ],
    }
    return render(request, "document.html", context, status_code)


@router.get("/{document_id}", name="document")
def document(request: Request, user: Reader, document_id: DocumentId) -> Response:
    return _review_page(request, user, document_id)


@router.get("/{document_id}/pages/{number}/image", name="page_image")
def page_image(
    request: Request, user: Reader, document_id: DocumentId, number: Annotated[int, Path(ge=1)]
) -> Response:
    """The stored page image, looked up by document and page number (never by a path the
    client sends)."""
    state = state_of(request)
    doc = visible_document(request, user, document_id)
    page = next((p for p in doc.pages if p.number == number), None)
    path = page_image_file(state.settings, page) if page is not None else None
    if path is None:
        raise DocumentNotFound(f"no stored image for page {number} of this document")
    # The image shows the whole form, personal data included: its views are audited too.
    assert page is not None
    redaction = redaction_for(request, user, doc, number)
    body = None if redaction is None else png_bytes(redacted_image(path, redaction))
    record_audit(
        state.engine,
        actor=user.username,
        action=VIEW_PAGE_IMAGE,
        document_id=document_id,
        detail=f"page {number}" + ("" if body is None else " (SSNs redacted)"),
    )
    if body is not None:
        return Response(body, media_type="image/png")
    return FileResponse(path, media_type="image/png" if path.suffix == ".png" else None)


def _back_to_field(request: Request, document_id: str, field: str) -> Response:
    """After a change: the review page again, with the changed field selected."""
    target = request.url_for("document", document_id=document_id).include_query_params(field=field)
    return RedirectResponse(str(target), status_code=303)


@router.post("/{document_id}/fields/{field}", name="correct_field")
def correct_field(
    request: Request,
    user: Reviewer,
    document_id: DocumentId,
    field: FieldName,
    value: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    engine = state_of(request).engine
    visible_document(request, user, document_id)
    try:
        correct_from_text(
            engine,
            document_id,
            field,
            value,
            reviewer=user.username,
            settings=state_of(request).settings,
        )
    except InvalidCorrection as exc:
        return _review_page(
            request, user, document_id, error=exc.message, failed_field=field, status_code=400
        )
    return _back_to_field(request, document_id, field)


@router.post("/{document_id}/fields/{field}/undo", name="undo_correction")
def undo_field(
    request: Request, user: Reviewer, document_id: DocumentId, field: FieldName
) -> Response:
    """Withdraw a field's corrections: the machine's value applies again."""
    visible_document(request, user, document_id)
    try:
        state = state_of(request)
        undo_correction(
            state.engine, document_id, field, reviewer=user.username, settings=state.settings
        )
    except InvalidCorrection as exc:
        return _review_page(
            request, user, document_id, error=exc.message, failed_field=field, status_code=400
        )
    return _back_to_field(request, document_id, field)


@router.post("/{document_id}/approve", name="approve")
def approve_document(request: Request, user: Reviewer, document_id: DocumentId) -> Response:
    visible_document(request, user, document_id)
    approve(state_of(request).engine, document_id, reviewer=user.username)
    flash(request, f"Approved document {document_id[:12]}; it has left the queue.")
    return RedirectResponse(str(request.url_for("queue")), status_code=303)


@router.post("/{document_id}/reject", name="reject")
def reject_document(
    request: Request,
    user: Reviewer,
    document_id: DocumentId,
    reason: Annotated[str, Form(min_length=3, max_length=500)],
) -> Response:
    visible_document(request, user, document_id)
    reject(state_of(request).engine, document_id, reviewer=user.username, reason=reason)
    flash(request, f"Rejected document {document_id[:12]}.", "warn")
    return RedirectResponse(str(request.url_for("queue")), status_code=303)


@router.post("/{document_id}/reveal", name="reveal")
def reveal_document(request: Request, user: Revealer, document_id: DocumentId) -> Response:
    """The review page with this document's SSNs in clear, for this response only (each
    reveal is audited by :func:`loaders.review.reveal`)."""
    state = state_of(request)
    doc = visible_document(request, user, document_id)
    revealed = {
        f.name: reveal(
            state.engine, document_id, f.name, actor=user.username, settings=state.settings
        )
        for f in doc.fields
        if f.sensitive and f.value is not None
    }
    return _review_page(request, user, document_id, revealed=revealed)
