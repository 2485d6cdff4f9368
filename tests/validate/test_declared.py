"""Declarative validation from a pack's rules.yaml and schema.json."""

from __future__ import annotations

from datetime import date

from faxflow.model import FieldResult
from faxflow.packs import PackRules
from validate.declared import check_declared

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": ["string", "null"]},
        "hospitalized": {"type": ["string", "null"], "enum": ["yes", "no", None]},
        "admitted": {"type": ["string", "null"], "format": "date"},
        "discharged": {"type": ["string", "null"], "format": "date"},
        "household_size": {"type": ["integer", "null"]},
        "phone": {"type": ["string", "null"]},
        "owns_car": {"type": ["boolean", "null"]},
    },
}

RULES = PackRules.model_validate(
    {
        "required": ["name"],
        "formats": {"phone": "phone"},
        "ranges": {"household_size": {"min": 1, "max": 20}},
        "date_order": [["admitted", "discharged"]],
        "conditional": [{"if": "hospitalized", "equals": "yes", "then_required": ["admitted"]}],
    }
)
TODAY = date(2026, 12, 6)


def _codes(record, fields=None):
    issues = check_declared(RULES, SCHEMA, record, fields or {}, today=TODAY)
    return sorted((i.field, i.code) for i in issues)


def test_a_good_record_has_no_issues():
    record = {
        "name": "A Person",
        "hospitalized": "yes",
        "admitted": "2026-01-02",
        "discharged": "2026-01-05",
        "household_size": 3,
        "phone": "3135550100",
        "owns_car": True,
    }
    assert _codes(record) == []


def test_each_declared_rule_gives_its_code():
    record = {
        "name": " ",
        "hospitalized": "yes",
        "admitted": None,
        "discharged": "2027-01-01",
        "household_size": 40,
        "phone": "555",
        "owns_car": "yes",
    }
    assert _codes(record) == [
        ("admitted", "missing_required"),  # hospitalized is yes
        ("discharged", "date_in_future"),
        ("household_size", "invalid_number"),
        ("name", "missing_required"),
        ("owns_car", "invalid_value"),  # the schema's type, no rule of its own
        ("phone", "invalid_phone"),
    ]


def test_dates_out_of_order_and_choices_off_the_form():
    record = {
        "name": "X",
        "admitted": "2026-03-02",
        "discharged": "2026-03-01",
        "hospitalized": "maybe",
    }
    assert _codes(record) == [("discharged", "date_order"), ("hospitalized", "invalid_choice")]


def test_the_condition_holds_only_for_its_value():
    assert _codes({"name": "X", "hospitalized": "no"}) == []


def test_two_marks_in_a_single_choice_group_and_unread_writing_are_reported():
    fields = {
        "hospitalized": FieldResult(value=["yes", "no"]),
        "phone": FieldResult(value=None, raw_text="31B-5S5"),
    }
    assert _codes({"name": "X", "hospitalized": None, "phone": None}, fields) == [
        ("hospitalized", "multiple_marks"),
        ("phone", "invalid_phone"),
    ]


def test_hostile_shapes_give_issues_not_exceptions():
    assert ("name", "missing_required") in _codes("not a record")  # type: ignore[arg-type]
    assert _codes({"name": "X", "household_size": "many"}) == [("household_size", "invalid_value")]


def test_a_pack_validates_by_its_rules_and_looks_up_duplicates_by_its_identity(tmp_path):
    """validate_extraction on a pack's extraction: the pack's rules decide the issues, and
    the duplicate look-up gets the identity rules.yaml declares."""
    from faxflow.model import Extraction
    from tests.builders import pack_settings
    from validate import validate_extraction

    settings = pack_settings(tmp_path, "support", renames={"zip": "signed_on:date"})
    rules = settings.forms_dir / "support" / "rules.yaml"
    rules.write_text(
        "required: [full_name_applicant]\n"
        "identity: {names: [full_name_applicant], event_dates: [signed_on]}\n"
    )
    record = {
        "full_name_applicant": "Ana Ruiz",
        "signed_on": "2026-03-01",
        "owns_car": False,
        "marital": "single",
        "has_job": None,
    }
    extraction = Extraction(
        "support",
        record,
        {n: FieldResult(value=v, confidence=0.99) for n, v in record.items()},
        (),
    )
    calls = []

    def finder(**kwargs):
        calls.append(kwargs)
        return ["earlier-document"]

    outcome = validate_extraction(
        extraction, settings=settings, duplicate_finder=finder, document_id="this", today=TODAY
    )
    found = [(i.field, i.code) for i in outcome.issues if i.code != "low_confidence"]
    assert found == [(None, "possible_duplicate")]
    assert calls == [
        {
            "record_type": "support",
            "document_id": "this",
            "person_names": ["Ana Ruiz"],
            "birth_date": None,
            "event_date": "2026-03-01",
            "identity": {
                "names": ["full_name_applicant"],
                "birth_date": None,
                "event_dates": ["signed_on"],
            },
        }
    ]
    blank = validate_extraction(
        Extraction("support", {**record, "full_name_applicant": None}, {}, ()),
        settings=settings,
        today=TODAY,
    )
    assert ("full_name_applicant", "missing_required") in [(i.field, i.code) for i in blank.issues]


JP_SCHEMA = {
    "type": "object",
    "properties": {
        name: {"type": ["string", "null"]}
        for name in ("postal", "phone", "kana", "prefecture", "account", "my_number")
    },
}
JP_RULES = PackRules.model_validate(
    {
        "formats": {
            "postal": "jp_postal",
            "phone": "jp_phone",
            "kana": "katakana",
            "prefecture": "prefecture",
            "account": "bank_account",
            "my_number": "my_number",
        }
    }
)


def test_the_japanese_formats_give_their_codes():
    good = {
        "postal": "123-4567",
        "phone": "09012345678",
        "kana": "ヤマダ タロウ",
        "prefecture": "東京都",
        "account": "1234567",
        "my_number": "123456789018",
    }
    assert check_declared(JP_RULES, JP_SCHEMA, good, {}, today=TODAY) == []
    bad = {
        "postal": "1234567",
        "phone": "1234567890",
        "kana": "やまだ たろう",
        "prefecture": "東京",  # the normal form is the official name
        "account": "123456",
        "my_number": "123456789017",  # wrong check digit
    }
    issues = check_declared(JP_RULES, JP_SCHEMA, bad, {}, today=TODAY)
    assert sorted((i.field, i.code) for i in issues) == [
        ("account", "invalid_bank_account"),
        ("kana", "invalid_katakana"),
        ("my_number", "invalid_my_number"),
        ("phone", "invalid_jp_phone"),
        ("postal", "invalid_jp_postal"),
        ("prefecture", "invalid_prefecture"),
    ]
    assert all(str(bad[i.field]) not in i.message for i in issues)  # no values in messages
