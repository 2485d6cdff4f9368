"""Drafting templates from blank PDFs, and the ``faxflow template`` commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from pypdf import PdfReader
from typer.testing import CliRunner

from extract.from_pdf import (
    FieldSource,
    LabelMap,
    OptionSource,
    find_label,
    group_widgets,
    load_label_map,
    read_layouts,
    read_widgets,
    template_from_pdf,
    template_to_yaml,
    text_zone_for_label,
)
from extract.template import FieldKind, load_template
from faxflow.cli import app
from faxflow.errors import ErrorCode, InputRejected, TemplateError
from faxflow.model import FormType

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "extract" / "templates"
CDC_PDF = TEMPLATES_DIR / "cdc_pui_2020" / "blank.pdf"
DHS_PDF = TEMPLATES_DIR / "mdhhs_dhs1171" / "blank.pdf"


Rect = tuple[float, float, float, float]


def _pypdf_rects(pdf: Path) -> dict[tuple[str, int], list[Rect]]:
    """Every widget's rectangle as pypdf reports it, converted to top-left points by hand
    (this is the oracle, so it does not reuse the module's conversion). A few names recur
    on one page (DHS p16 'additional_income_interval'), hence lists."""
    out: dict[tuple[str, int], list[Rect]] = {}
    for number, page in enumerate(PdfReader(pdf).pages, start=1):
        height = float(page.mediabox.top)
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Widget":
                continue
            name = annot.get("/T") or annot["/Parent"].get_object()["/T"]
            x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
            out.setdefault((str(name), number), []).append((x0, height - y1, x1, height - y0))
    return out


@pytest.fixture(scope="module")
def dhs_groups():
    return {(g.name, g.page): g for g in group_widgets(read_widgets(DHS_PDF))}


@pytest.fixture(scope="module")
def dhs_draft():
    return template_from_pdf(DHS_PDF, FormType.MDHHS_DHS1171)


@pytest.fixture(scope="module")
def cdc_draft():
    return template_from_pdf(CDC_PDF, FormType.CDC_PUI_2020)


# --------------------------------------------------------------------------------------
# Widgets
# --------------------------------------------------------------------------------------


def test_widget_rectangles_match_pypdf():
    expected = _pypdf_rects(DHS_PDF)
    widgets = read_widgets(DHS_PDF)
    assert len(widgets) == 317
    for widget in widgets:
        oracles = expected[(widget.name, widget.page)]
        assert any(widget.rect == pytest.approx(o, abs=0.01) for o in oracles), widget.name


def test_comb_widgets_are_grouped_in_digit_order(dhs_groups):
    expected = _pypdf_rects(DHS_PDF)
    phone = dhs_groups[("phone_number", 3)]
    assert phone.is_comb and len(phone.rects) == 10
    assert list(phone.rects) == [
        pytest.approx(expected[(f"phone_number_{i}", 3)][0], abs=0.01) for i in range(10)
    ]
    for stem, page in [
        ("primary_member_ssn", 4),
        *[
            (f"{n}_member_ssn", p)
            for n, p in zip(
                ("second", "third", "fourth", "fifth", "sixth"), range(5, 10), strict=True
            )
        ],
    ]:
        group = dhs_groups[(stem, page)]
        assert len(group.rects) == 9, stem
        assert list(group.rects) == [
            pytest.approx(expected[(f"{stem}_{i}", page)][0], abs=0.01) for i in range(9)
        ]
    assert not any(name.startswith("phone_number_") for name, _ in dhs_groups)


def test_buttons_become_checkboxes_with_pypdf_rectangles(dhs_draft):
    expected = _pypdf_rects(DHS_PDF)
    checkboxes = [p for p in dhs_draft.template.proposals if p.kind is FieldKind.CHECKBOX]
    names = {(p.name, p.page) for p in checkboxes}
    assert ("applying_for_food_assistance", 2) in names
    assert ("primary_member_sex_male", 4) in names
    for proposal in checkboxes:
        assert proposal.options is not None and len(proposal.options) == 1
        assert proposal.options[0].value is True
        assert proposal.options[0].box == pytest.approx(
            expected[(proposal.name, proposal.page)][0], abs=0.01
        )


def test_unmapped_dhs_draft_proposes_every_widget(dhs_draft):
    proposals = {(p.name, p.page): p for p in dhs_draft.template.proposals}
    listed = dhs_draft.template.proposals
    assert dhs_draft.template.fields == []
    assert len(proposals[("phone_number", 3)].boxes or []) == 10
    assert len(proposals[("primary_member_ssn", 4)].boxes or []) == 9
    assert proposals[("email", 3)].region is not None
    # 317 widgets; the 10 phone cells and 6 x 9 SSN cells fold into 7 groups
    assert len(listed) == 317 - (10 + 6 * 9) + 7


# --------------------------------------------------------------------------------------
# Text layer (flat PDFs)
# --------------------------------------------------------------------------------------


def test_label_and_zone_for_patient_first_name():
    page = read_layouts(CDC_PDF)[0]
    label = find_label(page, "Patient first name")
    assert label is not None
    zone = text_zone_for_label(page, label)
    assert zone is not None
    # right of the label, on its line, spanning the printed underline, one line tall
    assert zone[0] >= label[2] and zone[0] - label[2] < 5
    assert zone[1] < label[3] < zone[3]
    assert 8 <= zone[3] - zone[1] <= 16 and zone[2] - zone[0] > 50


def test_find_label_ignores_case_and_punctuation_and_counts_occurrences():
    page = read_layouts(CDC_PDF)[0]
    first = find_label(page, "cdc 2019 ncov id")
    second = find_label(page, "CDC 2019-nCoV ID:", occurrence=2)
    assert first is not None and second is not None and first[1] < second[1]
    # the third is in the footnote ("Assign Contact ID using CDC 2019-nCoV ID and ...")
    third = find_label(page, "CDC 2019-nCoV ID:", occurrence=3)
    assert third is not None and third[1] > second[1]
    assert find_label(page, "CDC 2019-nCoV ID:", occurrence=4) is None
    assert find_label(page, "Patient shoe size") is None


def test_unmapped_cdc_draft_proposes_zones_named_after_labels(cdc_draft):
    proposals = {p.name: p for p in cdc_draft.template.proposals}
    first_name = proposals["unmapped.patient_first_name"]
    assert first_name.page == 1 and first_name.kind is FieldKind.TEXT
    assert first_name.label == "Patient first name"
    assert "unmapped.reporting_jurisdiction" in proposals
    # printed squares become checkbox proposals named after the word beside them
    male = proposals["unmapped.male"]
    assert male.kind is FieldKind.CHECKBOX and male.options is not None
    x0, y0, x1, y1 = male.options[0].box
    assert 8 <= x1 - x0 <= 11 and abs((x1 - x0) - (y1 - y0)) < 1
    boxes = [p for p in cdc_draft.template.proposals if p.kind is FieldKind.CHECKBOX]
    assert len(boxes) >= 60


def test_label_map_places_choice_groups_without_stealing_boxes():
    """Three Yes/No/Unknown questions sit close together; each gets its own boxes."""
    yes_no_unknown = [
        OptionSource(value="yes", word="Yes"),
        OptionSource(value="no", word="No"),
        OptionSource(value="unknown", word="Unknown"),
    ]
    labels = LabelMap(
        fields={
            "sex": FieldSource(
                kind=FieldKind.CHOICE,
                page=1,
                label="Sex:",
                options=[
                    OptionSource(value="male", word="Male"),
                    OptionSource(value="female", word="Female"),
                    OptionSource(value="unknown", word="Unknown"),
                    OptionSource(value="other", word="Other"),
                ],
            ),
            "pneumonia": FieldSource(
                kind=FieldKind.CHOICE,
                page=1,
                label="Did the patient develop pneumonia?",
                options=yes_no_unknown,
            ),
            "patient_first_name": FieldSource(
                kind=FieldKind.NAME, page=1, label="Patient first name"
            ),
        }
    )
    draft = template_from_pdf(CDC_PDF, FormType.CDC_PUI_2020, labels)
    assert draft.problems == ()
    fields = {f.name: f for f in draft.template.fields}
    sex = [o.box for o in fields["sex"].options or []]
    pneumonia = [o.box for o in fields["pneumonia"].options or []]
    assert len({*sex, *pneumonia}) == 7
    # sex's boxes are one column; pneumonia's Unknown is right of its Yes
    assert len({round(b[0]) for b in sex}) == 1
    assert pneumonia[2][0] > pneumonia[0][0] + 20
    # mapped zones are no longer proposals
    assert "unmapped.patient_first_name" not in {p.name for p in draft.template.proposals}


def _centre(box: Rect) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def test_widgets_off_their_printed_square_give_the_option_a_mark_box():
    """GIVEN DHS-1171 sex boxes whose button widgets sit off the printed square (page 5
    male: centre 3.3 pt right of the square's; page 8 male: 1.0 pt right and 2.0 pt
    down, each under a fifth of the 10 pt side but more together) or are merely larger
    than it (page 6 male, 19 x 17 pt around a 10 pt square, centred within 1.1 pt) WHEN
    the draft places them THEN only the off-centre ones get a mark box: the printed
    square's size, on the widget's centre, where a program filling the PDF draws the
    check."""
    widgets = _pypdf_rects(DHS_PDF)

    def sex(page: int, person: str) -> FieldSource:
        return FieldSource(
            kind=FieldKind.CHOICE,
            page=page,
            options=[OptionSource(value=v, widget=f"{person}_sex_{v}") for v in ("male", "female")],
        )

    labels = LabelMap(
        fields={
            "applicant_sex": sex(4, "primary_member"),
            "household_members[0].sex": sex(5, "second_member"),
            "household_members[1].sex": sex(6, "third_member"),
            "household_members[3].sex": sex(8, "fifth_member"),
            # a standalone box (the other caller of the square search): widget 2.9 pt
            # above its square's centre on a side of 11 pt
            "in_college": FieldSource(
                kind=FieldKind.CHECKBOX, page=4, widget="primary_member_in_college_yes"
            ),
        }
    )
    draft = template_from_pdf(DHS_PDF, FormType.MDHHS_DHS1171, labels)
    assert draft.problems == ()
    marked = {
        (f.name, o.value): o for f in draft.template.fields for o in f.options or [] if o.mark_box
    }
    assert set(marked) == {
        ("household_members[0].sex", "male"),
        ("household_members[1].sex", "female"),
        ("household_members[3].sex", "male"),
        ("in_college", True),
    }
    male = marked[("household_members[0].sex", "male")]
    assert male.box == pytest.approx((46.3, 73.5, 56.3, 83.5), abs=0.2)  # the printed square
    assert male.mark_box is not None
    widget = widgets[("second_member_sex_male", 5)][0]
    assert _centre(male.mark_box) == pytest.approx(_centre(widget), abs=0.1)
    assert male.mark_box[2] - male.mark_box[0] == pytest.approx(male.box[2] - male.box[0], abs=0.1)
    assert male.mark_box[3] - male.mark_box[1] == pytest.approx(male.box[3] - male.box[1], abs=0.1)
    # the larger but centred widget on page 6 reads its printed square only
    fields = {f.name: f for f in draft.template.fields}
    third_male = next(
        o for o in fields["household_members[1].sex"].options or [] if o.value == "male"
    )
    third_widget = widgets[("third_member_sex_male", 6)][0]
    assert third_widget[2] - third_widget[0] > 1.8 * (third_male.box[2] - third_male.box[0])
    assert third_male.mark_box is None


def test_unplaceable_mapping_is_reported_not_raised():
    labels = LabelMap(
        fields={
            "contact_id": FieldSource(kind=FieldKind.TEXT, page=1, label="Favourite colour"),
            "age": FieldSource(kind=FieldKind.INTEGER, widget="age_widget"),
        }
    )
    draft = template_from_pdf(CDC_PDF, FormType.CDC_PUI_2020, labels)
    assert draft.template.fields == []
    assert len(draft.problems) == 2
    assert any("contact_id" in p and "Favourite colour" in p for p in draft.problems)
    assert any("age" in p and "age_widget" in p for p in draft.problems)


@pytest.mark.parametrize("form_type", [FormType.CDC_PUI_2020, FormType.MDHHS_DHS1171], ids=str)
def test_committed_templates_are_what_the_label_map_generates(form_type):
    """template.yaml is reproducible: every hand decision is recorded in labels.yaml."""
    folder = TEMPLATES_DIR / form_type.value
    committed = load_template(folder / "template.yaml")
    draft = template_from_pdf(
        folder / "blank.pdf",
        form_type,
        load_label_map(folder / "labels.yaml"),
        version=committed.version,
    )
    assert draft.problems == ()
    assert draft.template.fields == committed.fields
    assert draft.template.pages == committed.pages
    assert draft.template.not_on_form == committed.not_on_form


def test_yaml_writer_round_trips(tmp_path, cdc_draft):
    text = template_to_yaml(cdc_draft.template, "# header\n")
    assert text.startswith("# header\nform_type: cdc_pui_2020\n")
    assert "region: [" in text  # boxes on one line for review
    data = yaml.safe_load(text)
    data["source_pdf"] = str(CDC_PDF)
    (tmp_path / "template.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    loaded = load_template(tmp_path / "template.yaml")
    assert loaded.proposals == cdc_draft.template.proposals


def test_not_a_pdf_is_rejected_with_a_code(tmp_path):
    fake = tmp_path / "form.pdf"
    fake.write_bytes(b"GIF89a not a pdf")
    for reader in (read_widgets, read_layouts):
        with pytest.raises(InputRejected) as caught:
            reader(fake)
        assert caught.value.code is ErrorCode.CORRUPT
        assert "form.pdf" in caught.value.message


def test_broken_label_map_names_the_file(tmp_path):
    path = tmp_path / "labels.yaml"
    path.write_text("fields:\n  age: {kind: numeric}\n", encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_label_map(path)
    assert str(path) in caught.value.message and "age" in caught.value.message


# --------------------------------------------------------------------------------------
# The CLI
# --------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_validate_accepts_the_committed_templates():
    result = runner.invoke(app, ["template", "validate", str(TEMPLATES_DIR)])
    assert result.exit_code == 0, result.output
    assert "cdc_pui_2020" in result.output and "mdhhs_dhs1171" in result.output


def test_cli_validate_names_the_problem_and_exits_2(tmp_path):
    data = yaml.safe_load((TEMPLATES_DIR / "cdc_pui_2020" / "template.yaml").read_text())
    data["source_pdf"] = str(CDC_PDF)
    data["fields"] = [f for f in data["fields"] if f["name"] != "ecmo"]
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = runner.invoke(app, ["template", "validate", str(path)])
    assert result.exit_code == 2
    assert "field ecmo: no place on the form" in result.output


def test_cli_from_pdf_writes_a_loadable_template(tmp_path):
    out = tmp_path / "cdc" / "template.yaml"
    out.parent.mkdir()
    (out.parent / "blank.pdf").symlink_to(CDC_PDF)
    result = runner.invoke(
        app,
        [
            "template",
            "from-pdf",
            str(CDC_PDF),
            "--form-type",
            "cdc_pui_2020",
            "-o",
            str(out),
            "--labels",
            str(TEMPLATES_DIR / "cdc_pui_2020" / "labels.yaml"),
        ],
    )
    assert result.exit_code == 0, result.output
    template = load_template(out)
    assert len(template.fields) == 69
    assert template.proposals  # the unmapped zones are left for a person
    assert "69 mapped fields" in result.output


def test_cli_from_pdf_refuses_an_unknown_form_type():
    result = runner.invoke(app, ["template", "from-pdf", str(CDC_PDF), "--form-type", "w2"])
    assert result.exit_code == 2
    assert "unknown form type" in result.output


def test_cli_show_draws_the_page(tmp_path):
    from PIL import Image

    out = tmp_path / "p2.png"
    result = runner.invoke(
        app, ["template", "show", "cdc_pui_2020", "--page", "2", "--out", str(out), "--dpi", "72"]
    )
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.size == (612, 792)
        rgb = np.asarray(image.convert("RGB")).astype(int)
    red = int(((rgb[..., 0] > 180) & (rgb[..., 1] < 60) & (rgb[..., 2] < 80)).sum())
    assert red > 23 * 3 * 20  # 23 Yes/No/Unknown rows outlined in red
    result = runner.invoke(
        app, ["template", "show", "cdc_pui_2020", "--page", "3", "--out", str(out)]
    )
    assert result.exit_code == 2


def test_japanese_labels_are_found_in_the_text_layer():
    """Labels are compared as letters of any script, full-width folded: a Japanese form's
    printed label places a zone as an English one does (issue #23)."""
    blank = Path(__file__).resolve().parents[2] / "forms" / "jp_covid19_notification" / "blank.pdf"
    layout = read_layouts(blank)[0]
    name = find_label(layout, "当該者氏名")
    addressee = find_label(layout, "保健所長")
    assert name is not None and addressee is not None
    assert addressee[1] < name[1]  # the addressee line is above the table
    assert find_label(layout, "別記様式6-1") is not None  # printed full-width: ６－１
