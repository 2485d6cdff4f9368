"""Supervision: one task is the doubtful fields of one document, worked from the keyboard.

``GET /supervise`` opens the oldest waiting document; a task page lists its doubtful
fields (each with a crop of the page, the value read and its provenance) and, collapsed,
the auto-accepted ones. Confirming or correcting a field answers JSON, so the reviewer's
focus stays in the list; approving with fields still open needs ``confirm_open=yes``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from dashboard.app import flash, render, state_of
from dashboard.auth import User
from dashboard.fields import answer_blind, correct_from_text
from dashboard.routes.documents import (
    DocumentId,
    FieldName,
    Reviewer,
    redaction_for,
    visible_document,
)
from dashboard.supervision import field_crop_png, supervision_task
from loaders.audit import VIEW_RECORD, record_audit
from loaders.review import (
    DocumentNotFound,
    InvalidCorrection,
    approve,
    confirm_field,
    review_queue,
)

router = APIRouter(prefix="/supervise")
VIEW_FIELD_CROP = "view_field_crop"


@router.get("", name="supervise_next")
def next_task(request: Request, user: Reviewer) -> Response:
    """The oldest document waiting for a person, or the queue when none waits."""
    waiting = review_queue(state_of(request).engine, limit=1, centres=user.centres)
    if not waiting:
        flash(request, "Nothing waits for a person.")
        return RedirectResponse(str(request.url_for("queue")), status_code=303)
    target = request.url_for("supervise", document_id=waiting[0].document_id)
    return RedirectResponse(str(target), status_code=303)


def _task_page(
    request: Request, user: User, document_id: str, *, ask_confirm: bool = False
) -> Response:
    state = state_of(request)
    doc = visible_document(request, user, document_id)
    record_audit(state.engine, actor=user.username, action=VIEW_RECORD, document_id=document_id)
    task = supervision_task(doc, state.settings)
    context = {
        "active": "queue",
        "task": task,
        "can_decide": task.status == "needs_review",
        "ask_confirm": ask_confirm,
    }
    return render(request, "supervise.html", context, 409 if ask_confirm else 200)


@router.get("/{document_id}", name="supervise")
def task(request: Request, user: Reviewer, document_id: DocumentId) -> Response:
    return _task_page(request, user, document_id)


@router.get("/{document_id}/fields/{field}/crop", name="field_crop")
def crop(request: Request, user: Reviewer, document_id: DocumentId, field: FieldName) -> Response:
    """The page around one field's box (audited like a page image: it shows the form)."""
    state = state_of(request)
    doc = visible_document(request, user, document_id)
    field_view = doc.field(field)
    page = field_view.page if field_view is not None else None
    redaction = redaction_for(request, user, doc, page) if page is not None else None
    png = field_crop_png(doc, field, state.settings, redaction)
    if png is None:
        raise DocumentNotFound("no stored image around this field")
    record_audit(
        state.engine,
        actor=user.username,
        action=VIEW_FIELD_CROP,
        document_id=document_id,
        field=field,
    )
    return Response(png, media_type="image/png")


@router.post("/{document_id}/fields/{field}/confirm", name="confirm_field")
def confirm(
    request: Request, user: Reviewer, document_id: DocumentId, field: FieldName
) -> Response:
    engine = state_of(request).engine
    visible_document(request, user, document_id)
    return _decided("confirmed", confirm_field, engine, document_id, field, reviewer=user.username)


def _decided(
    decision: str | None, action: Callable[..., str | None], *args: Any, **kwargs: Any
) -> Response:
    """JSON for a field decision (``action(engine, document, field, …)``), or 400 with the
    refusal's message (it names the field and rule, never the value)."""
    try:
        outcome = action(*args, **kwargs)
    except InvalidCorrection as exc:
        return JSONResponse({"error": exc.message}, status_code=400)
    return JSONResponse({"field": args[2], "decision": decision or outcome})


@router.post("/{document_id}/fields/{field}", name="supervise_correct")
def correct(
    request: Request,
    user: Reviewer,
    document_id: DocumentId,
    field: FieldName,
    value: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    state = state_of(request)
    visible_document(request, user, document_id)
    return _decided(
        "corrected",
        correct_from_text,
        state.engine,
        document_id,
        field,
        value,
        reviewer=user.username,
        settings=state.settings,
    )


@router.post("/{document_id}/fields/{field}/qa", name="qa_answer")
def qa_answer(
    request: Request,
    user: Reviewer,
    document_id: DocumentId,
    field: FieldName,
    value: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """A blind QA answer: what the form says, typed without seeing the machine's value.
    The same value confirms the machine; another corrects it (a measured error)."""
    state = state_of(request)
    visible_document(request, user, document_id)
    return _decided(
        None,
        answer_blind,
        state.engine,
        document_id,
        field,
        value,
        reviewer=user.username,
        settings=state.settings,
    )


@router.post("/{document_id}/approve", name="supervise_approve")
def approve_task(
    request: Request,
    user: Reviewer,
    document_id: DocumentId,
    seconds: Annotated[float | None, Form(ge=0, le=86_400)] = None,
    confirm_open: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Approve the document; with doubtful fields still open only when the reviewer said
    so explicitly (``confirm_open=yes``), else the task again with the question (409)."""
    state = state_of(request)
    task = supervision_task(visible_document(request, user, document_id), state.settings)
    if task.open_count and confirm_open != "yes":
        return _task_page(request, user, document_id, ask_confirm=True)
    approve(state.engine, document_id, reviewer=user.username, seconds=seconds)
    flash(request, f"Approved document {document_id[:12]}.")
    return RedirectResponse(str(request.url_for("supervise_next")), status_code=303)
