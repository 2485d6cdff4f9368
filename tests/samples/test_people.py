"""Synthetic records: valid against the schema and internally consistent."""

from __future__ import annotations

from datetime import date

import pytest

from faxflow.model import FormType, RecordType
from faxflow.schemas import field_names, schema_errors
from samples.people import RELATIONSHIPS_CHILD, age_on, make_record

SEEDS = range(150)


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@pytest.mark.parametrize(
    ("form_type", "record_type"),
    [
        (FormType.CDC_PUI_2020, RecordType.INFECTION_REPORT),
        (FormType.MDHHS_DHS1171, RecordType.BENEFIT_APPLICATION),
    ],
)
def test_every_record_has_every_field_and_validates(
    form_type: FormType, record_type: RecordType
) -> None:
    for seed in SEEDS:
        record = make_record(form_type, seed)
        assert list(record) == field_names(record_type)
        assert schema_errors(record_type, record) == [], seed


def test_same_seed_same_record_and_different_seeds_differ() -> None:
    first = make_record(FormType.CDC_PUI_2020, 42)
    assert make_record(FormType.CDC_PUI_2020, 42) == first
    assert make_record(FormType.CDC_PUI_2020, 43) != first


def test_case_reports_are_clinically_consistent() -> None:
    blanks = 0
    for seed in SEEDS:
        r = make_record(FormType.CDC_PUI_2020, seed)
        report = _d(r["report_date_case"]) or _d(r["report_date_pui"])
        birth = _d(r["date_of_birth"])
        if r["age"] is not None and r["age_units"] == "yr" and report:
            assert r["age"] == age_on(birth, report)
        onset, specimen = _d(r["onset_date"]), _d(r["first_positive_specimen_date"])
        if onset and specimen:
            assert onset <= specimen
        if specimen and report:
            assert specimen <= report
        if onset:
            assert r["symptom_status"] == "symptomatic"
        if r["symptom_resolution_date"]:
            assert onset is not None and onset < _d(r["symptom_resolution_date"])
        if r["hospitalized"] != "yes":
            assert r["admission_date"] is None and r["discharge_date"] is None
            assert r["icu"] in {"no", None}
        admitted, discharged = _d(r["admission_date"]), _d(r["discharge_date"])
        if admitted and discharged:
            assert admitted <= discharged
        if r["date_of_death"]:
            assert r["died"] == "yes"
            if admitted:
                assert admitted <= _d(r["date_of_death"])
        if r["mechanical_ventilation_days"] is not None:
            assert r["mechanical_ventilation"] == "yes"
        if r["condition_pregnant"] == "yes":
            assert r["sex"] == "female"
        if r["race_other_specify"]:
            assert "other" in r["race"]
        if r["race"] and "unknown" in r["race"]:
            assert r["race"] == ["unknown"]
        if r["contact_id"]:
            assert r["contact_id"].startswith(r["cdc_ncov_id"])
        blanks += sum(v is None for v in r.values())
    assert blanks > 0  # realistic blanks exist


def test_applications_are_consistent_with_0_to_4_members() -> None:
    counts = set()
    for seed in SEEDS:
        r = make_record(FormType.MDHHS_DHS1171, seed)
        assert r["applying_food_assistance"] is True  # printed ticked on the blank form
        assert r["email"] is None or r["email"] == r["email"].lower()
        members = r["household_members"]
        counts.add(len(members))
        signed = _d(r["signature_date"])
        applicant_birth = _d(r["applicant_birth_date"])
        for member in members:
            assert member["full_name"]
            born = _d(member["birth_date"])
            if born and signed:
                assert born < signed
            if born and applicant_birth and member["relationship"] in RELATIONSHIPS_CHILD:
                assert age_on(applicant_birth, born) >= 15
        if r["living_situation"] != "homeless":
            assert r["residential_street"] is not None
    assert counts == {0, 1, 2, 3, 4}
