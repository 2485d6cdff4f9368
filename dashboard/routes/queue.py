"""The review queue: documents that need a person, oldest first, with filters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from dashboard.app import render, state_of
from dashboard.auth import Permission, User, requires
from dashboard.queries import queue_choices
from dashboard.views import queue_page
from loaders.review import review_queue

router = APIRouter()
QUEUE_LIMIT = 200

Reviewer = Annotated[User, Depends(requires(Permission.QUEUE))]
Filter = Annotated[str, Query(max_length=100)]


@router.get("/queue", name="queue")
def queue(
    request: Request,
    user: Reviewer,
    centre: Filter = "",
    form_type: Filter = "",
    issue_code: Filter = "",
) -> Response:
    engine = state_of(request).engine
    filtered = review_queue(
        engine,
        centre=centre or None,
        form_type=form_type or None,
        issue_code=issue_code or None,
        centres=user.centres,
    )
    choices = queue_choices(engine, user.centres)
    page = queue_page(filtered[:QUEUE_LIMIT], choices, total=len(filtered))
    filters = {"centre": centre, "form_type": form_type, "issue_code": issue_code}
    return render(request, "queue.html", {"active": "queue", "queue": page, "filters": filters})
