"""Threat: a review action rewrites a document that is not in review — a record the
machine accepted, one a colleague already decided, one the pipeline rejected — by a
stale tab, a replayed request or a crafted POST. Each must get 409 and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders.tables import documents, fields, review_events
from tests.dashboard.conftest import csrf_of


def _snapshot(engine: Engine, document_id: str) -> tuple[Any, ...]:
    with engine.connect() as connection:
        doc = connection.execute(
            sa.select(documents.c.status, documents.c.reviewed_by, documents.c.updated_at).where(
                documents.c.document_id == document_id
            )
        ).one()
        values = connection.execute(
            sa.select(fields.c.name, fields.c.value, fields.c.reviewed)
            .where(fields.c.document_id == document_id)
            .order_by(fields.c.name)
        ).all()
        events = connection.execute(
            sa.select(sa.func.count()).where(review_events.c.document_id == document_id)
        ).scalar()
    return tuple(doc), tuple(tuple(v) for v in values), events


ACTIONS = {
    "approve": ("approve", {}),
    "reject": ("reject", {"reason": "duplicate fax"}),
    "correct": ("fields/patient_last_name", {"value": "Roe"}),
}


def _post(client: Any, document_id: str, action: str) -> Any:
    path, data = ACTIONS[action]
    return client.post(
        f"/documents/{document_id}/{path}",
        data={**data, "csrf_token": csrf_of(client)},
        headers={"accept": "application/json"},
        follow_redirects=False,
    )


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_machine_accepted_document_cannot_be_reviewed(client_for, docs, engine, action) -> None:
    before = _snapshot(engine, docs.accepted)
    response = _post(client_for("reviewer"), docs.accepted, action)
    assert response.status_code == 409
    assert response.json()["code"] == "E_NOT_IN_REVIEW"
    assert _snapshot(engine, docs.accepted) == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_decided_document_cannot_be_decided_or_changed_again(
    client_for, docs, engine, action
) -> None:
    reviewer = client_for("reviewer")
    assert _post(reviewer, docs.xss_case, "approve").status_code == 303
    before = _snapshot(engine, docs.xss_case)
    response = _post(client_for("admin"), docs.xss_case, action)
    assert response.status_code == 409
    assert _snapshot(engine, docs.xss_case) == before


def test_pipeline_rejected_document_cannot_be_approved(client_for, docs, engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.update(documents)
            .where(documents.c.document_id == docs.later_case)
            .values(status="rejected", machine_status="rejected")
        )
    before = _snapshot(engine, docs.later_case)
    assert _post(client_for("reviewer"), docs.later_case, "approve").status_code == 409
    assert _snapshot(engine, docs.later_case) == before


def test_documents_in_review_still_take_every_action(client_for, docs, engine) -> None:
    reviewer = client_for("reviewer")
    assert _post(reviewer, docs.xss_case, "correct").status_code == 303
    assert _post(reviewer, docs.xss_case, "reject").status_code == 303
    assert _snapshot(engine, docs.xss_case)[0][0] == "rejected"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("fields/patient_last_name/confirm", {}),
        ("fields/patient_last_name", {"value": "Roe"}),
        ("approve", {"confirm_open": "yes"}),
    ],
)
def test_supervision_actions_on_an_accepted_document_are_refused(
    client_for, docs, engine, path, data
) -> None:
    """The supervision view's field confirmations, corrections and approval follow the
    same rule as the record page: only documents in review."""
    client = client_for("reviewer")
    before = _snapshot(engine, docs.accepted)
    response = client.post(
        f"/supervise/{docs.accepted}/{path}",
        data={**data, "csrf_token": csrf_of(client)},
        headers={"accept": "application/json"},
        follow_redirects=False,
    )
    assert response.status_code == 409
    assert _snapshot(engine, docs.accepted) == before
