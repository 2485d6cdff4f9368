"""Normalisers: tables of the formats people write, and totality on hostile strings."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.normalise import (
    NORMALISERS,
    normalise,
    normalise_date,
    normalise_email,
    normalise_integer,
    normalise_money,
    normalise_name,
    normalise_phone,
    normalise_ssn,
    normalise_state,
    normalise_text,
    normalise_zip,
    pivot_year,
)
from extract.template import FieldKind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/04/2020", "2020-03-04"),
        ("3/4/20", "2020-03-04"),
        ("3-4-2020", "2020-03-04"),
        ("2020-03-04", "2020-03-04"),
        ("March 4, 2020", "2020-03-04"),
        ("Mar. 4 2020", "2020-03-04"),
        ("4 March 2020", "2020-03-04"),
        ("03 04 2020", "2020-03-04"),  # printed slashes removed with the form
        ("03 / 04 / 2020", "2020-03-04"),
        ("03042020", "2020-03-04"),
        ("O3/O4/2O2O", "2020-03-04"),  # OCR letter/digit confusions
        ("l2/3l/l999", "1999-12-31"),
        ("7/4/61", "1961-07-04"),
        ("13/05/2020", "2020-05-13"),  # day > 12 first: unambiguous D/M/Y
        ("Septmber 12, 1999", "1999-09-12"),  # garbled month name
        ("02/30/2020", None),  # no such day
        ("", None),
        (None, None),
        ("unknown", None),
    ],
)
def test_dates(text: str | None, expected: str | None) -> None:
    assert normalise_date(text) == expected


def test_two_digit_years_pivot_to_the_past_century_when_in_the_future() -> None:
    from datetime import date

    today = date(2026, 11, 27)
    assert pivot_year(20, today=today) == 2020
    assert pivot_year(27, today=today) == 2027  # next year is still plausible
    assert pivot_year(61, today=today) == 1961


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(517) 555-0199", "5175550199"),
        ("+1 517 555 0199", "5175550199"),
        ("517.555.0l99", "5175550199"),
        ("555-0199", None),
    ],
)
def test_phones(text: str, expected: str | None) -> None:
    assert normalise_phone(text) == expected


@pytest.mark.parametrize(
    ("function", "text", "expected"),
    [
        (normalise_ssn, "123-45-6789", "123456789"),
        (normalise_ssn, "12345678", None),
        (normalise_zip, "48933", "48933"),
        (normalise_zip, "48933-1234", "48933-1234"),
        (normalise_zip, "4893", None),
        (normalise_email, " John.Doe@Example.COM ", "john.doe@example.com"),
        (normalise_email, "john at example", None),
        (normalise_integer, "45 yrs", 45),
        (normalise_integer, "4S", 45),
        (normalise_integer, "none", None),
        (normalise_text, "  Ingham   County  ", "Ingham County"),
        (normalise_text, " ___ | ", None),
        (normalise_name, " _Maria  Gonzalez| ", "Maria Gonzalez"),
    ],
)
def test_simple_kinds(function, text: str, expected: object) -> None:  # type: ignore[no-untyped-def]
    assert function(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1,250.00", 1250.0),
        ("1250", 1250.0),
        ("S40.00", 40.0),  # a dollar sign read as S
        ("$ 1 250.00", 1250.0),
        ("12.5", 12.5),
        ("none", None),
    ],
)
def test_money(text: str, expected: float | None) -> None:
    assert normalise_money(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MI", "MI"),
        ("mi", "MI"),
        ("Ml", "MI"),  # l read for I
        ("Michigan", "MI"),
        ("michgan", "MI"),
        ("New York", "NY"),
        ("N.Y.", "NY"),
        ("Texas ", "TX"),
        ("Atlantis", None),
    ],
)
def test_states(text: str, expected: str | None) -> None:
    assert normalise_state(text) == expected


def test_dispatch_by_kind_and_checkbox_kinds_are_not_text() -> None:
    assert normalise(FieldKind.DATE, "3/4/2020") == "2020-03-04"
    assert normalise("state", "Ohio") == "OH"
    assert normalise(FieldKind.CHOICE, "yes") is None
    assert normalise("no-such-kind", "x") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_every_normaliser_is_total(text: str) -> None:
    for kind, function in NORMALISERS.items():
        value = function(text)
        assert value is None or isinstance(value, str | int | float), kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [("yr", "yr"), ("yt", "yr"), ("Years", "yr"), ("months", "mo"), ("d", "day"), ("vi", None)],
)
def test_free_text_snaps_to_a_fixed_answer(text: str, expected: str | None) -> None:
    from extract.normalise import snap_to_choices

    assert snap_to_choices(text, ["yr", "mo", "day"]) == expected


@pytest.mark.parametrize(
    ("kind", "text"),
    [("zip", "１２３４５"), ("ssn", "١٢٣٤٥٦٧٨٩"), ("phone", "5¹75550¹23"), ("money", "-1")],
)
def test_foreign_digits_and_negative_money_are_not_normal_forms(kind: str, text: str) -> None:
    from extract.normalise import normalise

    assert normalise(kind, text) is None
