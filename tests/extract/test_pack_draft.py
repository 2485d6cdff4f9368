"""Drafting a whole pack from a blank PDF (``faxflow forms new``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from extract.pack_draft import draft_pack, snake_case, write_pack
from faxflow.errors import PackError
from faxflow.packs import check_pack
from tests.fillable import make_fillable_pdf, make_formats_pdf


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fillable_pdf(tmp_path_factory.mktemp("blank") / "support.pdf")


def test_widget_names_become_snake_case_properties():
    assert snake_case("Full Name (Applicant)") == "full_name_applicant"
    assert snake_case("Box.2[0]") == "box_2_0"
    assert snake_case("1st line") == "f_1st_line"


def test_every_widget_kind_becomes_its_property(blank: Path):
    draft = draft_pack("household_support", blank)
    props = draft.schema["properties"]
    assert {name: (p["type"], p.get("enum")) for name, p in props.items()} == {
        "full_name_applicant": (["string", "null"], None),  # text widget
        "zip": (["string", "null"], None),  # five comb cells, one field
        "owns_car": (["boolean", "null"], None),  # a single checkbox
        "marital": (["string", "null"], ["married", "single", None]),  # radio group
        "has_job": (["string", "null"], ["yes", "no", None]),  # yes/no box pair
    }
    assert draft.problems == ()


def test_the_written_pack_checks_clean_and_places_each_zone(blank: Path, tmp_path: Path):
    folder = write_pack(draft_pack("household_support", blank), blank, tmp_path, command="test")
    pack, problems = check_pack(folder)
    assert problems == [] and pack is not None
    specs = {spec.name: spec for spec in pack.template.fields}
    assert specs["zip"].boxes is not None and len(specs["zip"].boxes) == 5
    assert specs["full_name_applicant"].region is not None
    marital = specs["marital"].options or []
    assert [(o.value, o.box[0]) for o in marital] == [("married", 180.0), ("single", 262.0)]
    has_job = specs["has_job"].options or []
    assert [o.value for o in has_job] == ["yes", "no"]
    assert has_job[0].box[2] < has_job[1].box[0]  # touching cells no longer overlap
    assert (
        json.loads((folder / "schema.json").read_text())["$id"] == "faxflow:forms/household_support"
    )
    with pytest.raises(PackError):
        write_pack(draft_pack("household_support", blank), blank, tmp_path, command="test")


def test_a_flat_pdf_gets_fields_from_its_text_layer(blank: Path, tmp_path: Path):
    reader = PdfReader(blank)
    writer = PdfWriter(clone_from=reader)
    writer.remove_annotations(subtypes=None)
    del writer._root_object["/AcroForm"]
    flat = tmp_path / "flat.pdf"
    with flat.open("wb") as handle:
        writer.write(handle)
    draft = draft_pack("flat_support", flat)
    # the underscored blank becomes text named after its label; the three printed
    # squares, with no word right of them, become booleans named "box"
    assert {n: p["type"][0] for n, p in draft.schema["properties"].items()} == {
        "signature": "string",
        "box": "boolean",
        "box_2": "boolean",
        "box_3": "boolean",
    }
    folder = write_pack(draft, flat, tmp_path, command="test")
    assert check_pack(folder)[1] == []


def test_titles_come_from_tooltips_and_the_title_from_the_pdf(blank: Path, tmp_path: Path):
    """A widget's tooltip (/TU, here the radio group's, in Japanese) is its property's
    title, else the name's words; the PDF's /Title is the pack's; both are written as
    text, not escapes."""
    writer = PdfWriter(clone_from=PdfReader(blank))
    writer.add_metadata({"/Title": "世帯支援申請書"})
    titled = tmp_path / "titled.pdf"
    with titled.open("wb") as handle:
        writer.write(handle)
    draft = draft_pack("household_support", titled)
    props = draft.schema["properties"]
    assert props["marital"]["title"] == "婚姻状況"
    assert props["full_name_applicant"]["title"] == "Full name applicant"
    assert draft.schema["title"] == draft.labels.title == "世帯支援申請書"
    folder = write_pack(draft, titled, tmp_path / "out", command="test")
    assert '"title": "婚姻状況"' in (folder / "schema.json").read_text(encoding="utf-8")
    assert "title: 世帯支援申請書" in (folder / "labels.yaml").read_text(encoding="utf-8")


def test_japanese_attributes_in_labels_pass_to_the_template_only_when_set(blank: Path):
    """lang / era / era_field (issue #23) in labels.yaml reach the template's field; a
    field without them gets none (the template model decides what it accepts)."""
    from extract.from_pdf import FieldSource, LabelMap, template_from_pdf
    from extract.template import FieldKind

    plain = LabelMap(
        fields={
            "full_name_applicant": FieldSource(kind=FieldKind.TEXT, widget="Full Name (Applicant)")
        }
    )
    placed = template_from_pdf(blank, "household_support", plain, record_type="household_support")
    assert placed.problems == () and len(placed.template.fields) == 1
    japanese = LabelMap(
        fields={
            "full_name_applicant": FieldSource(
                kind=FieldKind.TEXT, widget="Full Name (Applicant)", lang="jpn"
            )
        }
    )
    placed = template_from_pdf(
        blank, "household_support", japanese, record_type="household_support"
    )
    assert placed.template.fields[0].lang == "jpn"


def test_a_bad_name_is_refused(blank: Path):
    with pytest.raises(PackError) as caught:
        draft_pack("Household Support", blank)
    assert [p.code for p in caught.value.problems] == ["pack_bad_name"]


def test_the_committed_fap_template_is_what_its_label_map_places():
    """forms/mi_fap_supplement was drafted and not edited: its labels.yaml regenerates its
    template.yaml exactly (the regeneration command is in the template's header)."""
    from extract.from_pdf import load_label_map, template_from_pdf, template_to_yaml

    folder = Path(__file__).resolve().parents[2] / "forms" / "mi_fap_supplement"
    labels = load_label_map(folder / "labels.yaml")
    draft = template_from_pdf(
        folder / "blank.pdf", "mi_fap_supplement", labels, record_type="mi_fap_supplement"
    )
    committed = (folder / "template.yaml").read_text(encoding="utf-8")
    body = "".join(line for line in committed.splitlines(True) if not line.startswith("#"))
    assert draft.problems == ()
    assert template_to_yaml(draft.template) == body


def test_formats_are_drafted_only_from_clear_names_and_tooltips(tmp_path: Path):
    """A date, phone (named by its tooltip alone), amount, state and e-mail are drafted in
    their formats: the schema's convention, the zone's reading kind and the rules' check,
    so the pack checks clean; a name, a veto word, a /MaxLen too short for an SSN and a
    name and tooltip naming two formats stay free text."""
    import yaml

    blank = make_formats_pdf(tmp_path / "rental.pdf")
    draft = draft_pack("rental_contact", blank)
    assert draft.formats == {
        "date_of_birth": "date",
        "field_3": "phone",
        "monthly_rent": "money",
        "mailing_state": "state",
        "e_mail": "email",
    }
    props = draft.schema["properties"]
    assert props["date_of_birth"]["format"] == "date"
    assert props["field_3"]["pattern"] == r"^\d{10}$"
    assert props["field_3"]["title"] == "Home phone number"
    assert props["monthly_rent"]["type"] == ["number", "null"]
    assert props["monthly_rent"]["minimum"] == 0
    assert props["mailing_state"]["pattern"] == "^[A-Z]{2}$"
    assert props["e_mail"]["format"] == "email"
    for plain in ("applicant_name", "ssn", "phone_type", "payment_date"):
        assert props[plain] == {"type": ["string", "null"], "title": props[plain]["title"]}
    folder = write_pack(draft, blank, tmp_path / "packs", command="test")
    pack, problems = check_pack(folder)
    assert problems == [] and pack is not None
    kinds = {spec.name: spec.kind.value for spec in pack.template.fields}
    assert kinds == {
        "applicant_name": "text",
        "date_of_birth": "date",
        "field_3": "phone",
        "monthly_rent": "money",
        "mailing_state": "state",
        "e_mail": "email",
        "ssn": "text",
        "phone_type": "text",
        "payment_date": "text",
    }
    labels = yaml.safe_load((folder / "labels.yaml").read_text())
    assert {n: f["kind"] for n, f in labels["fields"].items()} == kinds
    assert pack.rules is not None and pack.rules.formats == draft.formats
    # the draft's rules hold each kind to its format (the schema's pattern or number type
    # does too): an e-mail zone read as free text again is refused
    template = folder / "template.yaml"
    template.write_text(template.read_text().replace("kind: email", "kind: text"))
    assert [p.code for p in check_pack(folder)[1]] == ["pack_kind_mismatch"]


@pytest.mark.parametrize(
    ("name", "tooltip", "cells", "expected"),
    [
        ("applicant_dob", None, 1, "date"),
        ("signature_date", None, 1, "date"),
        ("dateOfBirth", None, 1, "date"),
        ("x", "Date of birth (mm/dd/yyyy)", 1, "date"),
        ("Phone Number 2", None, 1, "phone"),
        ("phone_number", None, 10, "phone"),
        ("phone_number", None, 7, None),  # seven cells hold no 10-digit number
        ("residential_address_zip", None, 5, "zip"),
        ("primary_member_ssn", None, 9, "ssn"),
        ("rent_amount", "Amount ($)", 1, "money"),
        ("x", "Monthly cost in $", 1, "money"),
        ("monthly_gross_income", None, 1, "money"),
        ("anyone_food_assistance_other_state_which_state", None, 1, "state"),
        ("anyone_food_assistance_other_state_names", None, 1, None),
        ("state_of_birth", None, 1, None),  # the head noun is birth
        ("phone_company", None, 1, None),
        ("employer_name_and_phone", None, 1, None),  # veto: name
        ("income_change_explanation", None, 1, None),
        ("expense_type", None, 1, None),
        ("report_date", "報告年月日", 1, None),  # not a US form's tooltip
        ("update", None, 1, None),
        ("number_of_people", None, 1, "integer"),  # a count
        ("x", "Household size", 2, "integer"),
        ("applicant_age", None, 1, "integer"),
        ("mortgage", None, 1, None),  # whole words only: no 'age' in it
        ("number_of_people_names", None, 1, None),  # veto: names
        ("household_size", None, 5, None),  # five cells hold no count of people
    ],
)
def test_a_format_is_inferred_only_when_the_words_are_clear(
    name: str, tooltip: str | None, cells: int, expected: str | None
):
    from extract.field_formats import infer_format

    assert infer_format(name, tooltip, cells=cells) == expected


def test_a_count_is_drafted_as_a_whole_number_read_as_one():
    """A widget named for a count of people becomes an integer property (never negative)
    read by the integer kind, whose value the pack's format check holds to a whole number."""
    from extract.field_formats import infer_format
    from extract.pack_draft import _text_field
    from extract.template import FieldKind
    from validate.rules import FORMAT_CHECKS

    fmt = infer_format("number_of_people_in_household")
    prop, source = _text_field("People", fmt, page=1, widget="number_of_people_in_household")
    assert fmt == "integer" and source.kind is FieldKind.INTEGER
    assert prop["type"] == ["integer", "null"] and prop["minimum"] == 0
    check = FORMAT_CHECKS["integer"][0]
    assert check(3) and check(0) and not check(-1) and not check(2.5) and not check(True)


def test_the_format_vocabulary_is_data_checked_against_the_kinds(tmp_path: Path):
    """field_formats.yaml is validated on load: a format read by a kind that does not
    read it is refused, naming the file."""
    from extract.field_formats import FORMATS_FILE, load_vocabulary
    from faxflow.errors import TemplateError

    assert set(load_vocabulary().formats) == {
        "date",
        "phone",
        "zip",
        "ssn",
        "email",
        "state",
        "money",
        "integer",
    }
    bad = tmp_path / "formats.yaml"
    bad.write_text(FORMATS_FILE.read_text().replace("kind: zip", "kind: text"))
    with pytest.raises(TemplateError, match="format zip: kind text does not read it"):
        load_vocabulary(bad)


@pytest.mark.slow
def test_a_faxed_copy_of_an_unedited_draft_reads_its_formats_normalised(tmp_path: Path):
    """The draft works as drafted: a filled, faxed copy processed by `faxflow process`
    gives the date, phone, amount and state in their normal forms."""
    import numpy as np

    from faxflow.packs import load_pack
    from samples.pack_fill import faxed_copy
    from tests.processes import run_faxflow

    blank = make_formats_pdf(tmp_path / "rental.pdf")
    folder = write_pack(draft_pack("rental_contact", blank), blank, tmp_path / "packs", command="t")
    pack = load_pack(folder)
    truth = {
        "applicant_name": "Grace Brewer",
        "date_of_birth": "1984-03-07",  # written 03/07/1984
        "field_3": "5552348761",  # written (555) 234-8761
        "monthly_rent": 1250.5,  # written 1,250.50
        "mailing_state": "OH",
    }
    rng = np.random.default_rng(7)
    fax = faxed_copy(pack, truth, tmp_path / "rental.tif", profile="fax_fine", rng=rng)
    run = run_faxflow(
        "process", str(fax), "--out", str(tmp_path / "out"), "--no-db",
        forms_dir=tmp_path / "packs", scratch=tmp_path,
    )  # fmt: skip
    assert run.returncode in (0, 1), run.stderr
    result = json.loads((tmp_path / "out" / "rental.json").read_text())
    assert result["form_type"] == "rental_contact"
    record = result["record"]
    assert {name: record[name] for name in truth} == truth
    assert record["e_mail"] is None and record["ssn"] is None


def test_one_box_shown_twice_is_a_boolean_and_a_repeated_widget_is_read_once():
    """Buttons sharing a name and one export value are one checkbox a form repeats (the
    DHS-1171's utility boxes, pages 1 and 18), not a radio group of two 'yes'; a text
    widget shown three times on its page is placed at its first copy."""
    from extract.from_pdf import WidgetGroup, _widget_group
    from extract.pack_draft import draft_from_widgets

    box = (40.0, 40.0, 52.0, 52.0)
    groups = [
        WidgetGroup("utility_phone", 1, (box,), True, export="Yes"),
        WidgetGroup("utility_phone", 18, (box,), True, export="Yes"),
        WidgetGroup("sex", 2, (box,), True, export="Male"),
        WidgetGroup("sex", 2, ((60.0, 40.0, 72.0, 52.0),), True, export="Female"),
    ]
    properties, labels, _ = draft_from_widgets(groups, "t")
    assert properties["utility_phone"]["type"] == ["boolean", "null"]
    assert labels.fields["utility_phone"].kind.value == "checkbox"
    assert properties["sex"]["enum"] == ["male", "female", None]
    # a yes/no pair of small buttons: each option is set by its button's own value
    pair = [
        WidgetGroup("heat_yes", 1, ((80.0, 40.0, 92.0, 52.0),), True, export="Yes"),
        WidgetGroup("heat_no", 1, ((100.0, 40.0, 112.0, 52.0),), True, export="On"),
    ]
    properties, labels, _ = draft_from_widgets(pair, "t")
    assert properties["heat"]["enum"] == ["yes", "no", None]
    options = labels.fields["heat"].options or []
    assert [(o.widget, o.export) for o in options] == [("heat_yes", "Yes"), ("heat_no", "On")]
    rows = [
        WidgetGroup("interval", 16, ((100.0, y, 200.0, y + 15),), False) for y in (300, 340, 380)
    ]
    assert _widget_group({"interval": rows}, "interval", 16) is rows[0]
