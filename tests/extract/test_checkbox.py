"""Checkbox states from new ink: X, tick and fill; none; two marks; standalone boxes."""

from __future__ import annotations

import numpy as np
import pytest

from extract.checkbox import MARK_THRESHOLD, margin_confidence, read_checkbox_field
from extract.read import blank_masks, new_ink
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


def test_margin_confidence_grows_with_distance_from_the_threshold() -> None:
    near = margin_confidence([MARK_THRESHOLD + 0.005, 0.0])
    far = margin_confidence([0.5, 0.0])
    assert 0.5 <= near < far <= 1.0
