"""Property: any sequence of loads and review actions leaves the record and the status
that a simple model predicts (reviewer values win until undone; the reviewer's decision
stands until reopened or a correction is undone; reloads change only machine values;
corrections and decisions apply only to a document in review, others are refused)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from faxflow.model import Status
from loaders.load import load_document
from loaders.review import (
    DocumentNotInReview,
    InvalidCorrection,
    apply_correction,
    approve,
    reject,
    reopen,
    undo_correction,
)
from loaders.tables import infection_reports
from tests.loaders.conftest import infection_result

FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "sex": st.sampled_from(["male", "female", "unknown", "other"]),
    "county_of_residence": st.sampled_from(["Kent", "Washtenaw", "Wayne"]),
    "age": st.integers(0, 130),
}
machine_records = st.fixed_dictionaries({name: values for name, values in FIELDS.items()})
steps = st.one_of(
    st.tuples(st.just("load"), machine_records, st.sampled_from(list(Status))),
    st.sampled_from(list(FIELDS)).flatmap(
        lambda f: st.tuples(st.just("correct"), st.just(f), FIELDS[f])
    ),
    st.tuples(st.just("undo"), st.sampled_from(list(FIELDS))),
    st.tuples(st.sampled_from(["approve", "reject", "reopen"])),
)
_numbers = itertools.count(1000)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=machine_records, actions=st.lists(steps, max_size=8))
def test_loads_and_reviews_follow_the_model(sqlite_engine: Engine, first, actions) -> None:
    n = next(_numbers)
    document_id = infection_result(n).document_id
    machine, machine_status = dict(first), Status.NEEDS_REVIEW.value
    corrections: dict[str, Any] = {}
    decision: str | None = None
    load_document(sqlite_engine, infection_result(n, status=Status.NEEDS_REVIEW, **machine))
    for action in actions:
        kind = action[0]
        in_review = (decision or machine_status) == Status.NEEDS_REVIEW.value
        if kind in ("correct", "approve", "reject") and not in_review:
            with pytest.raises(DocumentNotInReview):
                if kind == "correct":
                    apply_correction(
                        sqlite_engine, document_id, action[1], action[2], reviewer="rita"
                    )
                elif kind == "approve":
                    approve(sqlite_engine, document_id, reviewer="rita")
                else:
                    reject(sqlite_engine, document_id, reviewer="rita", reason="unreadable")
        elif kind == "load":
            machine, machine_status = dict(action[1]), action[2].value
            load_document(sqlite_engine, infection_result(n, status=action[2], **machine))
        elif kind == "correct":
            apply_correction(sqlite_engine, document_id, action[1], action[2], reviewer="rita")
            corrections[action[1]] = action[2]
        elif kind == "undo":
            if action[1] not in corrections:
                with pytest.raises(InvalidCorrection):
                    undo_correction(sqlite_engine, document_id, action[1], reviewer="rita")
                continue
            undo_correction(sqlite_engine, document_id, action[1], reviewer="rita")
            del corrections[action[1]]
            decision = None
        elif kind == "approve":
            approve(sqlite_engine, document_id, reviewer="rita")
            decision = Status.ACCEPTED.value
        elif kind == "reject":
            reject(sqlite_engine, document_id, reviewer="rita", reason="unreadable")
            decision = Status.REJECTED.value
        else:
            reopen(sqlite_engine, document_id, reviewer="rita")
            decision = None
        with sqlite_engine.connect() as connection:
            row = connection.execute(
                sa.select(infection_reports).where(infection_reports.c.document_id == document_id)
            ).one()
            status = connection.execute(
                sa.text("SELECT status FROM documents WHERE document_id = :d"), {"d": document_id}
            ).scalar()
        expected = {name: corrections.get(name, machine[name]) for name in FIELDS}
        assert {name: row._mapping[name] for name in FIELDS} == expected, action
        assert status == (decision or machine_status), action
