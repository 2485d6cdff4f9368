"""Checkbox states from new ink: X, tick and fill; none; two marks; standalone boxes."""

from __future__ import annotations

import numpy as np
import pytest

from extract.checkbox import MARK_THRESHOLD, margin_confidence, read_checkbox_field
from extract.from_pdf import read_widgets
from extract.read import blank_masks, new_ink
from extract.reference import ReferencePage, reference_pages
from extract.template import FieldKind, FieldSpec, Option
from faxflow.model import FormType
from tests.extract.synthetic import fax, mark_box, move

SEX = "sex"


def _spec(templates, name: str) -> FieldSpec:  # type: ignore[no-untyped-def]
    return next(s for s in templates[FormType.CDC_PUI_2020].fields if s.name == name)


def _read(reference, page: np.ndarray, spec: FieldSpec):  # type: ignore[no-untyped-def]
    masks = blank_masks(reference.image)
    written = new_ink(page, masks)
    return read_checkbox_field(spec, written, dpi=reference.dpi, printed=masks.printed)


@pytest.mark.parametrize("mark", ["x", "tick", "fill"])
def test_one_mark_gives_its_value(templates, cdc_pages, mark: str) -> None:  # type: ignore[no-untyped-def]
    spec = _spec(templates, SEX)
    page = cdc_pages[0].image.copy()
    female = next(o for o in spec.options or [] if o.value == "female")
    mark_box(page, female.box, dpi=200, mark=mark, rng=np.random.default_rng(1))
    reading = _read(cdc_pages[0], fax(page, seed=2), spec)
    assert reading.value == "female"
    assert not reading.multiple_marks
    assert reading.confidence > 0.6
    scores = {s.value: s.score for s in reading.scores}
    assert scores["female"] >= MARK_THRESHOLD > max(v for k, v in scores.items() if k != "female")


def test_no_mark_is_none_with_high_confidence(templates, cdc_pages) -> None:  # type: ignore[no-untyped-def]
    reading = _read(cdc_pages[0], fax(cdc_pages[0].image, seed=3), _spec(templates, SEX))
    assert reading.value is None
    assert reading.confidence > 0.8


def test_every_box_of_the_blank_cdc_form_reads_empty(templates, cdc_pages) -> None:  # type: ignore[no-untyped-def]
    """Thick, shadowed printed borders are print, not marks."""
    template = templates[FormType.CDC_PUI_2020]
    for page in cdc_pages:
        blank = fax(page.image, seed=page.number)
        for spec in template.fields_on_page(page.number):
            if spec.options:
                assert _read(page, blank, spec).value in (None, False), spec.name


def test_two_marks_are_reported_not_guessed(templates, cdc_pages) -> None:  # type: ignore[no-untyped-def]
    spec = _spec(templates, SEX)
    page = cdc_pages[0].image.copy()
    rng = np.random.default_rng(4)
    for option in spec.options or []:
        if option.value in ("male", "female"):
            mark_box(page, option.box, dpi=200, mark="x", rng=rng)
    reading = _read(cdc_pages[0], page, spec)
    assert reading.value is None
    assert reading.multiple_marks


def test_multi_choice_is_a_sorted_list(templates, cdc_pages) -> None:  # type: ignore[no-untyped-def]
    spec = _spec(templates, "race")
    page = cdc_pages[0].image.copy()
    rng = np.random.default_rng(5)
    for option in spec.options or []:
        if option.value in ("white", "asian"):
            mark_box(page, option.box, dpi=200, mark="tick", rng=rng)
    reading = _read(cdc_pages[0], move(page, shift=(2, -2)), spec)
    assert reading.value == ["asian", "white"]


def test_a_standalone_box_reads_true_or_false(cdc_pages) -> None:  # type: ignore[no-untyped-def]
    box = (38.2, 389.5, 48.3, 399.6)  # a printed box of the CDC form
    spec = FieldSpec(
        name="flag", page=1, kind=FieldKind.CHECKBOX, options=[Option(value=True, box=box)]
    )
    assert _read(cdc_pages[0], cdc_pages[0].image, spec).value is False
    page = cdc_pages[0].image.copy()
    mark_box(page, box, dpi=200, mark="fill", rng=np.random.default_rng(6))
    assert _read(cdc_pages[0], page, spec).value is True


def test_a_box_printed_ticked_reads_marked(templates) -> None:  # type: ignore[no-untyped-def]
    """The DHS-1171 blank is printed with its Food Assistance box ticked: that box reads
    true on every copy, while the other programme boxes of the blank read false."""
    from extract.reference import reference_pages

    template = templates.get(FormType.MDHHS_DHS1171)
    if template is None:
        pytest.skip("the DHS template is not in this checkout")
    names = ("applying_food_assistance", "applying_cash_assistance")
    specs = [s for s in template.fields if s.name in names]
    if len(specs) != 2:
        pytest.skip("the programme boxes are not in the DHS template")
    reference = reference_pages(template, dpi=200)[specs[0].page - 1]
    masks = blank_masks(reference.image)
    written = new_ink(fax(reference.image, seed=7), masks)
    values = {
        s.name: read_checkbox_field(s, written, dpi=200, printed=masks.printed).value for s in specs
    }
    assert values == {"applying_food_assistance": True, "applying_cash_assistance": False}


# --------------------------------------------------------------------------------------
# Marks drawn off the printed square (DHS-1171 widgets that sit off their box)
# --------------------------------------------------------------------------------------

# the "Male" widgets that sit off their printed square: page 5 across, page 8 diagonally
OFF_CENTRE = {
    "household_members[0].sex": "second_member_sex_male",
    "household_members[3].sex": "fifth_member_sex_male",
}


@pytest.fixture(scope="module", params=sorted(OFF_CENTRE))
def dhs_male(  # type: ignore[no-untyped-def]
    request, templates, cache_root
) -> tuple[FieldSpec, ReferencePage, tuple[float, ...]]:
    """An off-centre sex group, its page's reference and the "Male" widget's rectangle."""
    template = templates.get(FormType.MDHHS_DHS1171)
    if template is None:
        pytest.skip("the DHS template is not in this checkout")
    spec = next(s for s in template.fields if s.name == request.param)
    widget = next(
        w
        for w in read_widgets(template.pdf_path)
        if w.name == OFF_CENTRE[request.param] and w.page == spec.page
    )
    reference = reference_pages(template, dpi=200, cache_root=cache_root)[spec.page - 1]
    return spec, reference, widget.rect


def _without_mark_boxes(spec: FieldSpec) -> FieldSpec:
    options = [o.model_copy(update={"mark_box": None}) for o in spec.options or []]
    return spec.model_copy(update={"options": options})


def _checked_in_widget(reference: ReferencePage, rect: tuple[float, ...], mark: str) -> np.ndarray:
    """The page as a program filling the PDF leaves it: the check centred in the widget's
    rectangle (not on the printed square), about 0.7 of the box's side, then faxed."""
    x0, y0, x1, y1 = rect
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = min(x1 - x0, y1 - y0, 11.0) * 0.72 / 2
    page = reference.image.copy()
    mark_box(
        page,
        (cx - half, cy - half, cx + half, cy + half),
        dpi=reference.dpi,
        mark=mark,
        rng=np.random.default_rng(8),
    )
    return fax(page, seed=9)


@pytest.mark.parametrize("mark", ["x", "tick"])
def test_a_check_centred_in_an_off_centre_widget_reads_its_value(dhs_male, mark: str) -> None:  # type: ignore[no-untyped-def]
    spec, reference, rect = dhs_male
    male = next(o for o in spec.options or [] if o.value == "male")
    assert male.mark_box is not None  # the committed template carries it
    reading = _read(reference, _checked_in_widget(reference, rect, mark), spec)
    assert reading.value == "male"
    assert not reading.multiple_marks


def test_without_the_mark_box_a_tick_in_the_widget_reads_nothing(dhs_male) -> None:  # type: ignore[no-untyped-def]
    """The failure mark_box repairs: the tick lies mostly outside the printed square."""
    spec, reference, rect = dhs_male
    page = _checked_in_widget(reference, rect, "tick")
    reading = _read(reference, page, _without_mark_boxes(spec))
    assert reading.value is None
    assert max(s.score for s in reading.scores) < MARK_THRESHOLD
    assert _read(reference, page, spec).value == "male"


def test_an_empty_group_with_a_mark_box_reads_nothing_on_a_faxed_blank(dhs_male) -> None:  # type: ignore[no-untyped-def]
    spec, reference, _rect = dhs_male
    for seed, standard in ((10, False), (11, True), (12, False)):
        reading = _read(reference, fax(reference.image, seed=seed, standard=standard), spec)
        assert reading.value is None
        assert reading.confidence > 0.8


def test_margin_confidence_grows_with_distance_from_the_threshold() -> None:
    near = margin_confidence([MARK_THRESHOLD + 0.005, 0.0])
    far = margin_confidence([0.5, 0.0])
    assert 0.5 <= near < far <= 1.0
