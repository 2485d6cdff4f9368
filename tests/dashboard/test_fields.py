"""Reviewer input → normal form, and stored values → what the page shows."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.fields import (
    display_value,
    edit_text,
    field_label,
    form_label,
    input_hint,
    pack_titles,
    parse_input,
    property_schema,
)
from dashboard.views import field_kinds
from faxflow.errors import FaxflowError
from faxflow.model import RecordType
from faxflow.schemas import field_names
from faxflow.settings import Settings
from loaders.review import InvalidCorrection

PROJECT_ROOT = Path(__file__).resolve().parents[2]

CDC = "infection_report"
DHS = "benefit_application"


@pytest.mark.parametrize(
    ("record_type", "name", "text", "expected"),
    [
        (CDC, "date_of_birth", "1961-07-04", "1961-07-04"),
        (CDC, "date_of_birth", "7/4/1961", "1961-07-04"),
        (CDC, "onset_date", "03-04-2020", "2020-03-04"),
        (CDC, "onset_date", "3/4/20", "2020-03-04"),
        (CDC, "date_of_birth", "", None),
        (CDC, "sex", "Female", "female"),
        (CDC, "case_status", "lab", "lab_confirmed"),
        (CDC, "ethnicity", "non hispanic latino", "non_hispanic_latino"),
        (CDC, "pneumonia", "YES", "yes"),
        (CDC, "race", "white, Asian", ["asian", "white"]),
        (CDC, "race", "", []),
        (CDC, "age", " 45 ", 45),
        (CDC, "interviewer_telephone", "(555) 123-4567", "5551234567"),
        (CDC, "interviewer_telephone", "+1 555 123 4567", "5551234567"),
        (CDC, "interviewer_email", "Dr.Who@Example.ORG ", "dr.who@example.org"),
        (CDC, "state_of_residence", "mi", "MI"),
        (CDC, "county_of_residence", "  Grand   Traverse ", "Grand Traverse"),
        (DHS, "applicant_ssn", "123-45-6789", "123456789"),
        (DHS, "residential_zip", "48201 1234", "48201-1234"),
        (DHS, "total_cash_assets", "$1,250.00", 1250.0),
        (DHS, "applying_child_care", "x", True),
        (DHS, "applicant_us_citizen", "no", False),
        (DHS, "household_members[1].sex", "M", "male"),
        (DHS, "household_members[0].birth_date", "2/29/2000", "2000-02-29"),
        (DHS, "applicant_ssn#2", "123 45 6789", "123456789"),
    ],
)
def test_parse_input(record_type: str, name: str, text: str, expected: Any) -> None:
    assert parse_input(record_type, name, text) == expected


@pytest.mark.parametrize(
    ("record_type", "name", "text", "rule"),
    [
        (CDC, "date_of_birth", "March the 4th", "YYYY-MM-DD"),
        (CDC, "date_of_birth", "31/31/2020", "does not exist"),
        (CDC, "date_of_birth", "2021-02-29", "does not exist"),
        (CDC, "sex", "yes", "use one of"),
        (CDC, "case_status", "", None),
        (CDC, "race", "purple", "use one of"),
        (CDC, "age", "forty", "whole number"),
        (CDC, "interviewer_telephone", "555-1234", "10 digits"),
        (CDC, "state_of_residence", "Michigan", "two-letter"),
        (DHS, "applicant_ssn", "12345678", "9 digits"),
        (DHS, "residential_zip", "4820", "ZIP"),
        (DHS, "monthly_gross_income", "lots", "dollars"),
        (DHS, "applying_cash_assistance", "maybe", "yes (marked)"),
        (DHS, "patient_first_name", "Ann", "not a field"),
        (None, "patient_first_name", "Ann", "not a field"),
        (CDC, "household_members[0].ssn", "123456789", "not a field"),
    ],
)
def test_parse_input_refuses(
    record_type: str | None, name: str, text: str, rule: str | None
) -> None:
    if rule is None:  # empty text is allowed everywhere: it clears the field
        assert parse_input(record_type, name, text) is None
        return
    with pytest.raises(InvalidCorrection) as caught:
        parse_input(record_type, name, text)
    assert rule in caught.value.message
    assert text not in caught.value.message or text in name  # values are never quoted
    assert isinstance(caught.value, FaxflowError)


def test_overlong_input_is_refused() -> None:
    with pytest.raises(InvalidCorrection, match="at most"):
        parse_input(CDC, "patient_last_name", "x" * 501)


@pytest.mark.parametrize(
    "record_type", [RecordType.INFECTION_REPORT, RecordType.BENEFIT_APPLICATION]
)
def test_every_schema_field_has_a_label_and_a_hint(record_type: RecordType) -> None:
    for name in field_names(record_type):
        if name == "household_members":
            assert property_schema(record_type.value, name) is None
            continue
        assert field_label(name)[0].isupper()
        assert input_hint(record_type.value, name)


def test_labels() -> None:
    assert field_label("date_of_birth") == "Date of birth"
    assert field_label("icu") == "ICU"
    assert field_label("household_members[1].ssn") == "Household member 2 · SSN"
    assert field_label("applicant_ssn#2") == "Applicant SSN (reading 2)"


def test_a_form_packs_titles_label_its_fields_and_form(tmp_path: Path) -> None:
    settings = Settings(forms_dir=PROJECT_ROOT / "forms", var_dir=tmp_path / "var")
    titles = pack_titles(settings, "mi_fap_supplement")
    assert titles["anyone_pays_utilities"] == "Anyone pays utilities"  # schema.json's title
    titles = {**titles, "anyone_pays_utilities": "Pays utilities?"}
    assert field_label("anyone_pays_utilities", titles) == "Pays utilities?"
    assert field_label("anyone_pays_utilities#2", titles) == "Pays utilities? (reading 2)"
    assert field_label("no_title_here", titles) == "No title here"
    assert form_label("mi_fap_supplement", settings).startswith("Food Assistance Program")
    assert form_label("mi_fap_supplement") == "mi_fap_supplement"  # no settings: its name
    assert pack_titles(settings, "cdc_pui_2020") == {}  # built in: labels from names
    assert pack_titles(settings, "unknown") == {}
    # the router's thresholds for a pack's fields are by its template's kinds
    kinds = field_kinds(settings, "mi_fap_supplement")
    assert kinds["pays_utilities_heat"] == "checkbox"
    assert kinds["food_supplement_applicant_full_name_page_1"] == "text"
    broken = Settings(forms_dir=tmp_path / "missing", var_dir=tmp_path / "var")
    assert form_label("mi_fap_supplement", broken) == "mi_fap_supplement"  # never a 500


def test_display_and_edit_text() -> None:
    assert display_value(None) is None and display_value([]) is None
    assert display_value(True) == "yes (marked)"
    assert display_value(["asian", "white"]) == "asian, white"
    assert display_value(1250.0) == "1,250.00"
    assert edit_text(["asian", "white"]) == "asian, white"
    assert edit_text(False) == "no"


def _schema_values(record_type: RecordType) -> st.SearchStrategy[tuple[str, Any]]:
    """(field, a valid stored value) pairs for every field of a record type."""
    choices = []
    for name in field_names(record_type):
        prop = property_schema(record_type.value, name)
        if prop is None:
            continue
        types = set(prop.get("type", [])) if isinstance(prop.get("type"), list) else set()
        values: st.SearchStrategy[Any]
        if "enum" in prop:
            values = st.sampled_from([v for v in prop["enum"] if v is not None])
        elif "array" in types:
            values = st.lists(st.sampled_from(prop["items"]["enum"]), min_size=1, unique=True).map(
                sorted
            )
        elif prop.get("format") == "date":
            values = st.dates(date(1900, 1, 1), date(2030, 12, 31)).map(date.isoformat)
        elif "integer" in types:
            values = st.integers(0, 130)
        elif "number" in types:
            values = st.integers(0, 10**7).map(lambda cents: cents / 100)
        elif "boolean" in types:
            values = st.booleans()
        elif prop.get("pattern") == r"^\d{10}$":
            values = st.from_regex(r"\A\d{10}\Z")
        elif prop.get("pattern") == r"^\d{9}$":
            values = st.from_regex(r"\A\d{9}\Z")
        elif prop.get("pattern") == r"^\d{5}(-\d{4})?$":
            values = st.from_regex(r"\A\d{5}(-\d{4})?\Z")
        elif prop.get("pattern") == r"^[A-Z]{2}$":
            values = st.from_regex(r"\A[A-Z]{2}\Z")
        elif name.endswith("email"):
            values = st.just("someone@example.org")
        else:
            values = st.text(st.characters(codec="utf-8", categories=["L", "N"]), min_size=1)
        choices.append(values.map(lambda v, n=name: (n, v)))
    return st.one_of(choices)


@given(_schema_values(RecordType.INFECTION_REPORT) | _schema_values(RecordType.BENEFIT_APPLICATION))
def test_edit_text_parses_back_to_the_same_value(pair: tuple[str, Any]) -> None:
    """What the edit box is pre-filled with saves back unchanged."""
    name, value = pair
    record_type = CDC if name in field_names(RecordType.INFECTION_REPORT) else DHS
    assert parse_input(record_type, name, edit_text(value)) == value
