"""Review actions, the queue, masked views and the one audited way to read an SSN."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from faxflow.model import Issue, Status
from loaders.load import load_document
from loaders.review import (
    DocumentNotFound,
    InvalidCorrection,
    apply_correction,
    approve,
    get_document,
    reject,
    reveal,
    review_queue,
)
from loaders.tables import audit_events, benefit_applications, fields, review_events
from tests.loaders.conftest import at, benefit_result, doc_id, infection_result, source_for


def _needs_review(engine: Engine, n: int, *, centre: str, day: int, code: str) -> str:
    result = infection_result(
        n,
        status=Status.NEEDS_REVIEW,
        sex="male",
        issues=[Issue(field="sex", code=code, message="check the box")],
    )
    load_document(engine, result, source=source_for(result, centre=centre, received=at(day)))
    return result.document_id


def test_queue_is_oldest_first_and_filters(engine: Engine) -> None:
    late = _needs_review(engine, 1, centre="A", day=5, code="low_confidence")
    early = _needs_review(engine, 2, centre="B", day=1, code="two_marks")
    middle = _needs_review(engine, 3, centre="A", day=3, code="two_marks")
    load_document(engine, infection_result(4, status=Status.ACCEPTED))
    benefit = benefit_result(5, status=Status.NEEDS_REVIEW)
    load_document(engine, benefit, source=source_for(benefit, centre="A", received=at(4)))

    assert [q.document_id for q in review_queue(engine)] == [
        early,
        middle,
        benefit.document_id,
        late,
    ]
    assert [q.document_id for q in review_queue(engine, centre="A")] == [
        middle,
        benefit.document_id,
        late,
    ]
    assert [q.document_id for q in review_queue(engine, form_type="mdhhs_dhs1171")] == [
        benefit.document_id
    ]
    assert [q.document_id for q in review_queue(engine, issue_code="two_marks")] == [early, middle]
    assert review_queue(engine)[0].issue_codes == ("two_marks",)

    approve(engine, early, reviewer="rita")  # an approved document leaves the queue
    apply_correction(engine, middle, "sex", "female", reviewer="rita")  # its issue is resolved
    assert [q.document_id for q in review_queue(engine, issue_code="two_marks")] == []
    assert early not in [q.document_id for q in review_queue(engine)]


def test_reject_needs_a_reason_and_is_recorded(engine: Engine) -> None:
    document_id = _needs_review(engine, 6, centre="A", day=1, code="x")
    with pytest.raises(InvalidCorrection):
        reject(engine, document_id, reviewer="rita", reason="  ")
    reject(engine, document_id, reviewer="rita", reason="illegible copy, asked for a resend")
    view = get_document(engine, document_id)
    assert (view.status, view.reviewed_by) == ("rejected", "rita")
    assert view.history[-1].reason == "illegible copy, asked for a resend"


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("onset_date", "03/04/2020", "YYYY-MM-DD"),
        ("sex", "M", "enum"),
        ("age", 200, "maximum"),
        ("race", ["martian"], "enum"),
        ("no_such_field", "x", None),
        ("household_members[0].ssn", "123456789", None),  # not part of an infection report
    ],
)
def test_a_correction_must_fit_the_schema(sqlite_engine: Engine, field, value, rule) -> None:
    result = infection_result(7, sex="male", status=Status.NEEDS_REVIEW)
    load_document(sqlite_engine, result)
    with pytest.raises(InvalidCorrection) as caught:
        apply_correction(sqlite_engine, result.document_id, field, value, reviewer="rita")
    assert field in caught.value.message
    if rule:
        assert rule in caught.value.message
    if isinstance(value, str):
        assert value not in caught.value.message.replace(field, "")
    with sqlite_engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(review_events)).scalar() == 0
        )


def test_unknown_document(sqlite_engine: Engine) -> None:
    with pytest.raises(DocumentNotFound):
        get_document(sqlite_engine, doc_id(99))
    with pytest.raises(DocumentNotFound):
        approve(sqlite_engine, doc_id(99), reviewer="rita")


def test_ssn_is_encrypted_at_rest_masked_in_views_and_revealed_with_an_audit_row(
    engine: Engine,
) -> None:
    result = benefit_result(
        8,
        applicant_ssn="123456789",
        applicant_full_name="Pat Doe",
        members=[{"full_name": "Kid", "ssn": "987654321"}],
    )
    load_document(engine, result)
    document_id = result.document_id
    with engine.connect() as connection:
        stored = connection.execute(sa.select(benefit_applications)).one()._mapping
        field_rows = connection.execute(sa.select(fields)).all()
    # nothing stored in clear, anywhere
    dump = repr(dict(stored)) + repr([dict(r._mapping) for r in field_rows])
    assert "123456789" not in dump and "987654321" not in dump
    assert stored["applicant_ssn_masked"] == "***-**-6789"

    view = get_document(engine, document_id)
    assert view.record["applicant_ssn"] == "***-**-6789"
    assert view.field("applicant_ssn").value == "***-**-6789"
    assert view.field("applicant_ssn").raw_text == "***-**-6789"
    assert view.field("household_members[0].ssn").value == "***-**-4321"
    assert "123456789" not in repr(view)

    assert reveal(engine, document_id, "applicant_ssn", actor="admin") == "123456789"
    assert reveal(engine, document_id, "household_members[0].ssn", actor="admin") == "987654321"
    with engine.connect() as connection:
        audits = connection.execute(sa.select(audit_events).order_by(audit_events.c.id)).all()
    assert [(a.actor, a.action, a.document_id, a.field) for a in audits] == [
        ("admin", "reveal_ssn", document_id, "applicant_ssn"),
        ("admin", "reveal_ssn", document_id, "household_members[0].ssn"),
    ]
    with pytest.raises(InvalidCorrection):
        reveal(engine, document_id, "applicant_full_name", actor="admin")


def test_an_ssn_correction_stays_encrypted_and_survives_a_reload(engine: Engine) -> None:
    result = benefit_result(9, status=Status.NEEDS_REVIEW, applicant_ssn="123456780")
    load_document(engine, result)
    apply_correction(engine, result.document_id, "applicant_ssn", "123456789", reviewer="rita")
    load_document(engine, result)
    view = get_document(engine, result.document_id)
    event = view.history[0]
    assert (event.old_value, event.new_value) == ("***-**-6780", "***-**-6789")
    assert view.field("applicant_ssn").machine_value == "***-**-6780"
    assert view.record["applicant_ssn"] == "***-**-6789"
    assert reveal(engine, result.document_id, "applicant_ssn", actor="admin") == "123456789"
    with engine.connect() as connection:
        events = connection.execute(sa.select(review_events)).all()
    assert "123456789" not in repr([dict(e._mapping) for e in events])


def test_corrections_update_fields_and_record_in_one_step(engine: Engine) -> None:
    result = infection_result(10, status=Status.NEEDS_REVIEW, age=5)
    load_document(engine, result)
    apply_correction(engine, result.document_id, "age", 50, reviewer="rita")
    apply_correction(engine, result.document_id, "race", ["black", "white"], reviewer="rita")
    apply_correction(engine, result.document_id, "onset_date", "2020-03-01", reviewer="sam")
    view = get_document(engine, result.document_id)
    assert view.record["age"] == 50
    assert view.record["race"] == ["black", "white"]
    assert view.record["onset_date"] == "2020-03-01"
    assert view.field("race").machine_value is None and view.field("race").reviewed
    assert [(e.reviewer, e.field) for e in view.history] == [
        ("rita", "age"),
        ("rita", "race"),
        ("sam", "onset_date"),
    ]
    assert view.status == "needs_review"  # corrections alone do not approve


def test_no_personal_data_in_logs(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    result = benefit_result(
        11, status=Status.NEEDS_REVIEW, applicant_ssn="123456789", applicant_full_name="Zelda Quux"
    )
    load_document(engine, result)
    apply_correction(
        engine, result.document_id, "applicant_full_name", "Zelda Quuxley", reviewer="rita"
    )
    apply_correction(engine, result.document_id, "applicant_ssn", "123456788", reviewer="rita")
    reveal(engine, result.document_id, "applicant_ssn", actor="admin")
    load_document(engine, result)
    assert caplog.records  # the loader does log, just not values
    for secret in ("123456789", "123456788", "Zelda", "Quux"):
        assert secret not in caplog.text


def test_a_form_pack_document_is_reviewed_like_any_other(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pack's record (form_records) shows masked, takes corrections checked against the
    pack's schema, gives them back on undo, and its SSN is revealed from the record."""
    from faxflow.settings import get_settings
    from loaders.review import undo_correction
    from tests.builders import pack_result, pack_settings

    settings = pack_settings(tmp_path, "support", renames={"zip": "applicant_ssn"})
    monkeypatch.setenv("FAXFLOW_FORMS_DIR", str(settings.forms_dir))
    get_settings.cache_clear()
    record = {
        "full_name_applicant": "Ana Ruiz",
        "applicant_ssn": "123456789",
        "owns_car": True,
        "marital": "single",
        "has_job": None,
    }
    result = pack_result(1, "support", record, Status.NEEDS_REVIEW)
    load_document(engine, result, settings=settings)
    shown = get_document(engine, result.document_id).record
    assert shown == {**record, "applicant_ssn": "***-**-6789"}

    apply_correction(engine, result.document_id, "marital", "married", reviewer="rev")
    assert get_document(engine, result.document_id).record["marital"] == "married"
    with pytest.raises(InvalidCorrection, match="one of 'married', 'single' or null"):
        apply_correction(engine, result.document_id, "marital", "widowed", reviewer="rev")
    with pytest.raises(InvalidCorrection, match="not part of a support record"):
        apply_correction(engine, result.document_id, "no_such", "x", reviewer="rev")
    undo_correction(engine, result.document_id, "marital", reviewer="rev")
    assert get_document(engine, result.document_id).record["marital"] == "single"
    assert reveal(engine, result.document_id, "applicant_ssn", actor="rev") == "123456789"
