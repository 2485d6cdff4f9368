"""Zonal reading: the residue keeps what was written and drops the form; comb fields are
read box by box; blank zones cost no OCR."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from extract.read import (
    INK_LEVEL,
    MAX_INK_LEVEL,
    ZoneInk,
    blank_masks,
    ink_level,
    new_ink,
    plan_rereads,
    reach_box,
    read_comb,
    read_text_zones,
    reread_zone,
    residue,
    safe_whitelist,
    split_ink,
    stretch,
    underline_ink,
)
from extract.reference import points_to_pixels, reference_pages
from extract.template import FieldKind, FieldSpec
from faxflow.model import FormType, OcrWord
from tests.extract.synthetic import Style, fax, fill_page, type_comb


def _spec(templates, form: FormType, name: str) -> FieldSpec:  # type: ignore[no-untyped-def]
    return next(s for s in templates[form].fields if s.name == name)


def test_blank_form_has_no_new_ink(cdc_pages) -> None:  # type: ignore[no-untyped-def]
    for page in cdc_pages:
        written = new_ink(fax(page.image, seed=1), blank_masks(page.image))
        assert written.mean() < 0.001  # fax speckle only, and specks are dropped


def test_written_values_survive_and_go_to_their_own_zone(templates, cdc_pages) -> None:  # type: ignore[no-untyped-def]
    template = templates[FormType.CDC_PUI_2020]
    values = {"reporting_jurisdiction": "Ingham", "reporting_health_department": "Ingham HD"}
    page = fill_page(cdc_pages[0].image, template, 1, values, dpi=200, style=Style(dx_pt=3))
    clean = residue(page, blank_masks(cdc_pages[0].image))
    specs = [_spec(templates, FormType.CDC_PUI_2020, n) for n in (*values, "contact_id")]
    split: ZoneInk = split_ink(clean, specs, dpi=200)
    ink = dict(zip(split.names, split.ink, strict=True))
    # The two stacked zones overlap on the form; each gets only its own line.
    assert ink["reporting_jurisdiction"] > 100
    assert ink["reporting_health_department"] > ink["reporting_jurisdiction"]
    assert ink["contact_id"] == 0


def test_a_zone_read_again_the_same_way_is_read_once(
    monkeypatch, templates, cdc_pages, settings
) -> None:  # type: ignore[no-untyped-def]
    import ocr.tesseract
    from extract.read import reread_zone

    template = templates[FormType.CDC_PUI_2020]
    values = {"reporting_health_department": "Ingham HD"}
    page = fill_page(cdc_pages[0].image, template, 1, values, dpi=200, style=Style())
    clean = residue(page, blank_masks(cdc_pages[0].image))
    split = split_ink(clean, [_spec(templates, FormType.CDC_PUI_2020, *values)], dpi=200)
    calls: list[str | None] = []

    def read_words(image: np.ndarray, *, whitelist: str | None = None, **_: object) -> list:  # type: ignore[type-arg]
        calls.append(whitelist)
        return []

    monkeypatch.setattr(ocr.tesseract, "read_words", read_words)
    name = "reporting_health_department"
    for _ in range(2):
        reread_zone(split, name, settings=settings, dpi=200)
        reread_zone(split, name, settings=settings, dpi=200, underline=False)
        reread_zone(split, name, settings=settings, dpi=200, whitelist="ABC")
    assert calls == [None, None, "ABC"]  # three different readings, each made once


@pytest.mark.slow
def test_a_pages_doubtful_zones_are_read_again_in_one_call_per_group(
    monkeypatch, templates, cdc_pages, settings
) -> None:  # type: ignore[no-untyped-def]
    """GIVEN a page with four written zones, three planned for a reread without a
    whitelist and one with digits only WHEN each zone is read again THEN a call per
    group (the digits' group of one alone), and each zone gets its own words: what
    reading it alone gives."""
    import ocr.tesseract
    from extract.read import _reread_zones

    template = templates[FormType.CDC_PUI_2020]
    names = ["patient_first_name", "patient_last_name", "county_of_residence"]
    values = dict(zip([*names, "age"], ["Maria", "Gonzalez", "Ingham", "42"], strict=True))
    page = fill_page(cdc_pages[0].image, template, 1, values, dpi=200, style=Style(font_index=4))
    masks = blank_masks(cdc_pages[0].image)
    specs = [_spec(templates, FormType.CDC_PUI_2020, n) for n in values]
    split = split_ink(
        residue(page, masks), specs, dpi=200, underlines=underline_ink(page, masks), page=page
    )
    digits = "0123456789"
    plan_rereads(split, [*((n, None, 7, True) for n in names), ("age", digits, 7, True)])
    batches: list[int] = []
    real_batch = ocr.tesseract.read_words_batch

    def read_words_batch(images, **kwargs):  # type: ignore[no-untyped-def]
        batches.append(len(images))
        return real_batch(images, **kwargs)

    monkeypatch.setattr(ocr.tesseract, "read_words_batch", read_words_batch)
    _, calls_before = ocr.tesseract.ocr_seconds()
    readings = {n: reread_zone(split, n, settings=settings, dpi=200) for n in names}
    readings["age"] = reread_zone(split, "age", settings=settings, dpi=200, whitelist=digits)
    assert ocr.tesseract.ocr_seconds()[1] - calls_before == 2
    assert batches == [3]
    assert not split.planned
    for spec in specs:
        reading = readings[spec.name]
        assert reading.text == values[spec.name]
        assert reading.method == "zone"
        x0, y0, x1, y1 = reach_box(split.zones[split.index(spec.name)], 200, page.shape)
        assert all(
            x0 <= w.bbox[0] and w.bbox[2] <= x1 and y0 <= w.bbox[1] and w.bbox[3] <= y1
            for w in reading.words
        )
        key = (spec.name, digits if spec.name == "age" else None, 7, True)
        assert _reread_zones(split, [key], settings=settings, dpi=200)[key] == reading


@pytest.mark.slow
def test_zones_read_as_printed_are_read_in_one_call(
    monkeypatch, templates, cdc_pages, settings
) -> None:  # type: ignore[no-untyped-def]
    """GIVEN two zones planned to be read as printed WHEN both are asked for THEN one call
    reads them, and each reading is what reading its zone of the page alone gives."""
    import ocr.tesseract
    from extract.read import _printed_zones, read_as_printed

    template = templates[FormType.CDC_PUI_2020]
    values = {"patient_last_name": "Gonzalez", "county_of_residence": "Ingham"}
    page = fill_page(cdc_pages[0].image, template, 1, values, dpi=200, style=Style(font_index=4))
    masks = blank_masks(cdc_pages[0].image)
    specs = [_spec(templates, FormType.CDC_PUI_2020, n) for n in values]
    split = split_ink(residue(page, masks), specs, dpi=200, page=page)
    plan_rereads(split, [], [(n, None) for n in values])
    _, calls_before = ocr.tesseract.ocr_seconds()
    readings = {
        n: read_as_printed(split, n, page, settings=settings, dpi=200, whitelist=None)
        for n in values
    }
    assert ocr.tesseract.ocr_seconds()[1] - calls_before == 1
    for name, value in values.items():
        assert value in readings[name].text
        alone = _printed_zones(split, [(name, None)], page, settings=settings, dpi=200)
        assert alone[(name, None)] == readings[name]


def test_whitelists_are_made_safe_for_tesseract() -> None:
    assert safe_whitelist("0123456789()-. ") == "0123456789()-."
    assert safe_whitelist(" ") is None
    assert safe_whitelist(None) is None


@pytest.mark.slow
def test_text_zones_read_in_one_call(templates, cdc_pages, settings) -> None:  # type: ignore[no-untyped-def]
    template = templates[FormType.CDC_PUI_2020]
    values = {"patient_last_name": "Gonzalez", "county_of_residence": "Ingham"}
    page = fill_page(cdc_pages[0].image, template, 1, values, dpi=200, style=Style(font_index=4))
    masks = blank_masks(cdc_pages[0].image)
    clean = residue(page, masks)
    specs = [_spec(templates, FormType.CDC_PUI_2020, n) for n in (*values, "age")]
    readings, _ = read_text_zones(
        clean, specs, settings=settings, dpi=200, underlines=underline_ink(page, masks)
    )
    assert readings["patient_last_name"].text == "Gonzalez"
    assert readings["county_of_residence"].text == "Ingham"
    assert readings["age"].blank and readings["age"].method == "blank"


@pytest.mark.slow
def test_comb_field_is_read_digit_by_digit(templates, settings) -> None:  # type: ignore[no-untyped-def]
    template = templates.get(FormType.MDHHS_DHS1171)
    if template is None:
        pytest.skip("the DHS template is not in this checkout")
    spec = next((s for s in template.fields if s.boxes and s.kind is FieldKind.SSN), None)
    if spec is None:
        pytest.skip("no comb SSN field in the DHS template")
    reference = reference_pages(template, dpi=200)[spec.page - 1]
    pil = Image.fromarray(reference.image.copy())
    type_comb(ImageDraw.Draw(pil), spec, "123456789", dpi=200, style=Style(font_index=0))
    page = fax(np.asarray(pil), seed=8)
    clean = residue(page, blank_masks(reference.image))
    reading = read_comb(clean, spec, settings=settings, dpi=200)
    assert reading.text == "123456789"
    assert reading.method == "comb"


@pytest.mark.slow
def test_a_hand_printed_comb_field_is_read_digit_by_digit(templates, settings) -> None:  # type: ignore[no-untyped-def]
    """An SSN printed by hand (a tune-split face, digits in open styles) in the DHS-1171's
    boxes and faxed at standard resolution is read as written."""
    from extract.digit_training import hand_fonts

    template = templates[FormType.MDHHS_DHS1171]
    spec = next(s for s in template.fields if s.boxes and s.kind is FieldKind.SSN)
    reference = reference_pages(template, dpi=200)[spec.page - 1]
    for face, written in zip(hand_fonts()[:2], ("294753619", "517492038"), strict=True):
        pil = Image.fromarray(reference.image.copy())
        type_comb(ImageDraw.Draw(pil), spec, written, dpi=200, style=Style(face=str(face)))
        page = fax(np.asarray(pil), seed=8, standard=True)
        reading = read_comb(
            residue(page, blank_masks(reference.image)), spec, settings=settings, dpi=200
        )
        assert reading.text == written, face.stem


def _pale(image: np.ndarray, ink: int = 165, paper: int = 250) -> np.ndarray:
    """A grey scan's look: black print turned pale grey on off-white paper."""
    return (ink + (image.astype(np.float32) / 255.0) * (paper - ink)).astype(np.uint8)


def test_ink_level_follows_pale_scans_but_not_below_the_fax_level(cdc_pages) -> None:  # type: ignore[no-untyped-def]
    page = cdc_pages[0].image
    assert ink_level(fax(page, seed=2)) == INK_LEVEL
    pale = _pale(page)
    assert INK_LEVEL < ink_level(pale) <= MAX_INK_LEVEL
    assert ink_level(np.full((50, 50), 255, np.uint8)) == INK_LEVEL  # blank: no pale ink


def test_values_on_a_pale_scan_are_new_ink(templates, cdc_pages) -> None:  # type: ignore[no-untyped-def]
    template = templates[FormType.CDC_PUI_2020]
    values = {"patient_last_name": "Gonzalez"}
    page = _pale(fill_page(cdc_pages[0].image, template, 1, values, dpi=200))
    written = new_ink(page, blank_masks(cdc_pages[0].image))
    spec = _spec(templates, FormType.CDC_PUI_2020, "patient_last_name")
    split = split_ink(np.where(written, 0, 255).astype(np.uint8), [spec], dpi=200)
    # At a fixed level of 160 the pale strokes (165) vanish altogether.
    assert split.ink[0] > 150


def test_stretch_makes_the_darkest_grey_black_and_keeps_paper() -> None:
    crop = np.array([[170, 210, 255]], np.uint8)
    out = stretch(crop)
    assert out[0, 0] == 0 and out[0, 2] == 255 and 0 < out[0, 1] < 210
    binary = np.array([[0, 255]], np.uint8)
    assert np.array_equal(stretch(binary), binary)
    assert np.array_equal(stretch(np.full((2, 2), 255, np.uint8)), np.full((2, 2), 255))


@pytest.mark.slow
def test_comb_field_on_a_pale_scan_reads_from_the_grey_page(templates, settings) -> None:  # type: ignore[no-untyped-def]
    template = templates[FormType.MDHHS_DHS1171]
    spec = next(s for s in template.fields if s.boxes and s.kind is FieldKind.SSN)
    reference = reference_pages(template, dpi=200)[spec.page - 1]
    pil = Image.fromarray(reference.image.copy())
    type_comb(ImageDraw.Draw(pil), spec, "590305893", dpi=200, style=Style(font_index=0))
    page = _pale(np.asarray(pil))
    clean = residue(page, blank_masks(reference.image))
    reading = read_comb(clean, spec, settings=settings, dpi=200, page=page)
    assert reading.text == "590305893"


def test_rows_rejoin_words_that_sparse_text_mode_split() -> None:
    from extract.read import _join_row
    from faxflow.model import OcrWord

    def word(text: str, x0: int, x1: int) -> OcrWord:
        return OcrWord(text, 0.9, (x0, 0, x1, 20), (1, 1, 1))

    # 'Jer' + 'emy' 3 px apart with a 10 px letter pitch: one word.
    assert _join_row([word("Jer", 0, 30), word("emy", 33, 63)]) == "Jeremy"
    # A real space (a letter pitch wide) or a capital keeps two words.
    assert _join_row([word("Paul", 0, 40), word("wilson", 52, 112)]) == "Paul wilson"
    assert _join_row([word("New", 0, 30), word("Jillfurt", 33, 113)]) == "New Jillfurt"
    assert _join_row([word("Apt.", 0, 40), word("011", 43, 73)]) == "Apt. 011"


def test_japanese_runs_join_without_spaces_but_keep_a_written_one() -> None:
    from extract.read import join_words
    from faxflow.model import OcrWord

    def run(text: str, x0: int, x1: int) -> OcrWord:
        return OcrWord(text, 0.9, (x0, 0, x1, 40), (1, 1, 1))

    # Tesseract's jpn runs 'ヤマ' 'ダ' | 'タロ' 'ウ': 4 px apart within a word, a full-width
    # space (one em, 40 px) between family and given name.
    runs = [run("ヤマ", 0, 80), run("ダ", 84, 124), run("タロ", 164, 244), run("ウ", 248, 288)]
    assert join_words(runs, cjk=True) == "ヤマダ タロウ"
    assert join_words(runs) == "ヤマ ダ タロ ウ"  # the English rule spaces every run
    # Digits in an address take half a character each, so they do not shrink the pitch;
    # digits on both sides of a gap (the era date's gaps) are words apart, as in English.
    address = [run("鳥取", 0, 80), run("県", 84, 124), run("21", 128, 168), run("丁目", 172, 252)]
    assert join_words(address, cjk=True) == "鳥取県21丁目"
    gaps = [run("3", 0, 20), run("4", 200, 220), run("1", 400, 418), run("1", 422, 440)]
    assert join_words(gaps, cjk=True) == "3 4 11"  # the jpn model split 11 in two


def test_japanese_spaces_are_measured_on_the_zones_ink() -> None:
    """Tesseract's boxes of hand-printed kana overlap and wander ('イシ' ends after 'イ'
    starts); the blank columns of the zone's own ink tell where the written space is."""
    import numpy as np

    from extract.read import join_words
    from faxflow.model import OcrWord

    def run(text: str, x0: int, x1: int) -> OcrWord:
        return OcrWord(text, 0.9, (x0, 0, x1, 40), (1, 1, 1))

    cols = np.ones(600, dtype=bool)
    for blank in (270, 300, 480, 540):  # 20 px between the characters of each word
        cols[blank - 200 : blank - 180] = False
    cols[380 - 200 : 436 - 200] = False  # the written space: 56 px at a 64 px pitch
    runs = [run("イシ", 209, 356), run("イ", 318, 375), run("ナナ", 439, 593), run("ミ", 528, 553)]
    assert join_words(runs, cjk=True, ink=(200, cols)) == "イシイ ナナミ"
    cols[380 - 200 : 436 - 200] = True  # the same boxes without the blank: one word
    cols[400 - 200 : 420 - 200] = False
    assert join_words(runs, cjk=True, ink=(200, cols)) == "イシイナナミ"


def test_a_written_space_is_not_part_of_the_pitch_it_is_measured_against() -> None:
    """A hand-printed 木村　健一 (a tune fax's ink, columns 190-316): the space is 19 px at a
    pitch of 26 px, but counted in the pitch (126 px over 4 characters) it was under 0.7 of
    it and the name came out as one word."""
    import numpy as np

    from extract.read import join_words
    from faxflow.model import OcrWord

    ink = "#" * 22 + ".." + "#" * 23 + "." * 19 + "###" + "." * 9 + "#" * 23 + "..." + "#" * 22
    cols = np.array([ch == "#" for ch in ink])
    runs = [OcrWord("木村", 0.9, (190, 0, 237, 40), (1, 1, 1))]
    runs.append(OcrWord("健一", 0.9, (255, 0, 316, 40), (1, 1, 1)))
    assert join_words(runs, cjk=True, ink=(190, cols)) == "木村 健一"


def test_words_tesseract_read_as_one_line_stay_in_one_row() -> None:
    from extract.read import join_words
    from faxflow.model import OcrWord

    # 'Box' took in a speck below it: its box is twice as tall, its centre off the row.
    po = OcrWord("PO", 0.9, (144, 1036, 184, 1060), (6, 1, 1))
    box = OcrWord("Box", 0.9, (195, 1036, 254, 1087), (6, 1, 1))
    number = OcrWord("7962", 0.9, (268, 1036, 344, 1061), (6, 1, 1))
    assert join_words([po, box, number]) == "PO Box 7962"
    # Tesseract's second line is a second row, below the first.
    below = OcrWord("Apt", 0.9, (144, 1090, 200, 1112), (6, 1, 2))
    assert join_words([below, number, po]) == "PO 7962 Apt"


def test_a_word_boxed_with_the_rule_under_it_stays_on_its_row() -> None:
    from extract.read import join_words
    from faxflow.model import OcrWord

    # Tesseract gave the words two lines; 'Berrien' reaches down over the rule, so its
    # centre is below the other words' boxes, but its box overlaps theirs.
    tall = OcrWord("Berrien", 0.9, (461, 414, 537, 455), (7, 1, 1))
    co = OcrWord("Co.", 0.9, (545, 414, 580, 433), (7, 1, 2))
    hd = OcrWord("HD", 0.9, (590, 415, 622, 433), (7, 1, 2))
    assert join_words([co, hd, tall]) == "Berrien Co. HD"


def test_comb_vote_agreement_is_surer_than_either_reader() -> None:
    from extract.digits import DigitGuess
    from extract.read import _comb_vote

    char, confidence = _comb_vote(DigitGuess("7", 0.8), "7", 0.6)
    assert char == "7" and confidence > 0.9


def test_comb_vote_a_sure_classifier_overrules_tesseract_but_with_doubt() -> None:
    from extract.digits import DigitGuess
    from extract.read import DIGIT_SURE, _comb_vote

    char, confidence = _comb_vote(DigitGuess("0", 0.95), "8", 0.9)
    assert char == "0" and confidence < 0.95
    # unsure: Tesseract's character stands, also doubted
    char, confidence = _comb_vote(DigitGuess("0", DIGIT_SURE - 0.1), "8", 0.9)
    assert char == "8" and confidence < 0.9


def test_comb_vote_with_one_reader_only() -> None:
    from extract.digits import DigitGuess
    from extract.read import _comb_vote

    assert _comb_vote(DigitGuess("5", 0.4), "", 0.0) == ("5", 0.4)  # Tesseract saw nothing
    char, confidence = _comb_vote(None, "3", 0.8)  # the classifier saw only specks
    assert char == "3" and confidence < 0.8
    assert _comb_vote(None, "", 0.0) == ("", 0.0)


def _age_split(templates, cdc_pages, page: np.ndarray) -> ZoneInk:  # type: ignore[no-untyped-def]
    masks = blank_masks(cdc_pages[0].image)
    spec = _spec(templates, FormType.CDC_PUI_2020, "age")
    return split_ink(
        residue(page, masks), [spec], dpi=200, underlines=underline_ink(page, masks), page=page
    )


@pytest.mark.parametrize(("age", "font"), [("5", 0), ("47", 1), ("83", 4)])
def test_a_short_number_is_read_digit_by_digit(templates, cdc_pages, age, font) -> None:  # type: ignore[no-untyped-def]
    from extract.read import read_zone_digits

    template = templates[FormType.CDC_PUI_2020]
    page = fill_page(
        cdc_pages[0].image, template, 1, {"age": age}, dpi=200, style=Style(font_index=font)
    )
    reading = read_zone_digits(_age_split(templates, cdc_pages, fax(page, seed=3)), "age")
    assert reading is not None and reading.text == age and reading.method == "digits"
    assert all(w.confidence >= 0.7 for w in reading.words)


def test_a_streak_or_an_empty_zone_is_no_number(templates, cdc_pages) -> None:  # type: ignore[no-untyped-def]
    from extract.read import read_zone_digits

    page = cdc_pages[0].image.copy()
    assert read_zone_digits(_age_split(templates, cdc_pages, page), "age") is None
    x0, y0, _x1, y1 = points_to_pixels(_spec(templates, FormType.CDC_PUI_2020, "age").region, 200)  # type: ignore[arg-type]
    page[y0 - 20 : y1 + 20, x0 + 10 : x0 + 12] = 0  # a fax streak through the zone
    assert read_zone_digits(_age_split(templates, cdc_pages, page), "age") is None


def test_touching_digits_are_left_to_tesseract(templates, cdc_pages) -> None:  # type: ignore[no-untyped-def]
    from extract.read import read_zone_digits

    x0, _y0, _x1, y1 = points_to_pixels(_spec(templates, FormType.CDC_PUI_2020, "age").region, 200)  # type: ignore[arg-type]
    page = cdc_pages[0].image.copy()
    # one blob twice as wide as it is tall, where two digits run together
    page[y1 - 22 : y1 - 4, x0 + 10 : x0 + 46] = 0
    assert read_zone_digits(_age_split(templates, cdc_pages, page), "age") is None


@pytest.mark.parametrize("written", ["03/15/2020", "11 28 2019"])
def test_a_date_is_read_glyph_by_glyph_into_three_parts(templates, cdc_pages, written) -> None:  # type: ignore[no-untyped-def]
    from extract.normalise import normalise_date
    from extract.read import read_zone_digits

    template = templates[FormType.CDC_PUI_2020]
    page = fill_page(
        cdc_pages[0].image, template, 1, {"report_date_pui": written}, dpi=200, style=Style()
    )
    masks = blank_masks(cdc_pages[0].image)
    spec = _spec(templates, FormType.CDC_PUI_2020, "report_date_pui")
    split = split_ink(residue(page, masks), [spec], dpi=200, page=page)
    reading = read_zone_digits(split, "report_date_pui", max_glyphs=10, separated=True)
    assert reading is not None and len(reading.text.split()) == 3
    assert normalise_date(reading.text) == normalise_date(written)
    # as a plain number the slashes are refused rather than read as 1s
    if "/" in written:
        assert read_zone_digits(split, "report_date_pui", max_glyphs=10) is None


def test_a_date_with_a_1_printed_as_a_bare_stroke_is_not_read_short_of_it(
    templates, cdc_pages
) -> None:  # type: ignore[no-untyped-def]
    """A 1 printed by hand as a bare stroke is too thin for a glyph. Read without it the
    date would be short of a digit yet look sure ('07 4 2020' for 07/14/2020), so the
    zone is left to Tesseract; a one-column fax streak's remnant is still passed over."""
    from extract.read import read_zone_digits

    template = templates[FormType.CDC_PUI_2020]
    spec = _spec(templates, FormType.CDC_PUI_2020, "report_date_pui")
    masks = blank_masks(cdc_pages[0].image)
    page = fill_page(
        cdc_pages[0].image, template, 1, {"report_date_pui": "07/   4/2020"}, dpi=200, style=Style()
    )

    def read(image: np.ndarray) -> str | None:
        split = split_ink(residue(image, masks), [spec], dpi=200, page=image)
        reading = read_zone_digits(split, "report_date_pui", max_glyphs=10, separated=True)
        return reading.text if reading is not None else None

    assert read(page) == "07 4 2020"
    # the widest gap between glyphs is where the 1 was left out; the 4 gives its height
    x0, y0, x1, y1 = points_to_pixels(spec.region, 200)  # type: ignore[arg-type]
    ink = page[y0 - 10 : y1 + 10, x0:x1] < 128
    columns = np.flatnonzero(ink.any(axis=0))
    gap = int(np.argmax(np.diff(columns)))
    middle = x0 + (int(columns[gap]) + int(columns[gap + 1])) // 2
    rows = np.flatnonzero(ink[:, columns[gap + 1] : columns[gap + 1] + 4].any(axis=1))
    top, bottom = y0 - 10 + int(rows.min()), y0 - 10 + int(rows.max()) + 1
    for width, expected in ((3, None), (1, "07 4 2020")):
        marked = page.copy()
        marked[top:bottom, middle : middle + width] = 0
        assert read(marked) == expected, width


def test_a_zero_broken_in_two_is_joined_again() -> None:
    from extract.digits import read_digit_cells
    from extract.read import _rejoin_split_digits

    image = np.full((40, 60), 255, np.uint8)
    cv2.ellipse(image, (30, 20), (8, 13), 0, 0, 360, 0, 2)
    image[:, 29:32] = 255  # a fax drops the columns through the middle of the 0
    halves = [(20, 29), (32, 41)]
    cells = [
        cv2.copyMakeBorder(image[:, a:b], 4, 4, 4, 4, cv2.BORDER_CONSTANT, value=255)
        for a, b in halves
    ]
    glyphs, guesses = _rejoin_split_digits(image, halves, read_digit_cells(cells))
    assert glyphs == [(20, 41)]
    assert guesses[0] is not None and guesses[0].digit == "0"


def _typed(image: np.ndarray, text: str, left_pt: float, baseline_pt: float) -> None:
    from tests.extract.synthetic import font

    k = 200 / 72
    pil = Image.fromarray(image)
    ImageDraw.Draw(pil).text(
        (left_pt * k, baseline_pt * k), text, font=font(4, 30), fill=0, anchor="ls"
    )
    image[:] = np.asarray(pil)


def test_a_phrase_written_across_two_zones_of_a_line_stays_whole() -> None:
    name = FieldSpec(name="name", page=1, kind=FieldKind.NAME, region=(30, 100, 300, 114))
    birth = FieldSpec(name="birth", page=1, kind=FieldKind.DATE, region=(312, 100, 420, 114))
    page = np.full((400, 1300), 255, np.uint8)
    _typed(page, "Teresa Chavez", 40, 112)
    _typed(page, "05/05/1993", 288, 112)  # starts under the name zone's end
    split = split_ink(page, [name, birth], dpi=200)
    k = 200 / 72
    name_extent, birth_extent = split.extents[0], split.extents[1]
    assert name_extent is not None and birth_extent is not None
    assert name_extent[2] < 200 * k  # only the name
    assert birth_extent[0] < 300 * k  # the date's first digits too

    # Fax specks on the line, one in each zone (the name zone's nearer the date), do not
    # count as writing beside the date.
    for x in (280, 350):
        page[int(108 * k) : int(108 * k) + 3, int(x * k) : int(x * k) + 3] = 0
    split = split_ink(page, [name, birth], dpi=200)
    name_extent, birth_extent = split.extents[0], split.extents[1]
    assert name_extent is not None and birth_extent is not None
    assert birth_extent[0] < 300 * k


def test_zones_above_one_another_part_a_line_by_their_centres() -> None:
    from extract.read import _side_by_side

    assert _side_by_side([(0, 100, 50, 140), (60, 102, 90, 141)])
    assert not _side_by_side([(0, 100, 50, 140), (30, 136, 90, 170)])  # stacked


# -- zones follow the ink ---------------------------------------------------------------
# A blank 'form' of one line: a label, an underlined zone, a second label and zone. The
# writing is typed at a normal size and runs past the first zone's end, as people write.

K = 200 / 72
LINE = FieldSpec(name="department", page=1, kind=FieldKind.TEXT, region=(90, 100, 160, 114))
NEXT = FieldSpec(name="record_id", page=1, kind=FieldKind.IDENTIFIER, region=(330, 100, 400, 114))


def _blank_line(label_at_pt: float | None) -> np.ndarray:
    """A form line: 'Department:' then a rule under the first zone, and optionally a
    printed label 'Record ID:' at ``label_at_pt`` before the second zone's rule."""
    blank = np.full((400, 1300), 255, np.uint8)
    _typed(blank, "Department:", 20, 112)
    for x0, x1 in ((90, 160), (330, 400)):
        cv2.line(blank, (int(x0 * K), int(114 * K)), (int(x1 * K), int(114 * K)), 0, 2)
    if label_at_pt is not None:
        _typed(blank, "Record ID:", label_at_pt, 112)
    return blank


def _split_of(blank: np.ndarray, page: np.ndarray) -> ZoneInk:
    masks = blank_masks(blank)
    assert masks.printed is not None
    return split_ink(
        residue(page, masks), [LINE, NEXT], dpi=200, printed=masks.printed & ~masks.rules
    )


def _department(label_at_pt: float) -> ZoneInk:
    """The split of a line whose department name (~135 pt) runs far past its 70-pt zone."""
    blank = _blank_line(label_at_pt)
    page = blank.copy()
    _typed(page, "Kalamazoo County Health Dept", 92, 112)
    return _split_of(blank, page)


def test_writing_past_the_zone_is_followed_along_its_line() -> None:
    """GIVEN a department name typed from the zone's start far past its end WHEN the ink
    is split THEN the zone takes all of it, nobody else takes any, and it is not cut."""
    from extract.read import REACH_X

    split = _department(label_at_pt=270)
    extent = split.extents[0]
    assert extent is not None
    # The last word, well past the zone's reach (where the writing used to be nobody's).
    assert extent[2] > (160 + REACH_X + 40) * K
    assert split.ink[1] == 0
    assert split.cut == {}


def test_writing_into_a_printed_label_is_cut_there() -> None:
    """GIVEN the name runs over the printed label after the zone WHEN split THEN the zone
    is reported cut by print, and the ink past the label is not its."""
    split = _department(label_at_pt=200)
    extent = split.extents[0]
    assert extent is not None
    assert extent[2] < 205 * K  # stops at the label
    assert split.cut == {"department": "print"}


def test_writing_off_the_page_is_cut_at_its_edge() -> None:
    blank = _blank_line(label_at_pt=None)[:, : int(240 * K)].copy()
    page = blank.copy()
    _typed(page, "Kalamazoo County Health Dept", 92, 112)
    masks = blank_masks(blank)
    assert masks.printed is not None
    split = split_ink(residue(page, masks), [LINE], dpi=200, printed=masks.printed & ~masks.rules)
    assert split.cut == {"department": "page"}


def test_a_value_inside_its_zone_gains_no_neighbours_ink_and_is_not_cut() -> None:
    """GIVEN a short value inside the first zone and an ID in the second, with the label
    between WHEN split THEN each zone has only its own writing and neither is cut; and
    a value ending at its zone's end beside the label (a full zone) is not cut either."""
    blank = _blank_line(label_at_pt=290)
    page = blank.copy()
    _typed(page, "Bay Co. HD", 92, 112)
    _typed(page, "MI-20-3981", 332, 112)
    split = _split_of(blank, page)
    first, second = split.extents
    assert first is not None and second is not None
    assert first[2] < 160 * K and second[0] > 325 * K
    assert split.cut == {}


def test_a_speck_beside_a_label_is_no_end_of_the_writing() -> None:
    """GIVEN a value inside its zone, a printed label just after the zone and a fax speck
    between them (inside the zone's reach) WHEN split THEN the zone is not cut: only
    its writing's end counts, and a speck is none."""
    blank = _blank_line(label_at_pt=166)
    page = blank.copy()
    _typed(page, "Bay Co. HD", 92, 112)
    x, y = int(163.5 * K), int(108 * K)
    page[y : y + 3, x : x + 3] = 0
    split = _split_of(blank, page)
    assert split.owner[split.labels[y + 1, x + 1]] == 0  # the speck is its
    assert split.extents[0] is not None and split.extents[0][2] < x  # but no writing
    assert split.cut == {}


def test_overflow_meeting_the_next_zones_writing_is_cut() -> None:
    """GIVEN no label between two zones of a line and the first zone's writing running on
    until it meets (a space apart) the second zone's writing WHEN split THEN which
    glyphs are whose is a guess: both zones are reported cut by writing."""
    from tests.extract.synthetic import font

    text = "Kalamazoo County Health Dept"
    end = 92 + font(4, 30).getlength(text) / K
    second = FieldSpec(
        name="record_id", page=1, kind=FieldKind.IDENTIFIER, region=(end + 8, 100, end + 80, 114)
    )
    blank = np.full((400, 1300), 255, np.uint8)
    page = blank.copy()
    _typed(page, text, 92, 112)
    _typed(page, "MI-20-3981", end + 3, 112)
    masks = blank_masks(blank)
    assert masks.printed is not None
    split = split_ink(residue(page, masks), [LINE, second], dpi=200, printed=masks.printed)
    assert split.cut == {"department": "writing", "record_id": "writing"}


def test_a_zone_with_less_than_a_letter_of_ink_is_never_judged_cut() -> None:
    """GIVEN a zone holding a stroke stub (under a letter's worth of ink) and, at its far
    end, a blot of dust as big as a letter's worth, with the next zone's writing a space
    after the blot beyond a printed wall WHEN split THEN the split is made (a tune fax
    with this made the whole document fail with an internal error) and the nearly empty
    zone is not reported cut: it has no writing whose end could be lost."""
    from tests.extract.synthetic import font

    end = 150.0  # pt: the blot sits at the first zone's right end
    second = FieldSpec(
        name="record_id", page=1, kind=FieldKind.IDENTIFIER, region=(end + 4, 100, end + 80, 114)
    )
    blank = np.full((400, 1300), 255, np.uint8)
    wall = int(end * K) + 2  # a printed wall between the zones: their phrases stay apart
    blank[int(98 * K) : int(116 * K), wall : wall + 2] = 0
    page = blank.copy()
    stub_x, base = int(100 * K), int(112 * K)
    page[base - 9 : base, stub_x : stub_x + 3] = 0  # 27 px: not a letter's worth
    blot_x = int(end * K) - 5
    page[base - 16 : base - 10, blot_x : blot_x + 6] = 0  # 36 px, dust-sized
    _typed(page, "MI-20-3981", end + 2, 112)
    assert font(4, 30).getlength("M") > 6  # the next zone's glyphs are taller than the blot
    masks = blank_masks(blank)
    assert masks.printed is not None
    split = split_ink(residue(page, masks), [LINE, second], dpi=200, printed=masks.printed)
    assert "department" not in split.cut
    assert split.extents[1] is not None  # the next zone's writing is still its own


def _written_rows(
    page: np.ndarray, blank: np.ndarray, box: tuple[int, int, int, int]
) -> np.ndarray:
    """Rows of ``box`` where ``page`` has ink the blank lacks."""
    x0, y0, x1, y1 = box
    return np.flatnonzero(((page < 128) & (blank >= 128))[y0:y1, x0:x1].any(axis=1)) + y0


def test_a_dashed_line_the_blank_lacks_is_no_writing(templates, cdc_pages) -> None:  # type: ignore[no-untyped-def]
    """GIVEN a name in its zone and, above it, a line the blank does not print that the
    fax broke into dashes (a fillable field's edge on the filled copy), and a dropped fax
    row that slices the tops off the name's letters, WHEN the new ink is found, THEN the
    dashes are none of it and the letters' sliced-off tops still are."""
    template = templates[FormType.CDC_PUI_2020]
    blank = cdc_pages[0].image
    spec = _spec(templates, FormType.CDC_PUI_2020, "patient_last_name")
    page = fill_page(blank, template, 1, {"patient_last_name": "Whitfield"}, dpi=200)
    x0, y0, x1, y1 = points_to_pixels(spec.region, 200)  # type: ignore[arg-type]
    rows = _written_rows(page, blank, (x0, y0, x1, y1))
    top = int(rows.min())
    page[top + 3, x0:x1] = 255  # the dropped row
    masks = blank_masks(blank)
    undashed = new_ink(fax(page, seed=6), masks)
    line = top - 8
    rng = np.random.default_rng(5)
    x = x0 - 40
    while x < x1 + 40:  # dashes 3-20 px long, 1-12 px apart
        length = int(rng.integers(3, 21))
        page[line : line + 2, x : x + length] = 0
        x += length + int(rng.integers(1, 13))
    written = new_ink(fax(page, seed=6), masks)
    assert not written[line - 1 : line + 3, x0 - 40 : x1 + 40].any()
    tops = np.s_[top : top + 3, x0:x1]
    assert written[tops].sum() == undashed[tops].sum() > 0


@pytest.mark.slow
def test_a_drifting_fax_streak_goes_and_the_letter_it_crossed_stays(
    templates, cdc_pages, settings
) -> None:  # type: ignore[no-untyped-def]
    """GIVEN a name in its zone and a fax streak that drifts a column every 50 rows (the
    paper fed askew) through its first letter, WHEN the zone is read, THEN the streak is no
    ink and the name is read whole: the letter joined to the streak used to go with it
    (`ephen` for Stephen)."""
    template = templates[FormType.CDC_PUI_2020]
    blank = cdc_pages[0].image
    name = "patient_last_name"
    spec = _spec(templates, FormType.CDC_PUI_2020, name)
    page = fill_page(blank, template, 1, {name: "Sanders"}, dpi=200, style=Style(font_index=4))
    x0, y0, x1, y1 = points_to_pixels(spec.region, 200)  # type: ignore[arg-type]
    columns = np.flatnonzero(((page < 128) & (blank >= 128))[y0:y1, x0:x1].any(axis=0)) + x0
    column = int(columns.min()) + 5  # through the S
    for row in range(y0 - 250, y1 + 250):
        page[row, column + (row - y0 + 250) // 50 - 5] = 0
    page = fax(page, seed=7)
    masks = blank_masks(blank)
    written = new_ink(page, masks)
    assert not written[y0 - 200 : y0 - 20, column - 8 : column + 8].any()
    readings, _ = read_text_zones(
        np.where(written, 0, 255).astype(np.uint8),
        [spec],
        settings=settings,
        dpi=200,
        underlines=underline_ink(page, masks),
    )
    assert readings[name].text == "Sanders"


def test_fax_specks_neither_ink_a_blank_zone_nor_stretch_a_written_one(
    templates, cdc_pages
) -> None:  # type: ignore[no-untyped-def]
    """GIVEN fax specks (3-4 px: as many pixels as a short word's worth of ink) in one empty
    zone and at the far corner of a written one, WHEN the ink is split among the zones,
    THEN the empty zone is blank and the written zone's extent is its writing's: the rule
    given back to Tesseract within it no longer reaches the speck (it was read as words)."""
    template = templates[FormType.CDC_PUI_2020]
    blank = cdc_pages[0].image
    names = ("patient_last_name", "patient_first_name")
    specs = [_spec(templates, FormType.CDC_PUI_2020, n) for n in names]
    page = fill_page(blank, template, 1, {names[0]: "Ross"}, dpi=200)
    clean = residue(page, blank_masks(blank))
    alone = split_ink(clean, specs, dpi=200)
    boxes = [points_to_pixels(s.region, 200) for s in specs]  # type: ignore[arg-type]
    (_, _, wx1, wy1), (ex0, ey0, ex1, _) = boxes
    clean[wy1 - 4 : wy1 - 1, wx1 - 8 : wx1 - 5] = 0  # at the written zone's far corner
    for x in (ex0 + 10, ex0 + 60, ex1 - 20):
        clean[ey0 + 8 : ey0 + 12, x : x + 4] = 0  # 3 x 16 px in the empty zone
    split = split_ink(clean, specs, dpi=200)
    assert split.ink[1] == 0 and split.extents[1] is None
    assert split.extents[0] == alone.extents[0]
    assert split.ink[0] == alone.ink[0] > 0


def test_an_english_reading_short_of_its_writing_leaves_ink_unread(settings) -> None:  # type: ignore[no-untyped-def]
    """GIVEN 'Elkhart Co. HD' written in a zone WHEN the reading covers every word THEN no
    writing is left unread; WHEN only 'Elkhart' is read (as a cut reading was, at 0.96)
    THEN the rest of the zone's writing is found uncovered."""
    from extract.read import read_text_zones, unread_ink
    from tests.extract.synthetic import font

    page = Image.new("L", (1700, 200), 255)  # 200 dpi: the zone is 250-1111 x 56-122 px
    ImageDraw.Draw(page).text((260, 70), "Elkhart Co. HD", fill=0, font=font(0, 36))
    spec = FieldSpec(name="department", page=1, kind=FieldKind.TEXT, region=(90, 20, 400, 44))
    readings, split = read_text_zones(np.asarray(page), [spec], settings=settings, dpi=200)
    words = readings["department"].words
    assert readings["department"].text == "Elkhart Co. HD"
    assert not unread_ink(split, 0, words)
    assert unread_ink(split, 0, [w for w in words if w.text == "Elkhart"])


def test_a_zone_the_split_does_not_hold_has_no_foreign_ink() -> None:
    """Comb fields are read box by box, outside the split: asked how much of other zones'
    ink lies in one, the split answers 0 (it raised, and a DHS-1171 with its SSN left
    blank failed whole with an internal error)."""
    residue_page = np.full((400, 1300), 255, np.uint8)
    split = split_ink(residue_page, [LINE], dpi=200)
    assert split.foreign_ink("applicant_ssn") == 0
    assert split.foreign_ink(LINE.name) == 0


def test_dust_in_a_row_is_counted_and_scattered_dust_is_not() -> None:
    """GIVEN two zones holding only specks too small to be glyphs, of the same number and
    size: in one they lie along one line, as a thin face the fax broke up leaves its
    strokes; in the other they lie scattered over the zone's height, as a fax's dust does
    WHEN the ink is split THEN neither zone holds writing, the row is counted whole and the
    scattered specks make no row."""
    from extract.read import DUST_ROW_PIECES

    page = np.full((400, 1300), 255, np.uint8)
    base = int(112 * K)
    row_x = [int((92 + 8 * i) * K) for i in range(5)]
    for i, x in enumerate(row_x):
        page[base - 6 - (i % 2) : base - 2, x : x + 2] = 0  # stroke stubs, 4-5 px tall
    top = int(100 * K)
    for i in range(5):
        x, y = int((332 + 8 * i) * K), top + 2 + 9 * i  # 9 px apart down the zone
        page[y : y + 4, x : x + 2] = 0
    split = split_ink(page, [LINE, NEXT], dpi=200)
    assert split.ink == (0, 0)
    assert split.dust_rows[0] == len(row_x) >= DUST_ROW_PIECES
    assert split.dust_rows[1] < DUST_ROW_PIECES
    assert split.dust_row("department") == split.dust_rows[0] and split.dust_row("nowhere") == 0


def test_specks_the_residue_drops_make_a_row_only_close_together() -> None:
    """GIVEN two zones whose residue holds nothing, and specks (pieces the residue drops as
    fax noise) at one height in each: in one a letter's width apart, as a thin face the
    fax broke up leaves its strokes; in the other spread over the zone's width, as a wide
    zone's fax dust may fall at one height by chance WHEN the ink is split with those
    specks THEN the first zone counts them as a row, the second does not, and without
    the specks neither zone holds any."""
    from extract.read import DUST_ROW_GAP_PT, DUST_ROW_PIECES

    page = np.full((400, 1300), 255, np.uint8)
    specks = np.zeros(page.shape, dtype=bool)
    base = int(110 * K)
    close = [int((95 + 6 * i) * K) for i in range(6)]  # Courier's 6 pt a letter
    spread = [int((333 + 2 * DUST_ROW_GAP_PT * i) * K) for i in range(4)]
    for x in [*close, *spread]:
        specks[base, x : x + 2] = True
    split = split_ink(page, [LINE, NEXT], dpi=200, specks=specks)
    assert split.ink == (0, 0)
    assert split.dust_rows == (len(close), 1)
    assert len(close) >= DUST_ROW_PIECES > 1
    assert split_ink(page, [LINE, NEXT], dpi=200).dust_rows == (0, 0)


def test_a_row_of_specks_must_stand_out_of_the_page_s_speckle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GIVEN a page speckled all over as a bad fax is (a pixel in 333), with a line of
    specks 2 pt apart in one zone, as a thin face broken up leaves its strokes WHEN the
    ink is split THEN that zone counts its row, and the speckle, which lines up by chance
    (4 or more to a row in the other zone, counted without DUST_ROW_EXCESS), makes no row
    there."""
    from extract.read import DUST_ROW_PIECES

    page = np.full((400, 1300), 255, np.uint8)
    specks = np.random.default_rng(0).random(page.shape) < 0.003
    line = [int((93 + 2 * i) * K) for i in range(20)]
    specks[int(110 * K), line] = True
    split = split_ink(page, [LINE, NEXT], dpi=200, specks=specks)
    assert split.dust_rows[0] >= len(line)
    assert split.dust_rows[1] < DUST_ROW_PIECES
    monkeypatch.setattr("extract.read.DUST_ROW_EXCESS", 0.0)
    assert split_ink(page, [LINE, NEXT], dpi=200, specks=specks).dust_rows[1] >= DUST_ROW_PIECES


def test_specks_are_kept_apart_from_what_was_written() -> None:
    """GIVEN a page with no form, a written stroke and specks of at most SPECK_AREA pixels
    WHEN its new ink is found THEN the stroke is written and not a speck, and each speck is
    a speck and not written."""
    from extract.read import SPECK_AREA, BlankMasks, find_new_ink

    page = np.full((200, 300), 255, np.uint8)
    page[50:80, 40:44] = 0  # a stroke
    page[120, 200:202] = 0  # specks of 2 and 3 pixels
    page[150:153, 250] = 0
    none = np.zeros(page.shape, dtype=bool)
    ink = find_new_ink(page, BlankMasks(none, none, none), level=128)
    assert ink.written[50:80, 40:44].all() and not ink.specks[50:80, 40:44].any()
    assert ink.specks[120, 200:202].all() and ink.specks[150:153, 250].all()
    assert not ink.written[120, 200:202].any() and not ink.written[150:153, 250].any()
    assert int(ink.specks.sum()) == 2 + 3 <= 2 * SPECK_AREA


def test_an_ampersand_is_writing_and_rule_debris_is_not() -> None:
    """A word of no letter or digit is rule debris (—, _, |, a lone stop), except a symbol
    people write between words: the ampersand of 'Health & Human Services'."""
    from extract.read import is_writing

    def word(text: str) -> OcrWord:
        return OcrWord(text, 0.9, (0, 0, 10, 20), (1, 1, 1))

    assert is_writing(word("&")) and is_writing(word("Dept.")) and is_writing(word("7"))
    assert not any(is_writing(word(t)) for t in ("—", "_", "|", ".", "'", "--"))


def test_an_ampersand_written_between_words_is_read(settings) -> None:  # type: ignore[no-untyped-def]
    """GIVEN 'Health & Human Services' written in a zone WHEN it is read THEN the value
    keeps the ampersand. Tesseract reads '&' as a word of its own, and words without a
    letter or digit were all dropped as rule debris: 'Health Human Services'."""
    from extract.read import read_text_zones
    from tests.extract.synthetic import font

    page = Image.new("L", (1700, 200), 255)  # 200 dpi: the zone is 250-1250 x 56-122 px
    draw = ImageDraw.Draw(page)
    draw.text((260, 70), "Health & Human Services", fill=0, font=font(0, 36))
    spec = FieldSpec(name="department", page=1, kind=FieldKind.TEXT, region=(90, 20, 450, 44))
    readings, _ = read_text_zones(np.asarray(page), [spec], settings=settings, dpi=200)
    assert readings["department"].text == "Health & Human Services"
