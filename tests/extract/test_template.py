"""The committed form templates, and how a broken template is reported.

GIVEN the two templates in ``extract/templates`` WHEN they are loaded THEN every record
property has a place (or a stated reason why not), option values are the schema's, and
the geometry sits on the printed form. Broken copies must fail with a TemplateError that
names the file and the field.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from extract.from_pdf import anchor_problems, read_layouts
from extract.template import (
    CHECKBOX_KINDS,
    FieldKind,
    FormTemplate,
    coverage_problems,
    load_template,
    load_templates,
    record_property,
)
from faxflow.errors import ErrorCode, TemplateError
from faxflow.model import RECORD_TYPE_BY_FORM, FormType
from faxflow.schemas import field_names, load_schema

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "extract" / "templates"
FORMS = [FormType.CDC_PUI_2020, FormType.MDHHS_DHS1171]


@pytest.fixture(scope="module")
def templates() -> dict[FormType, FormTemplate]:
    return load_templates(TEMPLATES_DIR)


@pytest.fixture(params=FORMS, ids=str)
def template(request: pytest.FixtureRequest, templates: dict[FormType, FormTemplate]):
    return templates[request.param]


# --------------------------------------------------------------------------------------
# The committed templates
# --------------------------------------------------------------------------------------


def test_both_forms_have_a_template(templates):
    assert set(templates) == set(FORMS)
    for form_type, template in templates.items():
        assert template.record_type is RECORD_TYPE_BY_FORM[form_type]
        assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", template.version)
        assert template.title
        assert template.proposals == []  # finished: nothing left for a person to place


def test_every_schema_property_has_a_place(template):
    placed = {record_property(f.name) for f in template.fields}
    expected = set(field_names(template.record_type))
    assert expected <= placed | set(template.not_on_form)
    assert coverage_problems(template) == []


def _schema_values(prop: dict[str, Any]) -> set[Any]:
    if "enum" in prop:
        return {v for v in prop["enum"] if v is not None}
    if "items" in prop:
        return set(prop["items"]["enum"])
    assert "boolean" in prop["type"]
    return {True, False}


def test_option_values_are_the_schemas_values(template):
    properties = load_schema(template.record_type)["properties"]
    for spec in template.fields:
        if spec.kind not in CHECKBOX_KINDS:
            continue
        base = record_property(spec.name)
        prop = properties[base]
        if base == "household_members":
            prop = prop["items"]["properties"][spec.name.rsplit(".", 1)[1]]
        values = [o.value for o in spec.options or []]
        assert len(values) == len(set(map(repr, values))), spec.name
        for value in values:
            # True == 1 in Python: compare types too, so YAML's `yes` (a bool) is caught
            assert any(value == v and type(value) is type(v) for v in _schema_values(prop)), (
                spec.name,
                value,
            )
        if spec.kind is FieldKind.CHOICE:  # every choice the schema knows can be ticked
            assert set(values) == _schema_values(prop), spec.name


def test_pages_carry_fields_and_unique_anchors(template):
    with_fields = {f.page for f in template.fields}
    for page in template.pages:
        assert page.carries_fields == (page.number in with_fields), page.number
        assert 2 <= len(page.anchors) <= 4, page.number
    assert anchor_problems(template) == []


def _boxes(spec) -> list[tuple[float, float, float, float]]:
    return [
        b for b in [spec.region, *(spec.boxes or []), *[o.box for o in spec.options or []]] if b
    ]


def test_geometry_is_plausible(template):
    width, height = template.page_size
    for spec in template.fields:
        for x0, y0, x1, y1 in _boxes(spec):
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, spec.name
        if spec.region:
            region_height = spec.region[3] - spec.region[1]
            assert 8 <= region_height <= 30, (spec.name, region_height)  # about one line
        for option in spec.options or []:
            side_w, side_h = option.box[2] - option.box[0], option.box[3] - option.box[1]
            assert 7 <= side_w <= 20 and abs(side_w - side_h) < 1.5, (spec.name, option.box)
        if spec.boxes:
            lefts = [b[0] for b in spec.boxes]
            assert lefts == sorted(lefts), spec.name  # digits in reading order
            for a, b in zip(spec.boxes, spec.boxes[1:], strict=False):
                assert b[0] >= a[2] - 0.5, spec.name  # cells side by side, not on top


def test_text_regions_cover_no_printed_words(template):
    """A zone is where the value is written: labels must stay outside it."""
    layouts = read_layouts(template.pdf_path)
    for spec in template.fields:
        if spec.region is None:
            continue
        x0, y0, x1, y1 = spec.region
        for word in layouts[spec.page - 1].words:
            wx0, wy0, wx1, wy1 = word.box
            inter = max(0.0, min(x1, wx1) - max(x0, wx0)) * max(0.0, min(y1, wy1) - max(y0, wy0))
            assert inter <= 0.1 * (wx1 - wx0) * (wy1 - wy0), (spec.name, word.text)


def test_option_boxes_sit_on_printed_squares(template):
    """Render the blank page: each box's border is ink, its inside is paper."""
    from pdf2image import convert_from_path

    dpi = 150
    scale = dpi / 72
    pages = sorted({f.page for f in template.fields if f.options})
    for number in pages:
        image = convert_from_path(
            template.pdf_path, dpi=dpi, first_page=number, last_page=number, hide_annotations=True
        )[0]
        grey = np.asarray(image.convert("L"))
        for spec in template.fields_on_page(number):
            for option in spec.options or []:
                x0, y0, x1, y1 = (round(v * scale) for v in option.box)
                ring = np.concatenate(
                    [
                        grey[y0 - 1 : y0 + 2, x0:x1].ravel(),
                        grey[y1 - 2 : y1 + 1, x0:x1].ravel(),
                        grey[y0:y1, x0 - 1 : x0 + 2].ravel(),
                        grey[y0:y1, x1 - 2 : x1 + 1].ravel(),
                    ]
                )
                inside = grey[y0 + 4 : y1 - 4, x0 + 4 : x1 - 4]
                assert (ring < 160).mean() > 0.3, (spec.name, option.value)
                assert (inside < 160).mean() < 0.05, (spec.name, option.value)


def test_cdc_repeated_values_are_extra_fields(templates):
    cdc = templates[FormType.CDC_PUI_2020]
    by_name = {f.name: f for f in cdc.fields}
    for name in ("date_of_birth", "cdc_ncov_id"):
        first, second = by_name[name], by_name[f"{name}#2"]
        assert first.page == second.page == 1
        assert first.kind == second.kind
        assert first.region != second.region
        assert first.region[1] < second.region[1]  # the primary one is the header's


def test_dhs_layout_facts(templates):
    dhs = templates[FormType.MDHHS_DHS1171]
    by_name = {f.name: f for f in dhs.fields}
    for phone in ("home_phone", "cell_phone", "work_phone"):
        assert by_name[phone].page == 3 and len(by_name[phone].boxes or []) == 10
    assert len(by_name["applicant_ssn"].boxes or []) == 9
    assert by_name["applying_food_assistance"].kind is FieldKind.CHECKBOX
    assert by_name["applicant_us_citizen"].kind is FieldKind.CHOICE
    # persons 2..6 on pages 5..9 are household_members[0..4]
    for index in range(5):
        members = {n for n in by_name if n.startswith(f"household_members[{index}].")}
        assert {m.split(".")[1] for m in members} == {
            "full_name",
            "birth_date",
            "relationship",
            "sex",
            "ssn",
        }
        assert {by_name[m].page for m in members} == {5 + index}
        assert len(by_name[f"household_members[{index}].ssn"].boxes or []) == 9
    assert by_name["signature_date"].page == len(dhs.pages) == 21


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("form_type", FORMS, ids=str)
def test_blank_pdf_is_the_documented_file(form_type):
    """The README beside each blank form records its SHA-256; SOURCES.md, when it lists
    hashes, must agree."""
    folder = TEMPLATES_DIR / form_type.value
    actual = _sha256(folder / "blank.pdf")
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"\b[0-9a-f]{64}\b", readme) == [actual]
    sources = (TEMPLATES_DIR / "SOURCES.md").read_text(encoding="utf-8")
    row = next(line for line in sources.splitlines() if f"`{form_type.value}`" in line)
    assert set(re.findall(r"\b[0-9a-f]{64}\b", row)) <= {actual}


@pytest.mark.parametrize("form_type", FORMS, ids=str)
def test_blank_pdf_matches_the_shared_forms_folder(form_type, shared_dir):
    shared = shared_dir / "forms" / f"{form_type.value}.pdf"
    if not shared.is_file():
        pytest.skip(f"{shared} is absent")
    assert _sha256(TEMPLATES_DIR / form_type.value / "blank.pdf") == _sha256(shared)


# --------------------------------------------------------------------------------------
# Broken templates
# --------------------------------------------------------------------------------------


@pytest.fixture
def cdc_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (TEMPLATES_DIR / "cdc_pui_2020" / "template.yaml").read_text(encoding="utf-8")
    )
    data["source_pdf"] = str(TEMPLATES_DIR / "cdc_pui_2020" / "blank.pdf")
    return data


def _field(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in data["fields"] if f["name"] == name)


def _write(tmp_path: Path, data: dict[str, Any] | str) -> Path:
    path = tmp_path / "template.yaml"
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def _load_error(path: Path) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert caught.value.code is ErrorCode.TEMPLATE
    assert str(path) in caught.value.message
    return caught.value


def test_an_unmodified_copy_loads(tmp_path, cdc_data):
    assert len(load_template(_write(tmp_path, cdc_data)).fields) == len(cdc_data["fields"])


def test_broken_yaml_names_the_file_and_line(tmp_path):
    error = _load_error(_write(tmp_path, "form_type: cdc_pui_2020\nfields: [\n  - name: x\n"))
    assert "line" in error.message


def test_wrong_enum_value_names_the_field(tmp_path, cdc_data):
    _field(cdc_data, "sex")["options"][0]["value"] = "M"
    error = _load_error(_write(tmp_path, cdc_data))
    assert "field sex" in error.message and "'M'" in error.message


def test_unquoted_yes_is_caught(tmp_path, cdc_data):
    """YAML 1.1 reads a bare `yes` as true: the schema wants the string "yes"."""
    text = yaml.safe_dump(cdc_data, sort_keys=False).replace("value: 'yes'", "value: yes")
    error = _load_error(_write(tmp_path, text))
    assert "field pneumonia" in error.message and "True" in error.message


def test_missing_region_names_the_field(tmp_path, cdc_data):
    del _field(cdc_data, "patient_first_name")["region"]
    error = _load_error(_write(tmp_path, cdc_data))
    assert "patient_first_name" in error.message and "region" in error.message


def test_bad_kind_names_the_field(tmp_path, cdc_data):
    _field(cdc_data, "age")["kind"] = "numeric"
    error = _load_error(_write(tmp_path, cdc_data))
    assert "(age).kind" in error.message


def test_kind_that_cannot_hold_the_property(tmp_path, cdc_data):
    _field(cdc_data, "age")["kind"] = "date"
    error = _load_error(_write(tmp_path, cdc_data))
    assert "field age: kind date" in error.message


def test_kind_must_give_the_normal_form(tmp_path, cdc_data):
    """A date read as free text would store "07/04/1961", not the schema's 1961-07-04."""
    _field(cdc_data, "date_of_birth")["kind"] = "text"
    _field(cdc_data, "interviewer_telephone")["kind"] = "text"
    error = _load_error(_write(tmp_path, cdc_data))
    assert "field date_of_birth: kind text, but its normal form needs kind date" in error.message
    assert "field interviewer_telephone: kind text" in error.message


def test_unknown_field_name(tmp_path, cdc_data):
    _field(cdc_data, "patient_last_name")["name"] = "patient_middle_name"
    error = _load_error(_write(tmp_path, cdc_data))
    assert "field patient_middle_name: not a property" in error.message


def test_overlapping_option_boxes(tmp_path, cdc_data):
    options = _field(cdc_data, "sex")["options"]
    options[1]["box"] = [v + 2 for v in options[0]["box"]]
    error = _load_error(_write(tmp_path, cdc_data))
    assert "field sex: checkbox" in error.message and "overlaps" in error.message


def test_box_outside_the_page(tmp_path, cdc_data):
    _field(cdc_data, "interviewer_email")["region"] = [500.0, 220.0, 640.0, 236.0]
    error = _load_error(_write(tmp_path, cdc_data))
    assert "field interviewer_email: box" in error.message and "outside the page" in error.message


def test_missing_blank_pdf(tmp_path, cdc_data):
    cdc_data["source_pdf"] = "nowhere.pdf"
    error = _load_error(_write(tmp_path, cdc_data))
    assert "nowhere.pdf" in error.message


def test_coverage_names_what_is_missing_and_accepts_a_reason(tmp_path, cdc_data):
    cdc_data["fields"] = [f for f in cdc_data["fields"] if f["name"] != "ecmo"]
    template = load_template(_write(tmp_path, cdc_data))
    problems = coverage_problems(template)
    assert len(problems) == 1 and problems[0].startswith("field ecmo:")

    cdc_data["not_on_form"] = {"ecmo": "left off this revision of the form"}
    assert coverage_problems(load_template(_write(tmp_path, cdc_data))) == []


def test_not_on_form_must_name_a_property(tmp_path, cdc_data):
    cdc_data["not_on_form"] = {"favourite_colour": "not asked"}
    error = _load_error(_write(tmp_path, cdc_data))
    assert "not_on_form favourite_colour" in error.message


def test_lexicon_on_a_non_text_field_names_the_field(tmp_path, cdc_data):
    _field(cdc_data, "age")["lexicon"] = "county"
    error = _load_error(_write(tmp_path, cdc_data))
    assert "age" in error.message and "lexicon" in error.message


def test_state_field_must_be_a_field_of_the_form(tmp_path, cdc_data):
    _field(cdc_data, "county_of_residence")["state_field"] = "state_of_mind"
    error = _load_error(_write(tmp_path, cdc_data))
    assert "county_of_residence" in error.message and "state_of_mind" in error.message


def test_name_fields_must_be_name_fields_of_an_email_field(tmp_path, cdc_data):
    _field(cdc_data, "interviewer_email")["name_fields"] = ["interviewer_telephone"]
    error = _load_error(_write(tmp_path, cdc_data))
    assert "interviewer_email" in error.message and "interviewer_telephone" in error.message
    _field(cdc_data, "interviewer_email")["name_fields"] = None
    _field(cdc_data, "interviewer_telephone")["name_fields"] = ["interviewer_last_name"]
    error = _load_error(_write(tmp_path, cdc_data))
    assert "interviewer_telephone" in error.message and "kind email" in error.message


def test_a_mark_box_inside_the_page_loads(tmp_path, cdc_data):
    box = _field(cdc_data, "sex")["options"][0]["box"]
    _field(cdc_data, "sex")["options"][0]["mark_box"] = [box[0] + 3, box[1], box[2] + 3, box[3]]
    template = load_template(_write(tmp_path, cdc_data))
    sex = next(f for f in template.fields if f.name == "sex")
    assert sex.options is not None
    assert sex.options[0].mark_box == (box[0] + 3, box[1], box[2] + 3, box[3])
    assert all(o.mark_box is None for o in sex.options[1:])


def test_a_mark_box_off_the_page_names_the_field(tmp_path, cdc_data):
    _field(cdc_data, "sex")["options"][0]["mark_box"] = [606.0, 100.0, 616.0, 110.0]
    error = _load_error(_write(tmp_path, cdc_data))
    assert "field sex: box [606.0, 100.0, 616.0, 110.0] is outside the page" in error.message


def test_a_reversed_mark_box_names_the_field(tmp_path, cdc_data):
    _field(cdc_data, "sex")["options"][0]["mark_box"] = [60.0, 110.0, 50.0, 100.0]
    error = _load_error(_write(tmp_path, cdc_data))
    assert "field sex: box (60.0, 110.0, 50.0, 100.0) must have x0<x1" in error.message


# --------------------------------------------------------------------------------------
# The Japanese kinds and attributes (issue #23, docs/forms.md "Japanese forms")
# --------------------------------------------------------------------------------------

_JP_PROPERTIES: dict[str, dict[str, Any]] = {
    "report_date": {"type": ["string", "null"], "format": "date", "title": "届出年月日"},
    "birth_date": {"type": ["string", "null"], "format": "date", "title": "生年月日"},
    "birth_era": {
        "type": ["string", "null"],
        "enum": ["meiji", "taisho", "showa", "heisei", "reiwa", None],
        "title": "元号",
    },
    "furigana": {"type": ["string", "null"], "format": "katakana", "title": "ふりがな"},
    "postal_code": {"type": ["string", "null"], "format": "jp_postal", "title": "郵便番号"},
    "prefecture": {"type": ["string", "null"], "title": "都道府県"},
    "address": {"type": ["string", "null"], "title": "住所"},
}


def _era_options() -> list[dict[str, Any]]:
    return [
        {"value": era, "box": [100 + 20 * i, 100, 110 + 20 * i, 110]}
        for i, era in enumerate(["meiji", "taisho", "showa", "heisei", "reiwa"])
    ]


def _jp_template(tmp_path: Path, **changes: dict[str, Any]) -> FormTemplate:
    from tests.builders import one_page_template

    fields: dict[str, dict[str, Any]] = {
        "report_date": {"kind": "era_date", "era": "reiwa", "region": [10, 10, 200, 30]},
        "birth_date": {"kind": "era_date", "era_field": "birth_era", "region": [10, 40, 200, 60]},
        "birth_era": {"kind": "choice", "options": _era_options()},
        "furigana": {"kind": "katakana", "region": [10, 130, 200, 150]},
        "postal_code": {"kind": "jp_postal", "region": [10, 160, 200, 180]},
        "prefecture": {"kind": "prefecture", "region": [10, 190, 200, 210]},
        "address": {"kind": "text", "lang": "jpn", "region": [10, 220, 400, 240]},
    }
    for name, change in changes.items():
        fields[name] = {**fields[name], **change}
    return one_page_template(
        tmp_path, _JP_PROPERTIES, [{"name": n, **f} for n, f in fields.items()]
    )


def test_japanese_kinds_and_attributes_load(tmp_path):
    from extract.template import schema_problems

    template = _jp_template(tmp_path)
    assert schema_problems(template) == []
    kinds = {f.name: f.kind for f in template.fields}
    assert kinds["birth_date"] is FieldKind.ERA_DATE
    assert template.fields[0].era == "reiwa"
    assert template.fields[-1].lang == "jpn"


def test_era_date_fields_may_hold_date_properties_and_text_may_not_hold_katakana(tmp_path):
    from extract.template import schema_problems

    problems = schema_problems(_jp_template(tmp_path, furigana={"kind": "text"}))
    assert problems == ["field furigana: kind text, but its normal form needs kind katakana"]
    problems = schema_problems(_jp_template(tmp_path, report_date={"kind": "date", "era": None}))
    assert problems == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"address": {"lang": "jpn; rm"}}, "lang must look like 'jpn' or 'jpn+eng'"),
        ({"address": {"era": "reiwa"}}, "era and era_field need kind era_date"),
        ({"report_date": {"era": "edo"}}, "fields.0.era"),
        ({"report_date": {"era_field": "birth_era"}}, "give era or era_field, not both"),
        ({"birth_date": {"era_field": "furigana"}}, "era_field furigana is no choice field"),
        ({"birth_date": {"era_field": "nothing"}}, "era_field nothing is no choice field"),
    ],
)
def test_japanese_attributes_are_checked(tmp_path, changes, message):
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        _jp_template(tmp_path, **changes)
    assert message in str(caught.value)


def test_an_era_field_must_offer_eras(tmp_path):
    from pydantic import ValidationError

    options = _era_options()
    options[0]["value"] = "edo"
    with pytest.raises(ValidationError) as caught:
        _jp_template(tmp_path, birth_era={"options": options})
    assert "options ['edo'] that are no era" in str(caught.value)
