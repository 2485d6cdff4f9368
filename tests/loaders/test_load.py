"""Loading documents: upsert by document_id, reviewer corrections kept, all-or-nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from faxflow.model import FieldResult, Issue, Status
from loaders import load as load_module
from loaders.load import load_document
from loaders.review import apply_correction, approve, get_document, reopen, undo_correction
from loaders.tables import (
    benefit_applications,
    documents,
    fields,
    household_members,
    infection_reports,
    pages,
    validation_issues,
)
from tests.loaders.conftest import at, benefit_result, doc_id, infection_result, source_for

CHILD_TABLES = (
    fields,
    pages,
    validation_issues,
    infection_reports,
    benefit_applications,
    household_members,
)


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.execute(
                sa.select(sa.func.count()).select_from(table)
            ).scalar_one()
            for table in (documents, *CHILD_TABLES)
        }


def typed_row(engine: Engine, table: sa.Table, document_id: str) -> sa.Row:
    with engine.connect() as connection:
        return connection.execute(sa.select(table).where(table.c.document_id == document_id)).one()


def test_loading_the_same_document_twice_leaves_one_set_of_rows(engine: Engine) -> None:
    result = infection_result(
        1,
        status=Status.NEEDS_REVIEW,
        patient_last_name="Doe",
        onset_date="2020-03-02",
        issues=[Issue(field="onset_date", code="date_after_report", message="onset after report")],
    )
    load_document(engine, result)
    first = row_counts(engine)
    load_document(engine, result)
    assert row_counts(engine) == first
    assert first == {
        "documents": 1,
        "fields": 2,
        "pages": 2,
        "validation_issues": 1,
        "infection_reports": 1,
        "benefit_applications": 0,
        "household_members": 0,
    }
    with engine.connect() as connection:
        assert connection.execute(sa.select(documents.c.load_count)).scalar_one() == 2


def test_every_schema_property_is_stored_with_its_type(engine: Engine) -> None:
    result = infection_result(
        2,
        patient_first_name="Ann",
        date_of_birth="1961-07-04",
        age=58,
        race=["asian", "white"],
        case_status="lab_confirmed",
        hospitalized="yes",
        mechanical_ventilation_days=3,
    )
    load_document(engine, result)
    row = typed_row(engine, infection_reports, result.document_id)
    assert row.date_of_birth == date(1961, 7, 4)
    assert row.age == 58
    assert row.race == ["asian", "white"]
    assert row.case_status == "lab_confirmed"
    assert row.mechanical_ventilation_days == 3
    assert row.onset_date is None and row.sex is None
    # a value that does not fit its column is NULL there but kept in `fields`
    bad = infection_result(3, date_of_birth="07/04/61", age="fifty")
    load_document(engine, bad)
    row = typed_row(engine, infection_reports, bad.document_id)
    assert row.date_of_birth is None and row.age is None
    view = get_document(engine, bad.document_id)
    assert view.field("date_of_birth").value == "07/04/61"


def test_a_reload_after_review_keeps_the_correction_and_the_decision(engine: Engine) -> None:
    machine = infection_result(
        4,
        status=Status.NEEDS_REVIEW,
        county_of_residence="Wasbtenaw",
        onset_date="2020-03-05",
        issues=[Issue(field="county_of_residence", code="low_confidence", message="check")],
    )
    load_document(engine, machine)
    apply_correction(
        engine, machine.document_id, "county_of_residence", "Washtenaw", reviewer="rita"
    )
    approve(engine, machine.document_id, reviewer="rita")
    # the pipeline runs again (new templates) and reads the county wrong differently
    rerun = infection_result(
        4,
        status=Status.NEEDS_REVIEW,
        county_of_residence="Washtenavv",
        onset_date="2020-03-06",
        issues=[Issue(field="county_of_residence", code="low_confidence", message="check")],
    )
    load_document(engine, rerun)
    row = typed_row(engine, infection_reports, machine.document_id)
    assert row.county_of_residence == "Washtenaw"  # the reviewer's value
    assert row.onset_date == date(2020, 3, 6)  # unreviewed fields take the new reading
    view = get_document(engine, machine.document_id)
    county = view.field("county_of_residence")
    assert (county.value, county.machine_value, county.reviewed) == (
        "Washtenaw",
        "Washtenavv",
        True,
    )
    assert county.reviewed_by == "rita"
    assert view.status == "accepted" and view.machine_status == "needs_review"
    assert [i.resolved_by_review for i in view.issues] == [True]
    assert [e.action for e in view.history] == ["correct", "approve"]
    assert view.history[0].old_value == "Wasbtenaw" and view.history[0].new_value == "Washtenaw"


def test_undone_corrections_and_reopening_give_back_the_machine_status(engine: Engine) -> None:
    machine = infection_result(5, status=Status.NEEDS_REVIEW, sex="male")
    load_document(engine, machine)
    apply_correction(engine, machine.document_id, "sex", "female", reviewer="rita")
    approve(engine, machine.document_id, reviewer="rita")
    undo_correction(engine, machine.document_id, "sex", reviewer="sam")
    view = get_document(engine, machine.document_id)
    assert view.status == "needs_review"
    assert view.field("sex").value == "male" and not view.field("sex").reviewed
    assert typed_row(engine, infection_reports, machine.document_id).sex == "male"
    load_document(engine, machine)  # a reload agrees
    assert get_document(engine, machine.document_id).status == "needs_review"
    assert typed_row(engine, infection_reports, machine.document_id).sex == "male"

    approve(engine, machine.document_id, reviewer="rita")
    load_document(engine, machine)
    assert get_document(engine, machine.document_id).status == "accepted"
    reopen(engine, machine.document_id, reviewer="rita")
    load_document(engine, machine)
    assert get_document(engine, machine.document_id).status == "needs_review"


def test_a_failure_half_way_leaves_nothing_half_written(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = infection_result(6, patient_last_name="Doe", sex="female")
    load_document(engine, first)
    before = row_counts(engine)
    before_view = get_document(engine, first.document_id)

    def broken_pages(*args: object, **kwargs: object) -> list[dict[str, object]]:
        raise OSError("disk went away")  # after fields, issues and the record were written

    monkeypatch.setattr(load_module, "_page_rows", broken_pages)
    rerun = infection_result(6, patient_last_name="Roe", sex="male", age=40)
    with pytest.raises(OSError):
        load_document(engine, rerun)
    new = infection_result(7, patient_last_name="New")
    with pytest.raises(OSError):
        load_document(engine, new)
    assert row_counts(engine) == before
    after_view = get_document(engine, first.document_id)
    assert after_view.record == before_view.record
    assert after_view.fields == before_view.fields
    with engine.connect() as connection:
        assert connection.execute(sa.select(documents.c.load_count)).scalar_one() == 1


def test_arrival_facts_and_page_images(engine: Engine, isolated_settings: Path) -> None:
    result = infection_result(8, sex="female")
    image = isolated_settings / "pages" / result.document_id / "001.png"
    image.parent.mkdir(parents=True)
    assert cv2.imwrite(str(image), np.full((110, 85), 255, np.uint8))
    relative = f"pages/{result.document_id}/001.png"
    load_document(
        engine,
        result,
        source=source_for(result, centre="clinic-a", received=at(2, 8)),
        page_images={1: relative},
    )
    load_document(engine, result)  # a reload without arrival facts keeps them
    view = get_document(engine, result.document_id)
    assert view.centre_id == "clinic-a" and view.received_at == at(2, 8)
    assert view.processed_at <= view.updated_at
    first_page, second_page = view.pages
    assert (first_page.image_path, first_page.width, first_page.height) == (relative, 85, 110)
    assert (second_page.image_path, second_page.role) == (None, "form")


def test_household_members_and_their_corrections(engine: Engine) -> None:
    members = [
        {
            "full_name": "Kid One",
            "birth_date": "2015-01-02",
            "relationship": "son",
            "sex": "male",
            "ssn": "111223333",
        },
        {
            "full_name": "Kid Two",
            "birth_date": None,
            "relationship": "daughter",
            "sex": "female",
            "ssn": None,
        },
    ]
    result = benefit_result(
        9,
        members=members,
        applicant_full_name="Pat Doe",
        residential_county="Kent",
        status=Status.NEEDS_REVIEW,
    )
    load_document(engine, result)
    load_document(engine, result)
    apply_correction(
        engine, result.document_id, "household_members[1].birth_date", "2017-05-06", reviewer="rita"
    )
    load_document(engine, result)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(household_members).order_by(household_members.c.position)
        ).all()
    assert [r.full_name for r in rows] == ["Kid One", "Kid Two"]
    assert rows[1].birth_date == date(2017, 5, 6)
    assert rows[0].ssn_masked == "***-**-3333" and "111223333" not in rows[0].ssn
    view = get_document(engine, result.document_id)
    assert view.record["household_members"][0]["ssn"] == "***-**-3333"
    assert view.record["household_members"][1]["birth_date"] == "2017-05-06"


def test_a_result_with_no_record_is_stored_as_a_rejected_document(engine: Engine) -> None:
    from faxflow.model import DocumentResult, FormType

    result = DocumentResult(
        document_id=doc_id(10),
        source_name="broken.pdf",
        form_type=FormType.UNKNOWN,
        record_type=None,
        page_count=0,
        status=Status.REJECTED,
        issues=[Issue(code="E_CORRUPT", message="the PDF cannot be read")],
    )
    load_document(engine, result)
    view = get_document(engine, result.document_id)
    assert (view.status, view.record, view.issues[0].code) == ("rejected", {}, "E_CORRUPT")


def test_field_evidence_is_stored(engine: Engine) -> None:
    result = infection_result(
        11,
        fields={
            "date_of_birth#2": FieldResult(
                value="1961-07-04", confidence=0.42, page=1, bbox=(1, 2, 3, 4), raw_text="7/4/61"
            )
        },
    )
    load_document(engine, result)
    evidence = get_document(engine, result.document_id).field("date_of_birth#2")
    assert (evidence.confidence, evidence.page, evidence.bbox, evidence.raw_text) == (
        0.42,
        1,
        (1, 2, 3, 4),
        "7/4/61",
    )


def test_provenance_is_stored_and_masked_like_the_value_for_ssns(engine: Engine) -> None:
    """GIVEN fields whose value steps changed after reading, THEN each step is stored
    (name, before → after) and shown in the review view; an SSN's steps are masked exactly
    as its value is, never stored in clear."""
    from faxflow.model import ProvenanceStep

    result = benefit_result(12, applicant_ssn="123456789", applicant_full_name="Tyler Ross")
    changed = dict(result.fields)
    changed["applicant_ssn"] = changed["applicant_ssn"].model_copy(
        update={
            "raw_text": "l23-45-6789",
            "provenance": (
                ProvenanceStep(step="normalise", before="l23-45-6789", after="123456789"),
            ),
        }
    )
    changed["applicant_full_name"] = changed["applicant_full_name"].model_copy(
        update={
            "provenance": (
                ProvenanceStep(
                    step="repair.name_spelling", before="Ty.ler Ross", after="Tyler Ross"
                ),
            )
        }
    )
    load_document(engine, result.model_copy(update={"fields": changed}))
    with engine.connect() as connection:
        rows = connection.execute(sa.select(fields.c.name, fields.c.provenance)).all()
    stored = {name: provenance for name, provenance in rows}
    assert stored["applicant_full_name"] == [
        {"step": "repair.name_spelling", "before": "Ty.ler Ross", "after": "Tyler Ross"}
    ]
    assert stored["applicant_ssn"] == [
        {"step": "normalise", "before": "***-**-6789", "after": "***-**-6789"}
    ]
    assert "123456789" not in repr(rows) and "l23-45" not in repr(rows)
    view = get_document(engine, result.document_id)
    steps = view.field("applicant_full_name").provenance
    assert [(p.step, p.before, p.after) for p in steps] == [
        ("repair.name_spelling", "Ty.ler Ross", "Tyler Ross")
    ]
