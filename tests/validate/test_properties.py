"""Property tests: random and hostile strings never crash normalisers or validation, and
normalisers only ever return the spec's normal forms (or None)."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faxflow.model import (
    Extraction,
    FieldResult,
    FormType,
    PageReport,
    PageRole,
    RecordType,
    Status,
)
from faxflow.schemas import field_names
from faxflow.settings import Settings
from validate import validate_extraction
from validate.rules import US_STATE_CODES, check_record

HOSTILE = [
    "\x00",
    "12\x0034",
    "A" * 10_240,
    "7" * 10_240,
    "<script>alert(1)</script>",
    "'; DROP TABLE documents; --",
    "1 OR 1=1",
    "Robert'); DELETE FROM infection_reports;--",
    "\u202eevil\u202c",
    "\ufeff03/04/2020",
    "ｌｏｌ１２３",
    "٠٣/٠٤/٢٠٢٠",  # Arabic-Indic digits
    "𝟘𝟛/𝟘𝟜/𝟚𝟘𝟚𝟘",  # mathematical digits
    "Zoë Ñúñez-O'Brien",
    "🙂" * 50,
    "\r\n\t \u00a0\u2028",
    "%s%s%s%n",
    "{{7*7}}",
    "../../etc/passwd",
    "99999999999999999999999999999999",
    "-1",
    "1e309",
    "NaN",
    "13/45/2020",
    "Feb 30 2020",
]

text_values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=60),
    st.text(alphabet="0123456789/-. OlISB$,", max_size=30),
    st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE), st.text(max_size=20)),
)
any_values = st.one_of(
    text_values,
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(text_values, max_size=3),
    st.dictionaries(st.text(max_size=5), text_values, max_size=2),
)

_ISO = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_COLLAPSED = re.compile(r"^\S(?:.*\S)?$")


def _in_normal_form(kind: str, value: Any) -> bool:
    """The spec's normal form of each field kind."""
    if kind == "date":
        return (
            isinstance(value, str) and bool(_ISO.match(value)) and bool(date.fromisoformat(value))
        )
    if kind == "phone":
        return isinstance(value, str) and bool(re.fullmatch(r"[0-9]{10}", value))
    if kind == "ssn":
        return isinstance(value, str) and bool(re.fullmatch(r"[0-9]{9}", value))
    if kind == "zip":
        return isinstance(value, str) and bool(re.fullmatch(r"[0-9]{5}(-[0-9]{4})?", value))
    if kind == "state":
        return value in US_STATE_CODES
    if kind == "email":
        return (
            isinstance(value, str) and value == value.lower() and "@" in value and " " not in value
        )
    if kind == "money":
        return isinstance(value, float) and math.isfinite(value) and value >= 0
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if kind in {"text", "name"}:
        return isinstance(value, str) and "  " not in value and bool(_COLLAPSED.match(value))
    return value is None  # checkbox kinds are read from ink, never from text


TEXT_KINDS = ["text", "name", "date", "integer", "phone", "ssn", "zip", "state", "email", "choice"]


def _non_ascii_digit(text: str) -> bool:
    return any(ch.isdigit() and not ch.isascii() for ch in text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(TEXT_KINDS), text=text_values)
def test_normalisers_return_normal_form_or_none(kind: str, text: str) -> None:
    normalise = pytest.importorskip("extract.normalise")
    if kind in {"phone", "ssn", "zip"} and _non_ascii_digit(text):
        return  # known bug, pinned by test_digit_normalisers_return_ascii_digits below
    value = normalise.normalise(kind, text)
    assert value is None or _in_normal_form(kind, value), (kind, value)


def test_normalisers_handle_each_hostile_string() -> None:
    normalise = pytest.importorskip("extract.normalise")
    for kind in TEXT_KINDS:
        for text in [*HOSTILE, None, ""]:
            value = normalise.normalise(kind, text)
            assert value is None or _in_normal_form(kind, value), (kind, (text or "")[:20])


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("phone", "5¹75550¹23"),
        ("phone", "٥١٧٥٥٥٠١٢٣"),
        ("ssn", "１２３４５６７８９"),
        ("zip", "0000²"),
        ("zip", "１２３４５"),
    ],
)
def test_digit_normalisers_return_ascii_digits(kind: str, text: str) -> None:
    normalise = pytest.importorskip("extract.normalise")
    value = normalise.normalise(kind, text)
    assert value is None or _in_normal_form(kind, value), value


def test_rules_refuse_non_ascii_digits(cdc_record: dict, dhs_record: dict) -> None:
    cdc = {**cdc_record, "interviewer_telephone": "٥١٧٥٥٥٠١٢٣"}
    dhs = {**dhs_record, "residential_zip": "１２３４５", "applicant_ssn": "１２３４５６７８９"}
    assert {i.code for i in check_record(FormType.CDC_PUI_2020, cdc, {})} >= {"invalid_phone"}
    assert {i.code for i in check_record(FormType.MDHHS_DHS1171, dhs, {})} >= {
        "invalid_zip",
        "invalid_ssn",
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=text_values)
def test_money_normaliser_returns_a_non_negative_amount_or_none(text: str) -> None:
    normalise = pytest.importorskip("extract.normalise")
    value = normalise.normalise("money", text)
    assert value is None or _in_normal_form("money", value), value


def _record(record_type: RecordType, values: list[Any]) -> dict[str, Any]:
    names = field_names(record_type)
    return {name: values[i % len(values)] for i, name in enumerate(names)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    form=st.sampled_from([FormType.CDC_PUI_2020, FormType.MDHHS_DHS1171]),
    values=st.lists(any_values, min_size=1, max_size=8),
    evidence=any_values,
)
def test_rules_never_raise_on_any_value(form: FormType, values: list[Any], evidence: Any) -> None:
    record_type = (
        RecordType.INFECTION_REPORT
        if form is FormType.CDC_PUI_2020
        else RecordType.BENEFIT_APPLICATION
    )
    record = _record(record_type, values)
    if form is FormType.MDHHS_DHS1171:
        record["household_members"] = [
            dict(zip(["full_name", "birth_date", "ssn"], values, strict=False)),
            values[0],
        ]
    fields = {
        "date_of_birth#2": FieldResult(value=evidence, raw_text=str(evidence)[:50]),
        "cdc_ncov_id#2": FieldResult(value=values[0]),
        "onset_date": FieldResult(value=None, raw_text=str(values[-1])[:100]),
    }
    issues = check_record(
        form, record, fields, required=["sex", "household_members[3].ssn", "nope"]
    )
    assert all(issue.code for issue in issues)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=6, max_size=12))
def test_issue_messages_never_quote_names_ids_or_ssns(secret: str) -> None:
    marker = f"QX{secret}"
    record = _record(RecordType.INFECTION_REPORT, [marker])
    fields = {
        "cdc_ncov_id#2": FieldResult(value=marker + "9"),
        "date_of_birth#2": FieldResult(value=marker),
    }
    dhs = _record(RecordType.BENEFIT_APPLICATION, [marker])
    dhs["household_members"] = [{"full_name": marker, "ssn": marker}]
    for form, rec in ((FormType.CDC_PUI_2020, record), (FormType.MDHHS_DHS1171, dhs)):
        issues = check_record(form, rec, fields)
        assert issues  # every value is malformed somewhere
        assert all(marker not in issue.message for issue in issues)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(values=st.lists(any_values, min_size=1, max_size=5), confidence=st.floats(0, 1))
def test_validate_extraction_never_raises(values: list[Any], confidence: float) -> None:
    record = _record(RecordType.INFECTION_REPORT, values)
    fields = {name: FieldResult(value=None, confidence=confidence) for name in list(record)[:10]}
    extraction = Extraction(
        form_type=FormType.CDC_PUI_2020,
        record=record,
        fields=fields,
        pages=(PageReport(number=1, role=PageRole.FORM),),
        field_kinds={name: "text" for name in fields},
    )
    outcome = validate_extraction(extraction, settings=Settings(), duplicate_finder=lambda **_: [])
    assert outcome.status in {Status.NEEDS_REVIEW, Status.ACCEPTED}
