"""Every rule: a case that breaks it and a case that passes it."""

from __future__ import annotations

from typing import Any

import pytest

from faxflow.model import FieldResult, FormType, Issue
from tests.validate.conftest import TODAY
from validate.rules import ADVISORY_CODES, check_record, is_blocking, merge_issues

CDC = FormType.CDC_PUI_2020
DHS = FormType.MDHHS_DHS1171


def _codes(issues: list[Issue]) -> set[tuple[str | None, str]]:
    return {(i.field, i.code) for i in issues}


def _check(form: FormType, record: dict[str, Any], **kwargs: Any) -> list[Issue]:
    fields = kwargs.pop("fields", {})
    return check_record(form, record, fields, today=TODAY, **kwargs)


def test_valid_records_have_no_issues(cdc_record: dict, dhs_record: dict) -> None:
    assert _check(CDC, cdc_record) == []
    assert _check(DHS, dhs_record) == []


# --- formats --------------------------------------------------------------------------

FORMAT_CASES = [
    (CDC, "date_of_birth", "1961-02-30", "invalid_date"),
    (CDC, "onset_date", "03/12/2020", "invalid_date"),
    (CDC, "onset_date", "1899-12-31", "invalid_date"),
    (CDC, "interviewer_telephone", "517555012", "invalid_phone"),
    (CDC, "interviewer_email", "J.Doe@Health.gov", "invalid_email"),
    (CDC, "interviewer_email", "no-at-sign.example.org", "invalid_email"),
    (CDC, "state_of_residence", "ZZ", "invalid_state"),
    (CDC, "state_of_residence", "mi", "invalid_state"),
    (DHS, "residential_zip", "4893", "invalid_zip"),
    (DHS, "mailing_zip", "00000", "invalid_zip"),
    (DHS, "applicant_ssn", "12345678", "invalid_ssn"),
    (DHS, "applicant_ssn", "666123456", "invalid_ssn"),
    (DHS, "applicant_ssn", "123006789", "invalid_ssn"),
    (DHS, "total_cash_assets", -5.0, "invalid_money"),
    (DHS, "monthly_gross_income", float("nan"), "invalid_money"),
    (DHS, "monthly_gross_income", "1,250.00", "invalid_money"),
    (DHS, "home_phone", 5175550123, "invalid_phone"),
]


@pytest.mark.parametrize(("form", "field", "value", "code"), FORMAT_CASES)
def test_format_rule_flags_bad_values(
    cdc_record: dict, dhs_record: dict, form: FormType, field: str, value: Any, code: str
) -> None:
    record = cdc_record if form is CDC else dhs_record
    issues = _check(form, {**record, field: value})
    assert (field, code) in _codes(issues)
    assert all(str(value) not in i.message for i in issues if i.code == code)


def test_format_rule_flags_member_ssn_and_birth_date(dhs_record: dict) -> None:
    member = {**dhs_record["household_members"][0], "ssn": "000123456", "birth_date": "1990-13-01"}
    issues = _check(DHS, {**dhs_record, "household_members": [member]})
    assert {
        ("household_members[0].ssn", "invalid_ssn"),
        ("household_members[0].birth_date", "invalid_date"),
    } <= _codes(issues)


def test_blank_value_with_unreadable_writing_is_reported(cdc_record: dict) -> None:
    fields = {"onset_date": FieldResult(value=None, confidence=0.4, raw_text="Mxrch 4th?")}
    issues = _check(CDC, {**cdc_record, "onset_date": None}, fields=fields)
    assert ("onset_date", "invalid_date") in _codes(issues)
    smudge = {"onset_date": FieldResult(value=None, confidence=0.4, raw_text=" _ . ")}
    assert _check(CDC, {**cdc_record, "onset_date": None}, fields=smudge) == []


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("sex", "F", "invalid_choice"),
        ("died", True, "invalid_choice"),
        ("age", -1, "invalid_number"),
        ("age", "58", "invalid_value"),
        ("mechanical_ventilation_days", 2.5, "invalid_value"),
        ("race", ["asian", "martian"], "invalid_choice"),
        ("patient_last_name", 42, "invalid_value"),
    ],
)
def test_schema_values_rule(cdc_record: dict, field: str, value: Any, code: str) -> None:
    assert (field, code) in _codes(_check(CDC, {**cdc_record, field: value}))


def test_schema_values_rule_checks_booleans(dhs_record: dict) -> None:
    issues = _check(DHS, {**dhs_record, "applying_child_care": "yes"})
    assert ("applying_child_care", "invalid_value") in _codes(issues)


# --- marks ----------------------------------------------------------------------------


def test_two_marks_in_a_single_choice_group(cdc_record: dict) -> None:
    fields = {"sex": FieldResult(value=["male", "female"], confidence=0.9)}
    issues = _check(CDC, {**cdc_record, "sex": None}, fields=fields)
    assert ("sex", "multiple_marks") in _codes(issues)
    one_mark = {"sex": FieldResult(value="female", confidence=0.9)}
    assert _check(CDC, cdc_record, fields=one_mark) == []


def test_several_race_boxes_are_not_multiple_marks(cdc_record: dict) -> None:
    fields = {"race": FieldResult(value=["asian", "white"], confidence=0.9)}
    assert _check(CDC, cdc_record, fields=fields) == []


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"onset_date": "2020-03-21"}, "report_date_pui"),
        ({"onset_date": "2020-03-25", "report_date_pui": None}, "report_date_case"),
        ({"first_positive_specimen_date": "2020-03-25"}, "report_date_case"),
        ({"admission_date": "2020-04-01"}, "discharge_date"),
        ({"symptom_resolution_date": "2020-03-01"}, "symptom_resolution_date"),
        ({"died": "yes", "date_of_death": "2020-03-14"}, "date_of_death"),
    ],
)
def test_date_order(cdc_record: dict, changes: dict, field: str) -> None:
    issues = _check(CDC, {**cdc_record, **changes})
    assert (field, "date_order") in _codes(issues)
    assert all(is_blocking(i) for i in issues if i.code == "date_order")


def test_date_order_message_quotes_dates_not_birth_dates(cdc_record: dict) -> None:
    issues = _check(CDC, {**cdc_record, "admission_date": "2020-04-01"})
    (issue,) = [i for i in issues if i.code == "date_order"]
    assert "2020-04-01" in issue.message and "2020-03-30" in issue.message


def test_specimen_shortly_before_onset_is_advisory(cdc_record: dict) -> None:
    record = {**cdc_record, "first_positive_specimen_date": "2020-03-05"}  # 7 days before
    issues = _check(CDC, record)
    assert _codes(issues) == {("first_positive_specimen_date", "specimen_before_onset")}
    assert not any(is_blocking(i) for i in issues)


def test_specimen_long_before_onset_blocks(cdc_record: dict) -> None:
    record = {**cdc_record, "first_positive_specimen_date": "2020-02-01"}  # 40 days before
    assert ("first_positive_specimen_date", "date_order") in _codes(_check(CDC, record))


def test_specimen_after_pui_report_is_advisory(cdc_record: dict) -> None:
    record = {**cdc_record, "first_positive_specimen_date": "2020-03-22"}
    issues = _check(CDC, record)
    assert _codes(issues) == {("report_date_pui", "specimen_after_pui_report")}
    assert "specimen_after_pui_report" in ADVISORY_CODES


def test_dates_in_the_future(cdc_record: dict, dhs_record: dict) -> None:
    issues = _check(CDC, {**cdc_record, "report_date_case": "2020-06-02"})
    assert ("report_date_case", "date_in_future") in _codes(issues)
    assert ("signature_date", "date_in_future") in _codes(
        _check(DHS, {**dhs_record, "signature_date": "2021-01-01"})
    )
    assert _check(CDC, {**cdc_record, "report_date_case": TODAY.isoformat()}) == []


def test_birth_after_an_event(cdc_record: dict, dhs_record: dict) -> None:
    issues = _check(CDC, {**cdc_record, "date_of_birth": "2020-03-13", "age": 0})
    assert ("date_of_birth", "birth_after_event") in _codes(issues)
    assert all("2020-03-13" not in i.message for i in issues)  # birth dates are not quoted
    dhs = _check(DHS, {**dhs_record, "applicant_birth_date": "2020-05-02"})
    assert ("applicant_birth_date", "birth_after_event") in _codes(dhs)


def test_household_member_born_after_signature(dhs_record: dict) -> None:
    member = {**dhs_record["household_members"][0], "birth_date": "2020-05-20"}
    issues = _check(DHS, {**dhs_record, "household_members": [member]})
    assert ("household_members[0].birth_date", "birth_after_event") in _codes(issues)


def test_newborn_on_the_day_of_the_event_passes(cdc_record: dict) -> None:
    record = {
        **cdc_record,
        "date_of_birth": "2020-03-10",
        "age": 10,
        "age_units": "day",
        "onset_date": "2020-03-12",
        "report_date_pui": "2020-03-20",
    }
    assert _check(CDC, record) == []


def test_date_of_death_needs_died_yes(cdc_record: dict) -> None:
    record = {**cdc_record, "date_of_death": "2020-04-01"}
    assert ("date_of_death", "death_without_died_yes") in _codes(_check(CDC, record))
    assert _check(CDC, {**record, "died": "yes"}) == []


@pytest.mark.parametrize(
    ("birth", "age", "units", "ok"),
    [
        ("1961-07-04", 58, "yr", True),
        ("1961-07-04", 57, "yr", True),  # within one unit
        ("1961-07-04", 55, "yr", False),
        ("1961-07-04", 58, None, True),  # units not marked: years
        ("2019-01-15", 14, "mo", True),  # 2019-01-15 to 2020-03-20
        ("2019-01-15", 1, "yr", True),
        ("2019-01-15", 10, "mo", False),
        ("2020-01-01", 79, "day", True),
        ("2020-01-01", 60, "day", False),
    ],
)
def test_age_matches_birth_and_report_dates(
    cdc_record: dict, birth: str, age: int, units: str | None, ok: bool
) -> None:
    record = {**cdc_record, "date_of_birth": birth, "age": age, "age_units": units}
    issues = _check(CDC, record)
    assert (("age", "age_mismatch") in _codes(issues)) is not ok
    assert _codes(issues) <= {("age", "age_mismatch")}


def test_age_unchecked_without_a_reference_date(cdc_record: dict) -> None:
    dateless = dict.fromkeys(
        ["report_date_pui", "report_date_case", "onset_date", "first_positive_specimen_date"]
    )
    assert ("age", "age_mismatch") not in _codes(_check(CDC, {**cdc_record, **dateless, "age": 3}))


# --- copies ---------------------------------------------------------------------------


def test_the_two_birth_dates_and_ids_agree(cdc_record: dict) -> None:
    same = {
        "date_of_birth#2": FieldResult(value="1961-07-04", confidence=0.9),
        "cdc_ncov_id#2": FieldResult(value="2020 0417", confidence=0.9),  # spacing differs only
    }
    assert _check(CDC, cdc_record, fields=same) == []
    differ = {
        "date_of_birth#2": FieldResult(value="1961-07-14", confidence=0.9),
        "cdc_ncov_id#2": FieldResult(value="2020-0411", confidence=0.9),
    }
    issues = _check(CDC, cdc_record, fields=differ)
    assert {("date_of_birth", "field_disagreement"), ("cdc_ncov_id", "field_disagreement")} == (
        _codes(issues)
    )
    assert all("0411" not in i.message and "1961" not in i.message for i in issues)


def test_one_blank_copy_is_not_a_disagreement(cdc_record: dict) -> None:
    fields = {"date_of_birth#2": FieldResult(value=None, confidence=0.9)}
    assert _check(CDC, cdc_record, fields=fields) == []


# --- required and household -------------------------------------------------------------


def test_required_fields(cdc_record: dict) -> None:
    issues = _check(CDC, {**cdc_record, "sex": None}, required={"sex", "age"})
    assert _codes(issues) == {("sex", "missing_required")}
    blank_name = _check(CDC, {**cdc_record, "patient_last_name": "  "})
    assert ("patient_last_name", "missing_required") in _codes(blank_name)


def test_required_member_field_by_template_name(dhs_record: dict) -> None:
    issues = _check(DHS, dhs_record, required={"household_members[0].ssn"})
    assert _codes(issues) == {("household_members[0].ssn", "missing_required")}


@pytest.mark.parametrize(
    ("member", "incomplete"),
    [
        (
            {"full_name": "Luis Lopez", "birth_date": None, "relationship": "son", "sex": "male"},
            True,
        ),
        ({"full_name": None, "birth_date": "1990-01-02", "relationship": None, "sex": None}, True),
        (
            {
                "full_name": "Luis Lopez",
                "birth_date": "1990-01-02",
                "relationship": "son",
                "sex": "male",
            },
            False,
        ),
        ({"full_name": None, "birth_date": None, "relationship": None, "sex": None}, False),
    ],
)
def test_household_members_complete(dhs_record: dict, member: dict, incomplete: bool) -> None:
    issues = _check(DHS, {**dhs_record, "household_members": [member]})
    assert (("household_members[0]", "household_member_incomplete") in _codes(issues)) is incomplete
    assert all("Luis" not in i.message for i in issues)


def test_merge_keeps_the_first_issue_per_field_and_code() -> None:
    engine = [Issue(field="sex", code="multiple_marks", message="engine")]
    rules = [
        Issue(field="sex", code="multiple_marks", message="rules"),
        Issue(field="age", code="age_mismatch", message="rules"),
    ]
    merged = merge_issues(engine, rules)
    assert [(i.field, i.message) for i in merged] == [("sex", "engine"), ("age", "rules")]


def test_unknown_form_and_wrong_shapes_do_not_raise() -> None:
    assert _check(FormType.UNKNOWN, {"x": 1}) == []
    assert check_record("not-a-form", {}, {}) == []
    assert check_record(CDC, "oops", None) != []  # type: ignore[arg-type]  # missing_required
