"""Synthetic records: valid against the schema and internally consistent."""

from __future__ import annotations

import re
from datetime import date

import pytest

from faxflow.model import FormType, RecordType
from faxflow.schemas import field_names, schema_errors
from samples.people import (
    RELATIONSHIPS_CHILD,
    PersonMaker,
    ValueOptions,
    age_on,
    make_record,
    modern_given_names,
    to_ascii,
)
from samples.splits import get_split

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


# --------------------------------------------------------------------------------------
# A split's wider values
# --------------------------------------------------------------------------------------


def _wide(split: str) -> ValueOptions:
    chosen = get_split(split)
    return ValueOptions(chosen.values, chosen.spec.name_locales)


def _names(record: dict) -> list[str]:
    if "patient_last_name" in record:
        keys = ("patient_first_name", "patient_last_name", "interviewer_first_name")
        return [record[k] for k in (*keys, "interviewer_last_name") if record[k]]
    members = [m["full_name"] for m in record["household_members"] if m["full_name"]]
    return [n for n in (record["applicant_full_name"], *members) if n]


@pytest.mark.parametrize("split", ["tune", "locked"])
def test_wider_values_validate_and_show_every_class(split: str) -> None:
    names, emails, agencies, ids = [], [], [], []
    for seed in range(120):
        for form_type, record_type in (
            (FormType.CDC_PUI_2020, RecordType.INFECTION_REPORT),
            (FormType.MDHHS_DHS1171, RecordType.BENEFIT_APPLICATION),
        ):
            record = make_record(form_type, seed, _wide(split))
            assert list(record) == field_names(record_type)
            assert schema_errors(record_type, record) == [], seed
            names += _names(record)
            emails += [
                (record[k], record.get("patient_first_name") or record["applicant_full_name"])
                for k in ("interviewer_email", "email")
                if record.get(k)
            ]
            agencies += [
                record[k]
                for k in ("reporting_health_department", "interviewer_affiliation")
                if record.get(k)
            ]
            ids.append(record.get("case_state_local_id"))
    assert all(name.isascii() and name.strip() == name for name in names)
    words = {w for name in names for w in name.split()}
    assert words & set(modern_given_names(None))
    assert any("'" in w for w in words) and any("-" in w for w in words)
    classic = {w for seed in range(120) for w in _names(make_record(FormType.CDC_PUI_2020, seed))}
    assert len(words - classic) > 100  # many names the classic generator never draws
    # Agency names as people write them, not only "<county> Co. HD".
    assert any("Dept." in a or "DOH" in a or "Department" in a for a in agencies)
    assert any(not re.match(r"^[A-Z]{2}-20-\d{5}$", i) for i in ids if i)
    # Addresses with nothing of anyone's name in them.
    assert any(
        not any(part.lower()[:3] in email for part in name.split()) for email, name in emails
    )
    assert all(re.fullmatch(r"[a-z0-9._-]+@[a-z0-9.]+", email) for email, _ in emails)


def test_names_are_transliterated_to_ascii() -> None:
    assert to_ascii("Nguyễn Đức Łukasz Özyurt Müßig Işık") == "Nguyen Duc Lukasz Ozyurt Mussig Isik"


@pytest.mark.parametrize("locale", ["hy_AM", "ru_RU", "el_GR", "ko_KR"])
def test_a_name_from_a_locale_in_another_script_is_a_name(locale: str) -> None:
    """Names from a locale written in another script, with no romanised form in Faker,
    are replaced by a US name: never left as the marks their ASCII spelling keeps (an
    Armenian double surname was a bare '-')."""
    shares = get_split("tune").values.model_copy(
        update={
            "other_locale_name_share": 1.0,
            "hyphenated_surname_share": 0.0,
            "apostrophe_surname_share": 0.0,
            "modern_given_name_share": 0.0,
        }
    )
    for seed in range(200):
        maker = PersonMaker(seed, ValueOptions(shares, (locale,)))
        for name in (maker.last_name(), maker.first_name(None)):
            assert re.fullmatch(r"[A-Za-z][A-Za-z' -]*", name), (seed, name)


def test_the_classic_values_are_unchanged_by_the_wider_options() -> None:
    assert make_record(FormType.CDC_PUI_2020, 42) == make_record(FormType.CDC_PUI_2020, 42, None)
    assert make_record(FormType.CDC_PUI_2020, 42, _wide("tune")) != make_record(
        FormType.CDC_PUI_2020, 42
    )
