"""spaCy rules: pattern files load and validate, values are found in noisy text."""

from __future__ import annotations

from pathlib import Path

import pytest

from extract.nlp import RULES_DIR, find_value, load_pattern_file, rules, value_after_label
from extract.template import FieldKind
from faxflow.errors import TemplateError


def test_shipped_pattern_files_load() -> None:
    values = load_pattern_file(RULES_DIR / "values.jsonl")
    labels = load_pattern_file(RULES_DIR / "labels.jsonl")
    assert {v.label for v in values} == {"DATE", "MONEY", "PHONE", "SSN", "ZIP", "EMAIL"}
    assert labels  # extra label phrasings, keyed by field name
    assert rules().nlp.meta["name"] == "faxflow_rules.v1"


def test_a_bad_pattern_line_names_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "values.jsonl"
    bad.write_text('{"label": "DATE", "id": "ok", "pattern": [{"SHAPE": "dd"}]}\n{"label": 3}\n')
    with pytest.raises(TemplateError) as caught:
        load_pattern_file(bad)
    assert "line 2" in caught.value.message
    assert caught.value.code.value == "E_TEMPLATE"


def test_unknown_token_attribute_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "labels.jsonl"
    bad.write_text('{"label": "x", "id": "y", "pattern": [{"SHAPES": "dd"}]}\n')
    with pytest.raises(TemplateError):
        load_pattern_file(bad)


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (FieldKind.DATE, "DOB 03/04/2020 approx", "03/04/2020"),
        (FieldKind.DATE, "seen March 4, 2020 at clinic", "March 4, 2020"),
        (FieldKind.PHONE, "call (517) 555-0199 after 5", "(517) 555-0199"),
        (FieldKind.MONEY, "about $1,250.00 a month", "$1,250.00"),
        (FieldKind.EMAIL, "mail a.b@example.org now", "a.b@example.org"),
        (FieldKind.DATE, "no date here", None),
    ],
)
def test_values_inside_noisy_text(kind: FieldKind, text: str, expected: str | None) -> None:
    assert find_value(kind, text) == expected


def test_label_anchored_date_in_garbled_text() -> None:
    text = "Patient first name Maria  Dale of birlh (MM/DD/YYYY): 07/04/1961"
    found = value_after_label(
        text, field="date_of_birth", kind=FieldKind.DATE, label="Date of birth (MM/DD/YYYY):"
    )
    assert found == "07/04/1961"


def test_label_anchored_text_value() -> None:
    text = "Reporting jurisdicton: Ingham"
    found = value_after_label(
        text, field="reporting_jurisdiction", kind=FieldKind.TEXT, label="Reporting jurisdiction:"
    )
    assert found == "Ingham"


def test_no_label_no_value() -> None:
    assert (
        value_after_label("nothing to see", field="age", kind=FieldKind.INTEGER, label="Age:")
        is None
    )
