"""Schema → column mapping and coercion: whatever extraction produced, the typed row fits."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from faxflow.model import RecordType
from loaders.load import load_document
from loaders.records import (
    INTEGER_LIMIT,
    NUMBER_LIMIT,
    coerce,
    is_sensitive,
    member_properties,
    parse_field_path,
    record_properties,
)
from loaders.review import get_document
from tests.loaders.conftest import benefit_result, infection_result

PROPERTIES = [
    *record_properties(RecordType.INFECTION_REPORT).items(),
    *(
        (name, prop)
        for name, prop in record_properties(RecordType.BENEFIT_APPLICATION).items()
        if name != "household_members"
    ),
    *member_properties().items(),
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.sampled_from(["2020-03-04", "2020-02-30", "20200304", "yes", "pui", "$1,250.00", "1e400"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=2)
    ),
    max_leaves=5,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PROPERTIES), json_values)
def test_coerced_values_always_fit_their_column(named_prop, value) -> None:
    _name, prop = named_prop
    out = coerce(prop, value)
    if out is None:
        return
    if "enum" in prop:
        assert out in prop["enum"]
    elif prop.get("format") == "date":
        assert type(out) is date
    elif "array" in prop.get("type", []):
        assert out == sorted(set(out)) and set(out) <= set(prop["items"]["enum"])
    elif prop.get("type") == ["integer", "null"]:
        assert type(out) is int and abs(out) <= INTEGER_LIMIT
    elif prop.get("type") == ["number", "null"]:
        assert type(out) is float and abs(out) < NUMBER_LIMIT
    elif prop.get("type") == ["boolean", "null"]:
        assert type(out) is bool
    else:
        assert type(out) is str and "\x00" not in out


@pytest.mark.parametrize(
    ("name", "prop", "index", "sensitive"),
    [
        ("applicant_ssn", "applicant_ssn", None, True),
        ("household_members[3].ssn", "ssn", 3, True),
        ("household_members.1.full_name", "full_name", 1, False),
        ("date_of_birth#2", "date_of_birth#2", None, False),
        ("applicant_ssn#2", "applicant_ssn#2", None, True),
    ],
)
def test_field_paths(name, prop, index, sensitive) -> None:
    path = parse_field_path(name)
    assert (path.prop, path.index, is_sensitive(name)) == (prop, index, sensitive)


def test_hostile_values_load_on_both_databases(engine: Engine) -> None:
    """Odd extraction output never fails a load: it lands in `fields`, typed columns
    get NULL."""
    weird = {
        "patient_last_name": "Nul\x00byte ' ; DROP TABLE documents; --",
        "age": 10**40,
        "mechanical_ventilation_days": -1.5,
        "date_of_birth": "2020-02-30",
        "onset_date": 20200301,
        "race": ["asian", 7, None, "martian", "asian"],
        "sex": ["male"],
        "case_status": {"nested": True},
    }
    result = infection_result(1, **weird)
    load_document(engine, result)
    record = get_document(engine, result.document_id).record
    assert record["patient_last_name"] == "Nulbyte ' ; DROP TABLE documents; --"
    assert record["age"] is None and record["mechanical_ventilation_days"] is None
    assert record["date_of_birth"] is None and record["onset_date"] is None
    assert record["race"] == ["asian"]
    assert record["sex"] is None and record["case_status"] is None
    money = benefit_result(2, total_cash_assets="$1,250.00", monthly_gross_income=1e15)
    load_document(engine, money)
    record = get_document(engine, money.document_id).record
    assert record["total_cash_assets"] == 1250.0 and record["monthly_gross_income"] is None
