"""Checkbox groups read comparatively, on rendered images: boxes drawn with realistic
printed borders and real option boxes of the blank forms, marked as people mark them
(X, tick, thin tick, fill, circle around the box, slash; centred, off-centre, spilling
across the border), faxed at 200 dpi or scanned at 300 dpi; two marks, near-ties, empty
groups and fax specks; standalone and multi-choice boxes."""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable

import cv2
import numpy as np
import pytest

from extract.checkbox import (
    EMPTY_CHOICE_CONFIDENCE,
    FAINT,
    FAINT_MARK_CONFIDENCE,
    MARK,
    SPILLED_CONFIDENCE,
    BoxScore,
    CheckboxReading,
    _single_choice,
    printed_square,
    read_checkbox_field,
)
from extract.from_pdf import read_widgets
from extract.read import blank_masks
from extract.reference import ReferencePage, points_to_pixels, reference_pages
from extract.template import FieldKind, FieldSpec, Option
from faxflow.model import FormType
from tests.extract.hand_marks import (
    FORM_GROUPS,
    LOOKS,
    STYLES,
    Group,
    crop_to,
    draw_mark,
    drawn_group,
    fax,
    form_group,
    ink_of,
    marked,
    read_group,
    specks,
)
from tests.extract.synthetic import fax as generator_fax
from tests.extract.synthetic import mark_box, pale_fax

Make = Callable[[int], Group]


def _drawn(count: int, *, bevel: bool = False) -> Make:
    return functools.cache(functools.partial(drawn_group, count, bevel=bevel, gap_pt=30))


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


# --------------------------------------------------------------------------------------
# One box marked: every style, every look, 2-4 options
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("look", LOOKS)
@pytest.mark.parametrize("count", [2, 3, 4])
@pytest.mark.parametrize("style", STYLES)
def test_one_mark_in_any_style_reads_its_box(style: str, count: int, look: str) -> None:
    make = _drawn(count, bevel=count == 3)
    for target in range(count):
        rng = np.random.default_rng(1000 * count + 10 * target + STYLES.index(style))
        group, image = marked(
            make, look=look, style=style, position="centred", targets=[target], rng=rng
        )
        reading = read_group(group, image)
        assert reading.value == f"o{target + 1}", reading.raw_text
        assert not reading.multiple_marks and not reading.ambiguous
        assert reading.confidence > 0.5


@pytest.mark.parametrize("position", ["off_centre", "spilling"])
@pytest.mark.parametrize("style", ["x", "tick", "fill", "slash", "circle"])
def test_a_mark_off_centre_or_across_the_border_reads_its_box(style: str, position: str) -> None:
    """The old reader looked only inside the printed square, shrunk by its border."""
    for count in (2, 4):
        for look in LOOKS:
            make = _drawn(count)
            target = count - 1
            rng = np.random.default_rng(7 * count + len(look) + POSITIONS_SEED[position])
            group, image = marked(
                make, look=look, style=style, position=position, targets=[target], rng=rng
            )
            reading = read_group(group, image)
            assert reading.value == f"o{count}", (look, reading.raw_text)


POSITIONS_SEED = {"off_centre": 11, "spilling": 23}


@pytest.mark.parametrize("form_and_name", sorted(FORM_GROUPS), ids=lambda k: k[1])
@pytest.mark.parametrize("style", STYLES)
def test_real_option_boxes_read_every_style(
    templates, cache_root, form_and_name, style: str
) -> None:  # type: ignore[no-untyped-def]
    """On the blank forms' own boxes: the CDC's stacked, shaded boxes and the DHS-1171's
    large squares (whose template boxes sit inside them, where no one aims a tick)."""
    form, name = form_and_name

    @functools.cache
    def make(dpi: int) -> Group:
        return crop_to(form_group(templates, form, name, dpi=dpi, cache_root=cache_root))

    count = len(make(200).squares)
    for look in ("fax_fine", "scan_300"):
        target = (STYLES.index(style) + len(look)) % count
        rng = _rng(form, name, style, look)
        group, image = marked(
            make, look=look, style=style, position="centred", targets=[target], rng=rng
        )
        reading = read_group(group, image)
        want = (group.spec.options or [])[target].value
        if style == "circle" and name == "sex":
            # The CDC's boxes touch: a circle round one crosses its neighbours' squares.
            assert reading.value in (want, None), reading.raw_text
        else:
            assert reading.value == want, (look, reading.raw_text)


def test_a_thin_tick_is_read_when_the_other_boxes_are_empty() -> None:
    """The failure this reader was built for: a tick with about a quarter of an X's ink,
    beside an empty box, was left unread."""
    group = drawn_group(2, 200)
    thin, cross = group.page.copy(), group.page.copy()
    draw_mark(thin, group.squares[0], dpi=200, style="thin_tick", rng=np.random.default_rng(3))
    draw_mark(cross, group.squares[0], dpi=200, style="x", rng=np.random.default_rng(3))
    share = ink_of(thin, group.page) / ink_of(cross, group.page)
    assert 0.15 <= share <= 0.4  # the rendering is what it claims to be
    reading = read_group(group, fax(thin, rng=np.random.default_rng(4)))
    assert reading.value == "o1"
    x_reading = read_group(group, fax(cross, rng=np.random.default_rng(4)))
    assert x_reading.value == "o1"
    assert reading.confidence <= x_reading.confidence
    assert x_reading.confidence == 1.0


def _faint(image: np.ndarray, blank: np.ndarray, level: int) -> np.ndarray:
    """The marks on ``image`` (not the blank's print) lightened to grey ``level``: a fine
    pen stroke resampled from fax resolution arrives 30-40 grey levels below white."""
    out = blank.copy()
    marked = image < blank
    out[marked] = np.maximum(image[marked], level)
    return out


def test_a_faint_thin_tick_is_read_and_the_blank_alone_is_not() -> None:
    """A thin tick that arrives light grey (about 215 of 255) is below any page-wide ink
    level: it is read against the blank's own shade, beside an empty box; the blank's
    print alone, sent the same way, reads as nothing, as sure as an unanswered question
    can be."""
    group = drawn_group(2, 200)
    thin = group.page.copy()
    draw_mark(thin, group.squares[1], dpi=200, style="thin_tick", rng=np.random.default_rng(5))
    faint = _faint(thin, group.page, 215)
    reading = read_group(group, faint)
    assert reading.value == "o2", reading.raw_text
    assert not reading.multiple_marks and not reading.ambiguous
    empty = read_group(group, group.page.copy())
    assert empty.value is None and empty.confidence == EMPTY_CHOICE_CONFIDENCE, empty.raw_text


def test_a_tick_the_fax_lost_leaves_its_question_unread_but_not_surely() -> None:
    """A thin tick sent so pale (about 245 of 255) that no ink measure can see it looks
    exactly like a question left unanswered: the group reads nothing, below the 0.95
    band, so that a wrong empty answer is never a confident one. The same tick sent at
    215 is read."""
    group = drawn_group(3, 200)
    thin = group.page.copy()
    draw_mark(thin, group.squares[0], dpi=200, style="thin_tick", rng=np.random.default_rng(7))
    assert read_group(group, _faint(thin, group.page, 215)).value == "o1"
    lost = read_group(group, _faint(thin, group.page, 245))
    assert lost.value is None, lost.raw_text
    assert lost.confidence < 0.95


@pytest.mark.parametrize("seed", range(8))
def test_a_thin_tick_a_fax_broke_into_specks_is_read_as_a_doubtful_answer(seed: int) -> None:
    """A thin tick in a light pen, faxed: the threshold leaves specks of a few pixels,
    each too small to tell from fax noise, and the box's ink stays below a mark's
    (FAINT). Specks together in one box's core, with the other boxes clean, are read as
    that box's answer, at a confidence a person checks; the same group faxed unmarked
    reads nothing."""
    group = drawn_group(3, 200, bevel=seed % 2 == 1)
    target = seed % 3
    image = group.page.copy()
    draw_mark(image, group.squares[target], dpi=200, style="thin_tick", rng=_rng("pale", seed))
    reading = read_group(group, pale_fax(image, seed=seed, strength=0.4))
    assert all(s.score < FAINT for s in reading.scores), reading.raw_text  # no mark's ink
    assert reading.value == f"o{target + 1}", reading.raw_text
    assert reading.confidence == FAINT_MARK_CONFIDENCE < EMPTY_CHOICE_CONFIDENCE
    assert "faint:" in reading.raw_text
    empty = read_group(group, pale_fax(group.page.copy(), seed=seed, strength=0.4))
    assert empty.value is None and empty.confidence == EMPTY_CHOICE_CONFIDENCE, empty.raw_text


def test_two_boxes_holding_a_broken_tick_each_read_nothing() -> None:
    """Faint ink in two boxes of one question is nobody's answer: the group stays
    unanswered, as before."""
    for seed in range(4):
        group = drawn_group(3, 200)
        image = group.page.copy()
        for index in (0, 2):
            draw_mark(
                image, group.squares[index], dpi=200, style="thin_tick", rng=_rng("two", seed)
            )
        reading = read_group(group, pale_fax(image, seed=seed, strength=0.4))
        assert reading.value is None, reading.raw_text


def test_a_stroke_over_a_bevelled_box_shading_is_read() -> None:
    """The CDC's boxes are shaded grey inside their frame; a slash drawn mostly over the
    shading is a mark (the page reader's grown mask of the blank's ink hides it)."""
    group = drawn_group(3, 200, bevel=True, gap_pt=30)
    image = group.page.copy()
    s = 200 / 72
    x0, y0, _, y1 = (round(v * s) for v in group.squares[0])
    cv2.line(image, (x0 + 2, y1 - 4), (x0 + 12, y0 + 2), 0, 3)
    reading = read_group(group, image)
    assert reading.value == "o1", reading.raw_text


# --------------------------------------------------------------------------------------
# Two marks, near-ties, empty groups, specks
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"), [("x", "x"), ("fill", "tick"), ("x", "thin_tick"), ("circle", "slash")]
)
@pytest.mark.parametrize("count", [2, 3, 4])
def test_two_marked_boxes_are_multiple_marks_not_a_guess(
    first: str, second: str, count: int
) -> None:
    group = drawn_group(count, 200)
    image = group.page.copy()
    rng = np.random.default_rng(count)
    draw_mark(image, group.squares[0], dpi=200, style=first, rng=rng)
    draw_mark(image, group.squares[-1], dpi=200, style=second, rng=rng)
    reading = read_group(group, fax(image, rng=rng))
    assert reading.value is None
    assert reading.multiple_marks
    assert reading.confidence <= 0.3


def test_a_mark_beside_faint_ink_is_ambiguous() -> None:
    """A short stroke (a pen resting on the box) beside a tick: no box clearly stands
    out, so nothing is read, and the reading says why."""
    import cv2

    group = drawn_group(3, 200)
    image = group.page.copy()
    draw_mark(image, group.squares[0], dpi=200, style="thin_tick", rng=np.random.default_rng(5))
    x0, y0, x1, y1 = points_to_pixels(group.squares[2], 200)
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    cv2.line(image, (cx - 4, cy + 3), (cx + 3, cy - 4), 0, 2)  # a short nick of ink
    reading = read_group(group, fax(image, rng=np.random.default_rng(6)))
    scores = sorted(s.score for s in reading.scores)
    assert scores[-2] >= FAINT  # the nick is more than noise: the precondition of the case
    assert reading.value is None
    assert reading.ambiguous or reading.multiple_marks
    assert reading.confidence <= 0.3


def test_near_ties_are_ambiguous_with_low_confidence() -> None:
    union = (0, 0, 10, 10)

    def scores(*values: float) -> tuple[BoxScore, ...]:
        return tuple(BoxScore(f"o{i}", v, union) for i, v in enumerate(values))

    tie = _single_choice(scores(0.45, 0.4, 0.0), union)
    assert tie.value is None and tie.ambiguous and tie.confidence <= 0.3
    clear = _single_choice(scores(2.5, 0.0, 0.01), union)
    assert clear.value == "o0" and clear.confidence == 1.0
    faint = _single_choice(scores(FAINT + 0.1, 0.0), union)
    assert faint.value == "o0" and 0.5 < faint.confidence < clear.confidence
    crowded = _single_choice(scores(2.5, 0.2, 0.0), union)  # a winner beside some dirt
    assert crowded.value == "o0" and crowded.confidence < 1.0
    double = _single_choice(scores(2.5, MARK + 0.1), union)
    assert double.value is None and double.multiple_marks


@pytest.mark.parametrize("look", LOOKS)
@pytest.mark.parametrize("count", [2, 3, 4])
def test_an_empty_group_reads_nothing_without_claiming_certainty(count: int, look: str) -> None:
    """An unanswered single choice: nothing is read, at the confidence an unanswered
    question can have (a lost mark would look the same), below the 0.95 band."""
    make = _drawn(count, bevel=count == 4)
    group, image = marked(
        make, look=look, style="x", position="centred", targets=[], rng=_rng(count, look)
    )
    reading = read_group(group, image)
    assert reading.value is None
    assert not reading.multiple_marks and not reading.ambiguous
    assert reading.confidence == EMPTY_CHOICE_CONFIDENCE < 0.95


@pytest.mark.parametrize("seed", range(6))
def test_fax_specks_in_an_empty_group_are_no_mark(seed: int) -> None:
    count = 2 + seed % 3
    group = drawn_group(count, 200)
    rng = np.random.default_rng(seed)
    image = group.page.copy()
    specks(image, group.squares, dpi=200, rng=rng)
    reading = read_group(group, fax(image, rng=rng, standard=seed % 2 == 1))
    assert reading.value is None
    assert not reading.multiple_marks and not reading.ambiguous
    assert all(s.score < FAINT for s in reading.scores)


def test_a_broken_fax_streak_through_a_box_is_no_mark() -> None:
    import cv2

    group = drawn_group(3, 200)
    image = group.page.copy()
    x0, _, x1, _ = points_to_pixels(group.squares[1], 200)
    column = (x0 + x1) // 2
    rng = np.random.default_rng(9)
    for y in range(0, image.shape[0], 6):  # dashed, wandering a pixel or two
        drift = int(rng.integers(-1, 2))
        cv2.line(image, (column + drift, y), (column + drift, y + 4), 0, 2)
    reading = read_group(group, fax(image, rng=rng))
    assert reading.value is None
    assert reading.scores[1].score < FAINT


def _stacked_boxes() -> tuple[np.ndarray, list[FieldSpec], list[tuple[int, int, int, int]]]:
    """Two standalone 18 pt boxes, one 2.5 pt above the other (a form's column of
    "check all that apply" boxes), as their own fields."""
    s = 200 / 72
    page = np.full((round(80 * s), round(80 * s)), 255, np.uint8)
    boxes_pt = [(20.0, 10.0, 38.0, 28.0), (20.0, 30.5, 38.0, 48.5)]
    pixels = []
    for box in boxes_pt:
        px = [round(v * s) for v in box]
        cv2.rectangle(page, (px[0], px[1]), (px[2], px[3]), 0, max(1, round(s)))
        pixels.append((px[0], px[1], px[2], px[3]))
    specs = [
        FieldSpec(
            name=f"box{i}", page=1, kind=FieldKind.CHECKBOX, options=[Option(value=True, box=b)]
        )
        for i, b in enumerate(boxes_pt)
    ]
    return page, specs, pixels


def test_marks_in_two_stacked_boxes_joined_by_a_border_sliver_are_two_marks() -> None:
    """GIVEN an X from corner to corner in each of two stacked boxes and, in the page
    reader's ink, a sliver of their left borders joining the two X's (a scan prints a
    border a pixel or two off the blank's), WHEN each box is read, THEN both are marked.
    The joined ink was one stroke, all of it given to the lower box, and the upper box
    read unmarked at confidence 1.0."""
    from extract.read import new_ink

    blank, specs, pixels = _stacked_boxes()
    image = blank.copy()
    for x0, y0, x1, y1 in pixels:
        cv2.line(image, (x0, y0), (x1, y1), 0, 2)
        cv2.line(image, (x0, y1), (x1, y0), 0, 2)
    masks = blank_masks(blank)
    boxes = [o.box for spec in specs for o in spec.options or []]
    (ax0, _, _, ay1), (_, by0, _, _) = pixels

    def read(page: np.ndarray, *, sliver: bool = False) -> list[object]:
        written = new_ink(page, masks)
        if sliver:
            written[ay1 - 12 : by0 + 12, ax0 - 1 : ax0 + 1] = True
        return [
            read_checkbox_field(
                spec, page, blank, dpi=200, printed=masks.printed, others=boxes, written=written
            ).value
            for spec in specs
        ]

    assert read(generator_fax(image, seed=3), sliver=True) == [True, True]
    # An X spilling from the upper box into the lower one is still one mark, the upper's.
    spill = blank.copy()
    x0, y0, x1, y1 = pixels[0]
    cv2.line(spill, (x0 + 4, y0 + 4), (x1 + 2, y1 + 10), 0, 3)
    cv2.line(spill, (x0 - 2, y1 + 10), (x1 - 4, y0 + 4), 0, 3)
    assert read(generator_fax(spill, seed=4)) == [True, False]


def test_a_border_off_the_blanks_and_a_line_along_it_are_no_mark() -> None:
    """GIVEN an empty box whose copy prints its top border 4 px lower than the blank (a
    fax fed unevenly) and a dashed line along its bottom border running out on both sides
    (a fillable field's edge the blank lacks), WHEN it is read, THEN it is unmarked; an X
    in it is still read. Both read as a mark at confidence 1.0 before."""
    from extract.read import new_ink

    blank, specs, pixels = _stacked_boxes()
    x0, y0, x1, y1 = pixels[0]
    image = blank.copy()
    cv2.line(image, (x0, y0 + 4), (x1, y0 + 4), 0, 3)
    for x in range(x0 - 30, x1 + 30, 9):
        cv2.line(image, (x, y1 - 1), (x + 5, y1 - 1), 0, 2)
    masks = blank_masks(blank)
    boxes = [o.box for spec in specs for o in spec.options or []]

    def read(page: np.ndarray) -> CheckboxReading:
        return read_checkbox_field(
            specs[0],
            page,
            blank,
            dpi=200,
            printed=masks.printed,
            others=boxes,
            written=new_ink(page, masks),
        )

    for seed in range(3):
        empty = read(generator_fax(image, seed=seed, standard=seed == 2))
        assert empty.value is False, empty.raw_text
    cv2.line(image, (x0 + 6, y0 + 6), (x1 - 6, y1 - 6), 0, 2)
    cv2.line(image, (x0 + 6, y1 - 6), (x1 - 6, y0 + 6), 0, 2)
    assert read(generator_fax(image, seed=5)).value is True


def test_a_long_line_above_an_empty_box_is_no_ring() -> None:
    """GIVEN an empty box with a line the blank lacks running past it above (a fillable
    field's edge, broken by the fax into dashes) and a few specks below it, WHEN it is
    read, THEN it is empty: seen from the box the line fills the upper half of the round,
    and with the specks it made a ring (a "yes" read beside the "no" marked: two marks)."""
    group = drawn_group(2, 200, side_pt=18.0, gap_pt=60.0)
    image = group.page.copy()
    x0, y0, x1, _ = points_to_pixels(group.squares[1], 200)
    side = x1 - x0
    line = y0 - 20
    for x in range(0, image.shape[1] - 10, 18):
        image[line : line + 3, x : x + 10] = 0
    for dx, dy in ((-25, 60), (75, 60), (16, 70), (-20, 20), (70, 20)):  # specks round it
        image[y0 + dy : y0 + dy + 6, x0 + dx : x0 + dx + 3] = 0
    assert side == 51  # 18 pt at 200 dpi: the specks lie within a ring's reach
    draw_mark(image, group.squares[0], dpi=200, style="x", rng=np.random.default_rng(2))
    reading = read_group(group, image)
    assert reading.value == "o1", reading.raw_text
    assert reading.scores[1].score < FAINT


# --------------------------------------------------------------------------------------
# The blank forms: printed squares, standalone boxes, multi choice
# --------------------------------------------------------------------------------------


def _spec(templates, name: str, form: FormType = FormType.CDC_PUI_2020) -> FieldSpec:  # type: ignore[no-untyped-def]
    return next(s for s in templates[form].fields if s.name == name)


def _read(reference, page: np.ndarray, spec: FieldSpec):  # type: ignore[no-untyped-def]
    masks = blank_masks(reference.image)
    return read_checkbox_field(
        spec, page, reference.image, dpi=reference.dpi, printed=masks.printed
    )


def test_every_box_of_the_blank_forms_reads_empty(templates, cache_root) -> None:  # type: ignore[no-untyped-def]
    """Thick, shadowed or oversized printed borders are print, not marks."""
    for form in (FormType.CDC_PUI_2020, FormType.MDHHS_DHS1171):
        template = templates.get(form)
        if template is None:
            continue
        for page in reference_pages(template, dpi=200, cache_root=cache_root):
            specs = [s for s in template.fields_on_page(page.number) if s.options]
            if not specs:
                continue
            for standard in (False, True):
                blank = generator_fax(page.image, seed=page.number, standard=standard)
                for spec in specs:
                    reading = _read(page, blank, spec)
                    if spec.kind is FieldKind.CHECKBOX and reading.scores[0].preprinted:
                        continue
                    assert reading.value in (None, False), spec.name
                    # an unanswered choice, single or multi, is never sure; a box left
                    # unticked is an answer
                    unanswered = spec.kind in (FieldKind.CHOICE, FieldKind.MULTI_CHOICE)
                    sure = EMPTY_CHOICE_CONFIDENCE if unanswered else 1.0
                    assert reading.confidence == sure, (spec.name, reading.raw_text)


def test_the_printed_square_is_found_around_a_smaller_template_box(templates, cache_root) -> None:  # type: ignore[no-untyped-def]
    """The DHS-1171 person blocks print 18 pt squares around 10 pt template boxes."""
    template = templates.get(FormType.MDHHS_DHS1171)
    if template is None:
        pytest.skip("the DHS template is not in this checkout")
    spec = _spec(templates, "household_members[2].sex", FormType.MDHHS_DHS1171)
    page = reference_pages(template, dpi=200, cache_root=cache_root)[spec.page - 1]
    masks = blank_masks(page.image)
    for option, measured in zip(
        spec.options or [], FORM_GROUPS[("mdhhs_dhs1171", spec.name)], strict=True
    ):
        square = printed_square(masks.printed, points_to_pixels(option.box, 200))
        assert square.found
        want = points_to_pixels(measured, 200)
        assert max(abs(a - b) for a, b in zip(square.outer, want, strict=True)) <= 2


def test_multi_choice_is_a_sorted_list(templates, cdc_pages) -> None:  # type: ignore[no-untyped-def]
    spec = _spec(templates, "race")
    page = cdc_pages[0].image.copy()
    rng = np.random.default_rng(5)
    for option in spec.options or []:
        if option.value in ("white", "asian"):
            draw_mark(page, option.box, dpi=200, style="tick", rng=rng)
        if option.value == "black":
            draw_mark(page, option.box, dpi=200, style="thin_tick", rng=rng)
    reading = _read(cdc_pages[0], generator_fax(page, seed=6), spec)
    assert reading.value == ["asian", "black", "white"]


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_a_multi_choice_with_no_box_marked_is_not_sure(templates, cdc_pages, seed: int) -> None:  # type: ignore[no-untyped-def]
    """GIVEN the race list left unmarked, faxed WHEN it is read THEN it reads nothing, no
    surer than an unanswered single choice (EMPTY_CHOICE_CONFIDENCE): a list skipped and
    a list whose one tick the fax erased look the same. It read nothing at 0.98-1.0, and
    on tune faxes half of the race lists so read had a box ticked."""
    spec = _spec(templates, "race")
    reading = _read(cdc_pages[0], generator_fax(cdc_pages[0].image.copy(), seed=seed), spec)
    assert reading.value is None
    assert reading.confidence <= EMPTY_CHOICE_CONFIDENCE


def test_a_standalone_box_reads_true_or_false(cdc_pages) -> None:  # type: ignore[no-untyped-def]
    box = (38.2, 389.5, 48.3, 399.6)  # a printed box of the CDC form
    spec = FieldSpec(
        name="flag", page=1, kind=FieldKind.CHECKBOX, options=[Option(value=True, box=box)]
    )
    empty = _read(cdc_pages[0], generator_fax(cdc_pages[0].image, seed=1), spec)
    assert empty.value is False and empty.confidence == 1.0
    for style in ("fill", "x", "thin_tick", "circle"):
        page = cdc_pages[0].image.copy()
        draw_mark(page, box, dpi=200, style=style, rng=np.random.default_rng(6))
        assert _read(cdc_pages[0], generator_fax(page, seed=2), spec).value is True, style


def test_a_box_printed_ticked_reads_marked(templates, cache_root) -> None:  # type: ignore[no-untyped-def]
    """The DHS-1171 blank is printed with its Food Assistance box ticked: that box reads
    true on every copy, while the other programme boxes of the blank read false, and
    a tick in one of those reads true."""
    template = templates.get(FormType.MDHHS_DHS1171)
    if template is None:
        pytest.skip("the DHS template is not in this checkout")
    names = ("applying_food_assistance", "applying_cash_assistance")
    specs = [s for s in template.fields if s.name in names]
    reference = reference_pages(template, dpi=200, cache_root=cache_root)[specs[0].page - 1]
    masks = blank_masks(reference.image)

    def values(page: np.ndarray) -> dict[str, object]:
        faxed = generator_fax(page, seed=7)
        return {
            s.name: read_checkbox_field(
                s, faxed, reference.image, dpi=200, printed=masks.printed
            ).value
            for s in specs
        }

    assert values(reference.image) == {
        "applying_food_assistance": True,
        "applying_cash_assistance": False,
    }
    ticked = reference.image.copy()
    cash = next(s for s in specs if s.name == "applying_cash_assistance")
    draw_mark(
        ticked, (cash.options or [])[0].box, dpi=200, style="tick", rng=np.random.default_rng(8)
    )
    assert values(ticked)["applying_cash_assistance"] is True


# --------------------------------------------------------------------------------------
# A program filling the PDF: the check centred in a widget that sits off the square
# --------------------------------------------------------------------------------------

# the "Male" widgets that sit off their template box: page 5 across, page 8 diagonally
OFF_CENTRE = {
    "household_members[0].sex": "second_member_sex_male",
    "household_members[3].sex": "fifth_member_sex_male",
}


@pytest.fixture(scope="module", params=sorted(OFF_CENTRE))
def dhs_male(  # type: ignore[no-untyped-def]
    request, templates, cache_root
) -> tuple[FieldSpec, ReferencePage, tuple[float, ...]]:
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


@pytest.mark.parametrize("mark", ["x", "tick"])
def test_a_check_centred_in_an_off_centre_widget_reads_its_value(dhs_male, mark: str) -> None:  # type: ignore[no-untyped-def]
    """Read from the printed square, not from where a filler would put the check."""
    spec, reference, rect = dhs_male
    x0, y0, x1, y1 = rect
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = min(x1 - x0, y1 - y0, 11.0) * 0.72 / 2
    page = reference.image.copy()
    box = (cx - half, cy - half, cx + half, cy + half)
    mark_box(page, box, dpi=reference.dpi, mark=mark, rng=np.random.default_rng(8))
    reading = _read(reference, generator_fax(page, seed=9), spec)
    assert reading.value == "male"
    assert not reading.multiple_marks


def test_an_empty_dhs_group_reads_nothing_on_a_faxed_blank(dhs_male) -> None:  # type: ignore[no-untyped-def]
    spec, reference, _rect = dhs_male
    for seed, standard in ((10, False), (11, True), (12, False)):
        reading = _read(
            reference, generator_fax(reference.image, seed=seed, standard=standard), spec
        )
        assert reading.value is None
        assert reading.confidence == EMPTY_CHOICE_CONFIDENCE


def test_the_page_reader_reports_an_ambiguous_group(templates, cdc_pages, settings) -> None:  # type: ignore[no-untyped-def]
    """Through ``read_page``: a tick beside a nick of ink leaves the value blank, with
    low confidence and the coded issue a reviewer filters on."""
    import cv2

    from extract.extractor import read_page

    spec = _spec(templates, "symptom_fever")
    page = cdc_pages[1].image.copy()
    yes, no, _unknown = spec.options or []
    draw_mark(page, yes.box, dpi=200, style="thin_tick", rng=np.random.default_rng(5))
    x0, y0, x1, y1 = points_to_pixels(no.box, 200)
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    cv2.line(page, (cx - 3, cy + 2), (cx + 2, cy - 3), 0, 2)  # a nick of ink
    results, issues = read_page(
        generator_fax(page, seed=3), cdc_pages[1], [spec], settings=settings, page_number=2
    )
    assert results["symptom_fever"].value is None
    assert results["symptom_fever"].confidence <= 0.3
    assert [(i.field, i.code) for i in issues] == [("symptom_fever", "ambiguous_mark")]


def _letter_cells(mark_over: str | None) -> tuple[FieldSpec, np.ndarray, np.ndarray, np.ndarray]:
    """Two touching cells printing "Y" and "N" (the FAP supplement's questions), and a
    typed X over one letter: (spec, new ink, blank print, page ink)."""
    import cv2

    dpi = 200
    spec = FieldSpec(
        name="answer",
        page=1,
        kind=FieldKind.CHOICE,
        options=[
            Option(value="yes", box=(20.0, 20.0, 37.0, 38.0)),
            Option(value="no", box=(37.5, 20.0, 54.5, 38.0)),
        ],
    )
    printed = np.zeros((200, 200), np.uint8)
    for letter, box in (("Y", spec.options[0].box), ("N", spec.options[1].box)):
        x0, _, _, y1 = points_to_pixels(box, dpi)
        cv2.putText(printed, letter, (x0 + 14, y1 - 14), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
    page = printed.copy()
    if mark_over is not None:
        option = next(o for o in spec.options if o.value == mark_over)
        x0, _, _, y1 = points_to_pixels(option.box, dpi)
        cv2.putText(page, "X", (x0 + 12, y1 - 12), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 255, 3)
    grown = cv2.dilate(printed, np.ones((5, 5), np.uint8)) > 0
    written = (page > 0) & ~grown
    return spec, written, printed > 0, page > 0


@pytest.mark.parametrize("answer", ["yes", "no", None])
def test_a_mark_over_a_printed_letter_is_read_from_how_much_darker_the_cell_got(answer):
    spec, written, printed, page = _letter_cells(answer)
    reading = read_checkbox_field(
        spec, _grey(page), _grey(printed), dpi=200, printed=printed, written=written, page_ink=page
    )
    assert [s.preprinted for s in reading.scores] == [False, False]  # labels, not ticks
    assert reading.value == answer
    assert not reading.multiple_marks


def test_without_the_page_ink_a_mark_hidden_by_the_letter_stays_unread():
    spec, written, printed, page = _letter_cells("no")
    reading = read_checkbox_field(
        spec, _grey(page), _grey(printed), dpi=200, printed=printed, written=written
    )
    assert reading.value is None


def _grey(ink: np.ndarray) -> np.ndarray:
    """A grey page (ink black on white paper) from an ink mask."""
    return np.where(ink, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------------------
# Circles on the CDC's stacked tables: a ring's course through its neighbours' squares
# --------------------------------------------------------------------------------------

SYMPTOM_ROWS = (
    "symptom_fever",
    "symptom_subjective_fever",
    "symptom_chills",
    "symptom_myalgia",
    "symptom_rhinorrhea",
)


def _circle_round(
    page: np.ndarray, box: tuple[float, float, float, float], *, rng: np.random.Generator
) -> None:
    """A circle round a box the way people draw one: an ellipse a little off the box's
    centre, with room to spare round its corners (so in a table with 12 pt rows it
    crosses the squares of the rows above and below), pen 0.8-1.6 pt, at 200 dpi."""
    s = 200 / 72
    x0, y0, x1, y1 = box
    half_w, half_h = (x1 - x0) / 2, (y1 - y0) / 2
    dx, dy = (float(v) for v in rng.uniform(-0.15, 0.15, 2) * (half_w, half_h))
    ratio = float(rng.uniform(0.75, 1.0))
    needed = max(
        ((sx * half_w - dx) ** 2 + ((sy * half_h - dy) / ratio) ** 2) ** 0.5
        for sx in (-1, 1)
        for sy in (-1, 1)
    )
    pen = float(rng.uniform(0.8, 1.6))
    a = needed * float(rng.uniform(1.08, 1.35)) + (pen / 2 + 0.5) / ratio
    centre = (round(((x0 + x1) / 2 + dx) * s), round(((y0 + y1) / 2 + dy) * s))
    axes = (round(a * s), round(a * ratio * s))
    cv2.ellipse(page, centre, axes, 0, 0, 360, 0, max(1, round(pen * s)), cv2.LINE_AA)


def _read_on_page(reference, page: np.ndarray, specs: list[FieldSpec]):  # type: ignore[no-untyped-def]
    """Every group as the page reader reads it: the page's other boxes are neighbours."""
    masks = blank_masks(reference.image)
    every_box = [o.box for s in specs for o in s.options or []]
    return {
        spec.name: read_checkbox_field(
            spec, page, reference.image, dpi=reference.dpi, printed=masks.printed, others=every_box
        )
        for spec in specs
    }


@pytest.mark.parametrize("column", [0, 1, 2])
@pytest.mark.parametrize("look", ["fax_fine", "fax_standard", "scan"])
def test_a_circle_in_a_stacked_table_reads_its_row_and_no_other(
    templates, cdc_pages, column: int, look: str
) -> None:  # type: ignore[no-untyped-def]
    """A circle round one row's box crosses the squares of the rows above and below: its
    course there is the circle's, not a mark of those rows (it read as a second mark of
    the neighbouring group, or took the circled group's arcs)."""
    specs = [_spec(templates, name) for name in SYMPTOM_ROWS]
    for row in (1, 2, 3):
        rng = _rng("stacked", column, look, row)
        page = cdc_pages[1].image.copy()
        circled = specs[row]
        _circle_round(page, (circled.options or [])[column].box, rng=rng)
        sent = _sent(page, look, rng)
        readings = _read_on_page(cdc_pages[1], sent, specs)
        for spec in specs:
            reading = readings[spec.name]
            if spec is circled:
                assert reading.value == (spec.options or [])[column].value, reading.raw_text
            else:
                assert reading.value is None, (spec.name, reading.raw_text)
                assert not reading.multiple_marks, (spec.name, reading.raw_text)


@pytest.mark.parametrize("look", ["fax_fine", "fax_standard", "scan"])
def test_circles_on_neighbouring_rows_each_read_their_own_row(
    templates, cdc_pages, look: str
) -> None:  # type: ignore[no-untyped-def]
    """Two circles round stacked boxes cross each other: an arc of one, seen more fully
    from the other box, is still the first ring's."""
    specs = [_spec(templates, name) for name in SYMPTOM_ROWS]
    for column, rows in ((0, (1, 2)), (1, (2, 3)), (0, (0, 1, 2))):
        rng = _rng("neighbours", column, rows, look)
        page = cdc_pages[1].image.copy()
        for row in rows:
            _circle_round(page, (specs[row].options or [])[column].box, rng=rng)
        readings = _read_on_page(cdc_pages[1], _sent(page, look, rng), specs)
        for row, spec in enumerate(specs):
            want = (spec.options or [])[column].value if row in rows else None
            reading = readings[spec.name]
            assert reading.value == want, (rows, spec.name, reading.raw_text)


@pytest.mark.parametrize("value", ["white", "black", "other"])
def test_a_circle_in_a_multi_choice_column_ticks_only_its_box(
    templates, cdc_pages, value: str
) -> None:  # type: ignore[no-untyped-def]
    """The race boxes are stacked 11 pt apart: a circle round one crosses the squares
    above and below, which must not join the list (each box is read on its own there)."""
    spec = _spec(templates, "race")
    box = next(o.box for o in spec.options or [] if o.value == value)
    for seed, look in enumerate(("fax_fine", "fax_standard", "scan")):
        rng = _rng("race", value, seed)
        page = cdc_pages[0].image.copy()
        _circle_round(page, box, rng=rng)
        reading = _read_on_page(cdc_pages[0], _sent(page, look, rng), [spec])["race"]
        assert reading.value == [value], (look, reading.raw_text)


def test_a_circle_drawn_across_labels_is_read_or_left_unsure(templates, cdc_pages) -> None:  # type: ignore[no-untyped-def]
    """A wide circle whose course runs over the question's lines above and below loses
    those arcs under the print. Where what is left still rings the box it is read; where
    it only partly surrounds the box, the empty reading is not sure of itself."""
    spec = _spec(templates, "mechanical_ventilation")
    no = (spec.options or [])[1]
    x0, y0, x1, y1 = no.box
    s = 200 / 72
    for seed, look in enumerate(("fax_fine", "scan")):
        rng = _rng("labels", seed)
        page = cdc_pages[0].image.copy()
        centre = (round((x0 + x1) / 2 * s + 4), round((y0 + y1) / 2 * s + 5))
        cv2.ellipse(page, centre, (round(14 * s), round(13 * s)), 0, 0, 360, 0, 3, cv2.LINE_AA)
        reading = _read_on_page(cdc_pages[0], _sent(page, look, rng), [spec])[spec.name]
        assert reading.value in ("no", None), (look, reading.raw_text)
        if reading.value is None:
            assert reading.confidence <= 0.7, (look, reading.raw_text)


def test_ink_partly_round_a_box_leaves_an_empty_group_unsure(templates, cdc_pages) -> None:  # type: ignore[no-untyped-def]
    """Half a circle's arcs round a box, the rest lost under print (drawn here as arcs
    with gaps): too little to read as a mark, too much to call the group surely empty."""
    spec = _spec(templates, "mechanical_ventilation")
    x0, y0, x1, y1 = (spec.options or [])[1].box
    s = 200 / 72
    centre = (round((x0 + x1) / 2 * s), round((y0 + y1) / 2 * s))
    page = cdc_pages[0].image.copy()
    for start in (20, 140, 260):  # three 50-degree arcs in three quarters: 150 of 360
        cv2.ellipse(page, centre, (round(11 * s), round(10 * s)), 0, start, start + 50, 0, 3)
    reading = _read_on_page(cdc_pages[0], generator_fax(page, seed=4), [spec])[spec.name]
    assert reading.value is None, reading.raw_text
    assert reading.confidence <= 0.7, reading.raw_text


def _sent(page: np.ndarray, look: str, rng: np.random.Generator) -> np.ndarray:
    """The page faxed (fine or standard) or scanned grey, in the blank's frame."""
    if look == "scan":
        blurred = cv2.GaussianBlur(page.astype(np.float32), (3, 3), 0.8)
        noisy = blurred * 0.92 + 12 + rng.normal(0, 6, page.shape)
        return np.clip(noisy, 0, 255).astype(np.uint8)
    return generator_fax(page, seed=int(rng.integers(2**31)), standard=look == "fax_standard")


def _fill_across(page: np.ndarray, box: tuple[float, float, float, float], up: float) -> None:
    """A box filled in, drawn ``up`` of a side above where it is printed (200 dpi): the
    fill runs out over its top border and the rule above it into the square of the row
    above, as a hurried hand does."""
    s = 200 / 72
    x0, y0, x1, y1 = (round(v * s) for v in box)
    lift = round(up * (y1 - y0))
    cv2.rectangle(page, (x0 - 2, y0 - lift), (x1 - 2, y1 - lift), 0, -1)


@pytest.mark.parametrize("column", [0, 1, 2])
@pytest.mark.parametrize("look", ["fax_fine", "fax_standard", "scan"])
def test_a_fill_run_into_the_row_above_is_no_sure_answer_there(
    templates, cdc_pages, column: int, look: str
) -> None:  # type: ignore[no-untyped-def]
    """GIVEN a fill in one row's box of the symptom table, drawn so high that it covers
    the bottom of the square of the row above, across that square's border and the rule
    between the rows, WHEN the table is read, THEN the filled row reads its answer surely
    and the row above is not read surely: it is unanswered, or its reading is left to a
    person (SPILLED_CONFIDENCE). Subtracting the print cut the fill in two, and the piece
    in the row above read as that row's mark at 1.0."""
    specs = [_spec(templates, name) for name in SYMPTOM_ROWS]
    for row in (1, 2, 3):
        rng = _rng("fill across", column, look, row)
        page = cdc_pages[1].image.copy()
        filled = specs[row]
        _fill_across(page, (filled.options or [])[column].box, up=0.5)
        readings = _read_on_page(cdc_pages[1], _sent(page, look, rng), specs)
        answer = readings[filled.name]
        assert answer.value == (filled.options or [])[column].value, answer.raw_text
        assert answer.confidence > SPILLED_CONFIDENCE, answer.raw_text
        above = readings[specs[row - 1].name]
        assert above.value is None or above.confidence <= SPILLED_CONFIDENCE, above.raw_text
        if above.value is not None:  # the reviewer is told why
            assert f"spilled:{above.value}" in above.raw_text


@pytest.mark.parametrize("look", ["fax_fine", "fax_standard", "scan"])
def test_fills_in_stacked_rows_kept_in_their_boxes_are_each_sure(
    templates, cdc_pages, look: str
) -> None:  # type: ignore[no-untyped-def]
    """Fills inside their own squares on neighbouring rows, however close the squares,
    are two sure answers: the rule and the borders between them stay paper's and print's,
    and link nothing."""
    specs = [_spec(templates, name) for name in SYMPTOM_ROWS]
    for column in (0, 1, 2):
        rng = _rng("fills kept", column, look)
        page = cdc_pages[1].image.copy()
        for row in (1, 2):
            _fill_across(page, (specs[row].options or [])[column].box, up=0.0)
        readings = _read_on_page(cdc_pages[1], _sent(page, look, rng), specs)
        for row in (1, 2):
            reading = readings[specs[row].name]
            assert reading.value == (specs[row].options or [])[column].value, reading.raw_text
            assert reading.confidence > SPILLED_CONFIDENCE, reading.raw_text


@pytest.mark.parametrize("up", [-0.35, 0.35])
@pytest.mark.parametrize("look", ["fax_fine", "fax_standard", "scan"])
def test_a_fill_run_into_the_next_box_of_its_group_reads_its_own_box_unsurely(
    templates, cdc_pages, look: str, up: float
) -> None:  # type: ignore[no-untyped-def]
    """GIVEN the CDC's sex group (four boxes stacked 2 pt apart) with one box filled in,
    drawn a third of a side high or low, across its border and the gap into the next
    box WHEN the group is read THEN it reads the filled box: where the run is a mark's
    worth in the next box, named (``spilled:``) and at SPILLED_CONFIDENCE (it read two
    marks and no answer), else surely."""
    spec = _spec(templates, "sex")
    options = list(spec.options or [])
    for index, option in enumerate(options):
        if not 0 <= index - (1 if up > 0 else -1) < len(options):
            continue  # no box to run into
        page = cdc_pages[0].image.copy()
        _fill_across(page, option.box, up=up)
        sent = _sent(page, look, _rng("run into the next box", look, up, index))
        reading = _read_on_page(cdc_pages[0], sent, [spec])[spec.name]
        assert reading.value == option.value, reading.raw_text
        if "spilled:" in reading.raw_text:
            assert reading.confidence == SPILLED_CONFIDENCE, reading.raw_text
            assert reading.over_spill
        else:  # what ran over stayed in the gap and the border: nothing to doubt
            assert reading.confidence > SPILLED_CONFIDENCE, reading.raw_text
            assert not reading.over_spill
            assert sorted(s.score for s in reading.scores)[-2] < MARK, reading.raw_text


@pytest.mark.parametrize("look", ["fax_fine", "fax_standard", "scan"])
def test_a_fill_drawn_half_in_each_of_two_boxes_is_no_answer(
    templates, cdc_pages, look: str
) -> None:  # type: ignore[no-untyped-def]
    """A fill drawn half a side low, as much in the next box as in its own, is two marks
    to the pixels: the group is left to a person."""
    spec = _spec(templates, "sex")
    for index, option in enumerate(list(spec.options or [])[:-1]):
        page = cdc_pages[0].image.copy()
        _fill_across(page, option.box, up=-0.5)
        sent = _sent(page, look, _rng("half in each", look, index))
        reading = _read_on_page(cdc_pages[0], sent, [spec])[spec.name]
        assert reading.value is None, reading.raw_text
        assert reading.multiple_marks and not reading.over_spill


CONDITION_ROWS = (
    "condition_chronic_lung_disease",
    "condition_diabetes",
    "condition_cardiovascular_disease",
)


def _fill_out(
    page: np.ndarray, box: tuple[float, float, float, float], out: tuple[float, ...]
) -> None:
    """A box filled in past its borders: ``out`` is how far (in sides) the fill runs past
    the left, top, right and bottom borders (200 dpi)."""
    s = 200 / 72
    x0, y0, x1, y1 = (round(v * s) for v in box)
    left, top, right, bottom = (round(v * (x1 - x0)) for v in out)
    cv2.rectangle(page, (x0 - left, y0 - top), (x1 + right, y1 + bottom), 0, -1)


@pytest.mark.parametrize("runs", [0.2, 0.3])
@pytest.mark.parametrize("column", [0, 1, 2])
@pytest.mark.parametrize("look", ["fax_fine", "fax_standard", "scan"])
def test_fills_above_and_below_an_empty_box_are_no_circle_round_it(
    templates, cdc_pages, column: int, look: str, runs: float
) -> None:  # type: ignore[no-untyped-def]
    """GIVEN the underlying conditions table with the same column's box filled in on the
    rows above and below an unanswered row, the one run out left and down (``runs`` of a
    side) into the gap above the empty square, the other out right and up over its
    bottom border WHEN the
    table is read THEN the filled rows read their answers and the row between them is
    unanswered or not sure: the two fills, round its square from both sides, read as a
    circle round it, at 1.0."""
    specs = [_spec(templates, name) for name in CONDITION_ROWS]
    rng = _rng("fills round", column, look, runs)
    page = cdc_pages[1].image.copy()
    _fill_out(page, (specs[0].options or [])[column].box, (0.4 + runs / 2, 0, 0, runs))
    _fill_out(page, (specs[2].options or [])[column].box, (0, runs, 0.4, 0))
    readings = _read_on_page(cdc_pages[1], _sent(page, look, rng), specs)
    for row in (0, 2):
        assert readings[specs[row].name].value == (specs[row].options or [])[column].value
    between = readings[specs[1].name]
    assert between.value is None or between.confidence <= SPILLED_CONFIDENCE, between.raw_text


@pytest.mark.parametrize(
    ("bins", "round_about"),
    [
        # directions round the widowed box on a probe fax: the SSN's last digits in the
        # line above (2-9), specks left, right and below (0, 12, 18, 23)
        ([0, 2, 3, 4, 5, 6, 7, 8, 9, 12, 18, 23], False),
        ([*range(12), 15], False),  # the upper half and one speck
        (list(range(24)), True),  # a circle
        ([*range(0, 9), *range(16, 24)], True),  # a circle whose right arc a label cut
        ([*range(0, 5), *range(8, 17), *range(20, 24)], True),  # cut above and below
    ],
)
def test_a_ring_fills_directions_on_every_side_of_its_box(
    bins: list[int], round_about: bool
) -> None:
    """A circle round a box fills directions above, below, left and right of it, however
    print cut its arcs; writing in the line above a box with a speck or two below fills
    half the round, in three quarters, but on one side. It was read as a circle round the
    DHS-1171's widowed box (5.4 strokes), and the marital status as two marks."""
    from extract.checkbox import _round_about

    assert _round_about(np.array(bins)) is round_about
