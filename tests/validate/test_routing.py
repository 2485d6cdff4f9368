"""Routing and the pipeline's entry point: issues and confidence decide the status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from faxflow.errors import DatabaseError
from faxflow.model import (
    Extraction,
    FieldResult,
    FormType,
    Issue,
    PageReport,
    PageRole,
    RecordType,
    Status,
)
from faxflow.schemas import empty_record
from faxflow.settings import BLANK_MARKS, BLANK_WRITING, Settings
from tests.validate.conftest import TODAY
from validate import validate_extraction
from validate.routing import route

FORM_PAGES = (
    PageReport(number=1, role=PageRole.FORM, form_type=FormType.CDC_PUI_2020, template_page=1),
    PageReport(number=2, role=PageRole.FORM, form_type=FormType.CDC_PUI_2020, template_page=2),
)


@pytest.fixture
def routing_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "default_confidence_threshold": 0.8,
            "confidence_thresholds": {
                "date": 0.9,
                "onset_date": 0.95,
                BLANK_WRITING: 0.8,
                BLANK_MARKS: 0.8,
            },
        }
    )


def _extraction(
    record: dict[str, Any],
    *,
    confidence: float = 0.99,
    overrides: dict[str, float] | None = None,
    issues: tuple[Issue, ...] = (),
    form_type: FormType = FormType.CDC_PUI_2020,
    pages: tuple[PageReport, ...] = FORM_PAGES,
) -> Extraction:
    overrides = overrides or {}
    fields = {
        name: FieldResult(value=value, confidence=overrides.get(name, confidence))
        for name, value in record.items()
        if name != "household_members"
    }
    kinds = {name: "date" if "date" in name else "text" for name in fields}
    return Extraction(
        form_type=form_type,
        record=record,
        fields=fields,
        pages=pages,
        issues=issues,
        field_kinds=kinds,
    )


def test_clean_confident_record_is_accepted(cdc_record: dict, routing_settings: Settings) -> None:
    outcome = validate_extraction(_extraction(cdc_record), settings=routing_settings, today=TODAY)
    assert outcome.status is Status.ACCEPTED
    assert outcome.issues == ()


def test_blank_form_needs_review(routing_settings: Settings) -> None:
    blank = empty_record(RecordType.INFECTION_REPORT)
    outcome = validate_extraction(_extraction(blank), settings=routing_settings, today=TODAY)
    assert outcome.status is Status.NEEDS_REVIEW
    assert {i.code for i in outcome.issues} == {"missing_required"}


def test_blank_application_needs_review(routing_settings: Settings) -> None:
    blank = empty_record(RecordType.BENEFIT_APPLICATION)
    extraction = _extraction(blank, form_type=FormType.MDHHS_DHS1171)
    outcome = validate_extraction(extraction, settings=routing_settings, today=TODAY)
    assert outcome.status is Status.NEEDS_REVIEW


@pytest.mark.parametrize(
    ("name", "confidence", "status"),
    [
        ("patient_last_name", 0.79, Status.NEEDS_REVIEW),  # below the default 0.8
        ("patient_last_name", 0.80, Status.ACCEPTED),
        ("report_date_case", 0.85, Status.NEEDS_REVIEW),  # kind "date": 0.9
        ("report_date_case", 0.92, Status.ACCEPTED),
        ("onset_date", 0.92, Status.NEEDS_REVIEW),  # by name: 0.95 beats the kind
        ("contact_id", 0.5, Status.NEEDS_REVIEW),  # a blank field read with low confidence
    ],
)
def test_confidence_thresholds_by_name_then_kind_then_default(
    cdc_record: dict, routing_settings: Settings, name: str, confidence: float, status: Status
) -> None:
    extraction = _extraction(cdc_record, overrides={name: confidence})
    outcome = validate_extraction(extraction, settings=routing_settings, today=TODAY)
    assert outcome.status is status
    low = [i for i in outcome.issues if i.code == "low_confidence"]
    assert [i.field for i in low] == ([name] if status is Status.NEEDS_REVIEW else [])


def test_a_field_read_as_nothing_is_judged_by_the_blank_bucket(
    cdc_record: dict, routing_settings: Settings
) -> None:
    # onset_date's own threshold (0.95) was learned on dates that were read; an empty zone
    # at the same confidence is accepted or not by the blank bucket alone.
    record = {**cdc_record, "onset_date": None}
    extraction = _extraction(record, overrides={"onset_date": 0.97})
    strict = routing_settings.model_copy(
        update={
            "confidence_thresholds": {
                **routing_settings.confidence_thresholds,
                BLANK_WRITING: 0.99,
            }
        }
    )
    needs = validate_extraction(extraction, settings=strict, today=TODAY)
    assert needs.status is Status.NEEDS_REVIEW
    assert needs.fields["onset_date"].review_reason == "low_confidence"
    assert not needs.fields["report_date_case"].needs_review
    lenient = strict.model_copy(
        update={"confidence_thresholds": {**strict.confidence_thresholds, BLANK_WRITING: 0.96}}
    )
    assert validate_extraction(extraction, settings=lenient, today=TODAY).status is Status.ACCEPTED


def test_blocking_issue_needs_review_and_advisory_does_not(
    cdc_record: dict, routing_settings: Settings
) -> None:
    extraction = _extraction(cdc_record)
    advisory = [Issue(field="x", code="specimen_before_onset", message="m")]
    blocking = [Issue(field="x", code="something_new_from_the_engine", message="m")]
    assert route(extraction, advisory, routing_settings) is Status.ACCEPTED
    assert route(extraction, blocking, routing_settings) is Status.NEEDS_REVIEW


def test_a_truncated_reading_blocks_even_at_high_confidence(
    cdc_record: dict, routing_settings: Settings
) -> None:
    """A value cut at a label or the page's edge is wrong as read however surely OCR read
    it: the engine's ``truncated`` issue sends the document to a person."""
    cut = Issue(field="reporting_health_department", code="truncated", message="m")
    extraction = _extraction(cdc_record, issues=(cut,))
    outcome = validate_extraction(extraction, settings=routing_settings, today=TODAY)
    assert outcome.status is Status.NEEDS_REVIEW
    assert ("reporting_health_department", "truncated") in {
        (i.field, i.code) for i in outcome.issues
    }


def test_unreadable_document_is_rejected(routing_settings: Settings) -> None:
    pages = (PageReport(number=1, role=PageRole.COVER), PageReport(number=2, role=PageRole.BLANK))
    extraction = Extraction(form_type=FormType.UNKNOWN, record={}, fields={}, pages=pages)
    outcome = validate_extraction(extraction, settings=routing_settings)
    assert outcome.status is Status.REJECTED
    assert [i.code for i in outcome.issues] == ["unreadable_document"]


def test_unknown_form_with_a_matched_page_needs_review(routing_settings: Settings) -> None:
    extraction = Extraction(form_type=FormType.UNKNOWN, record={}, fields={}, pages=FORM_PAGES)
    assert route(extraction, [], routing_settings) is Status.NEEDS_REVIEW
    outcome = validate_extraction(extraction, settings=routing_settings)
    assert outcome.status is Status.NEEDS_REVIEW
    assert [i.code for i in outcome.issues] == ["unknown_form"]


def test_engine_issues_are_merged_not_duplicated(
    cdc_record: dict, routing_settings: Settings
) -> None:
    engine_issue = Issue(field="sex", code="multiple_marks", message="two boxes marked (engine)")
    record = {**cdc_record, "sex": ["male", "female"]}
    extraction = _extraction(record, issues=(engine_issue,))
    outcome = validate_extraction(extraction, settings=routing_settings, today=TODAY)
    marks = [i for i in outcome.issues if i.code == "multiple_marks"]
    assert marks == [engine_issue]
    assert outcome.status is Status.NEEDS_REVIEW


class FakeFinder:
    """Records each call; answers with fixed document ids."""

    def __init__(self, answer: list[str] | Exception) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> list[str]:
        self.calls.append(kwargs)
        if isinstance(self.answer, Exception):
            raise self.answer
        return list(self.answer)


def test_possible_duplicate_links_the_earlier_document(
    cdc_record: dict, routing_settings: Settings
) -> None:
    finder = FakeFinder(["a" * 64, "self"])
    outcome = validate_extraction(
        _extraction(cdc_record),
        settings=routing_settings,
        duplicate_finder=finder,
        document_id="self",
        today=TODAY,
    )
    assert finder.calls == [
        {
            "record_type": RecordType.INFECTION_REPORT,
            "document_id": "self",
            "person_names": ["Ana", "Lopez"],
            "birth_date": "1961-07-04",
            "event_date": "2020-03-12",
        }
    ]
    (issue,) = outcome.issues
    assert issue.code == "possible_duplicate" and "a" * 64 in issue.message
    assert "self" not in issue.message and "Lopez" not in issue.message
    assert outcome.status is Status.NEEDS_REVIEW


def test_no_duplicate_keeps_the_document_accepted(
    dhs_record: dict, routing_settings: Settings
) -> None:
    finder = FakeFinder([])
    extraction = _extraction(dhs_record, form_type=FormType.MDHHS_DHS1171)
    outcome = validate_extraction(
        extraction, settings=routing_settings, duplicate_finder=finder, today=TODAY
    )
    assert outcome.status is Status.ACCEPTED
    assert finder.calls[0]["event_date"] == "2020-05-01"  # the application (signature) date
    assert finder.calls[0]["person_names"] == ["Ana Lopez"]


def test_duplicate_look_up_skipped_without_identity(routing_settings: Settings) -> None:
    finder = FakeFinder(["a" * 64])
    blank = _extraction(empty_record(RecordType.INFECTION_REPORT))
    validate_extraction(blank, settings=routing_settings, duplicate_finder=finder)
    assert finder.calls == []


def test_failed_duplicate_look_up_needs_review(
    cdc_record: dict, routing_settings: Settings
) -> None:
    finder = FakeFinder(DatabaseError("database is down"))
    outcome = validate_extraction(
        _extraction(cdc_record), settings=routing_settings, duplicate_finder=finder, today=TODAY
    )
    assert [i.code for i in outcome.issues] == ["duplicate_check_failed"]
    assert outcome.status is Status.NEEDS_REVIEW


def test_real_duplicate_finder_finds_an_earlier_case(
    cdc_record: dict, routing_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    duplicates = pytest.importorskip("loaders.duplicates")
    load = pytest.importorskip("loaders.load")
    db = pytest.importorskip("loaders.db")
    from cryptography.fernet import Fernet

    from faxflow.model import DocumentResult
    from faxflow.settings import get_settings

    monkeypatch.setenv("FAXFLOW_ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("FAXFLOW_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    engine = db.engine_for(f"sqlite:///{tmp_path / 'dupes.db'}")
    try:
        db.upgrade(engine)
        earlier = DocumentResult(
            document_id="e" * 64,
            source_name="first.tif",
            form_type=FormType.CDC_PUI_2020,
            record_type=RecordType.INFECTION_REPORT,
            page_count=2,
            status=Status.ACCEPTED,
            record=cdc_record,
            fields={},
            pages=list(FORM_PAGES),
        )
        load.load_document(engine, earlier)

        def finder(**kwargs: Any) -> list[str]:
            return list(duplicates.find_possible_duplicates(engine, **kwargs))

        resent = {**cdc_record, "patient_last_name": "LOPEZ"}
        outcome = validate_extraction(
            _extraction(resent),
            settings=routing_settings,
            duplicate_finder=finder,
            document_id="f" * 64,
            today=TODAY,
        )
        assert [i.code for i in outcome.issues] == ["possible_duplicate"]
        assert "e" * 64 in outcome.issues[0].message
        other_case = {**cdc_record, "onset_date": "2020-03-13"}
        outcome = validate_extraction(
            _extraction(other_case),
            settings=routing_settings,
            duplicate_finder=finder,
            document_id="f" * 64,
            today=TODAY,
        )
        assert outcome.status is Status.ACCEPTED
    finally:
        engine.dispose()
        get_settings.cache_clear()


def test_required_fields_come_from_the_template(
    cdc_record: dict, routing_settings: Settings, tmp_path: Path
) -> None:
    import shutil

    import yaml

    source = routing_settings.templates_dir / "cdc_pui_2020"
    if not (source / "template.yaml").is_file():
        pytest.skip("the CDC template is not written yet")
    folder = tmp_path / "templates" / "cdc_pui_2020"
    shutil.copytree(source, folder)
    data = yaml.safe_load((folder / "template.yaml").read_text())
    for spec in data["fields"]:
        spec["required"] = spec["name"] == "county_of_residence"
    (folder / "template.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    custom = routing_settings.model_copy(update={"templates_dir": tmp_path / "templates"})
    outcome = validate_extraction(_extraction(cdc_record), settings=custom, today=TODAY)
    assert [(i.field, i.code) for i in outcome.issues] == [
        ("county_of_residence", "missing_required")
    ]
    filled = {**cdc_record, "county_of_residence": "Ingham"}
    assert validate_extraction(_extraction(filled), settings=custom, today=TODAY).issues == ()


# --------------------------------------------------------------------------------------
# Field-level review: a person sees only the fields the machine doubts
# --------------------------------------------------------------------------------------


def _marks(outcome: Any) -> dict[str, str | None]:
    """Field -> review reason for the fields that need a look."""
    return {n: f.review_reason for n, f in outcome.fields.items() if f.needs_review}


def test_every_field_is_marked_and_a_confident_document_is_accepted_whole(
    cdc_record: dict, routing_settings: Settings
) -> None:
    outcome = validate_extraction(_extraction(cdc_record), settings=routing_settings, today=TODAY)
    assert outcome.status is Status.ACCEPTED
    assert outcome.fields and all(f.needs_review is False for f in outcome.fields.values())
    assert all(f.review_reason is None for f in outcome.fields.values())


def test_only_doubtful_fields_need_a_look(cdc_record: dict, routing_settings: Settings) -> None:
    extraction = _extraction(
        cdc_record, overrides={"onset_date": 0.92, "patient_last_name": 0.5, "sex": 0.99}
    )
    outcome = validate_extraction(extraction, settings=routing_settings, today=TODAY)
    assert outcome.status is Status.NEEDS_REVIEW
    low = "low_confidence"
    assert _marks(outcome) == {"onset_date": low, "patient_last_name": low}


def test_a_field_with_no_trusted_threshold_is_unvalidated(
    cdc_record: dict, routing_settings: Settings
) -> None:
    never = routing_settings.model_copy(
        update={"confidence_thresholds": {**routing_settings.confidence_thresholds, "sex": 1.01}}
    )
    outcome = validate_extraction(
        _extraction(cdc_record, confidence=1.0), settings=never, today=TODAY
    )
    assert _marks(outcome) == {"sex": "unvalidated"}


def test_a_field_named_by_a_blocking_issue_needs_a_look_with_that_reason(
    cdc_record: dict, routing_settings: Settings
) -> None:
    bad_phone = {**cdc_record, "interviewer_telephone": "517555"}
    outcome = validate_extraction(_extraction(bad_phone), settings=routing_settings, today=TODAY)
    assert outcome.status is Status.NEEDS_REVIEW
    assert _marks(outcome) == {"interviewer_telephone": "blocking_issue"}


@pytest.mark.parametrize(
    "doubt",
    [
        pytest.param(Issue(code="possible_duplicate", message="m"), id="document-level issue"),
        pytest.param(Issue(field="not_a_field", code="odd", message="m"), id="unknown field"),
        pytest.param("unknown_page", id="unknown page"),
    ],
)
def test_a_document_in_doubt_sends_every_field_to_a_person(
    cdc_record: dict, routing_settings: Settings, doubt: Any
) -> None:
    if doubt == "unknown_page":
        pages = (*FORM_PAGES, PageReport(number=3, role=PageRole.UNKNOWN))
        extraction, issues = _extraction(cdc_record, pages=pages), []
    else:
        extraction, issues = _extraction(cdc_record), [doubt]
    assert route(extraction, issues, routing_settings) is Status.NEEDS_REVIEW
    from validate.routing import decide_fields

    decided = decide_fields(extraction, issues, routing_settings)
    assert {f.review_reason for f in decided.values()} == {"whole_document"}
    assert all(f.needs_review for f in decided.values())


def test_result_json_marks_each_field(cdc_record: dict, routing_settings: Settings) -> None:
    import json

    from faxflow.model import DocumentResult

    extraction = _extraction(cdc_record, overrides={"onset_date": 0.5})
    outcome = validate_extraction(extraction, settings=routing_settings, today=TODAY)
    result = DocumentResult(
        document_id="d",
        source_name="s",
        form_type=extraction.form_type,
        record_type=RecordType.INFECTION_REPORT,
        page_count=2,
        status=outcome.status,
        fields=outcome.fields,
    )
    fields = json.loads(result.to_json())["fields"]
    assert fields["onset_date"]["needs_review"] is True
    assert fields["onset_date"]["review_reason"] == "low_confidence"
    assert fields["sex"]["needs_review"] is False


def test_a_share_of_auto_accepted_documents_goes_to_blind_qa(
    cdc_record: dict, routing_settings: Settings
) -> None:
    from validate.routing import in_qa_sample

    ids = [f"{i:08x}" + "0" * 56 for i in range(0, 0x1_0000_0000, 0x1_0000_0000 // 1000)]
    assert abs(sum(in_qa_sample(i, 0.02) for i in ids) - 20) <= 1  # 2 % of evenly spread ids
    assert not any(in_qa_sample(i, 0.0) for i in ids)
    sampled = "00000001" + "0" * 56  # at the very start of the id space: always sampled
    outcome = validate_extraction(
        _extraction(cdc_record), settings=routing_settings, today=TODAY, document_id=sampled
    )
    assert outcome.status is Status.NEEDS_REVIEW
    assert [i.code for i in outcome.issues] == ["qa_sample"]
    assert not any(f.needs_review for f in outcome.fields.values())  # still auto-accepted
    other = "ffffffff" + "0" * 56
    outcome = validate_extraction(
        _extraction(cdc_record), settings=routing_settings, today=TODAY, document_id=other
    )
    assert outcome.status is Status.ACCEPTED
