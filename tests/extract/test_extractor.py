"""extract_document end to end on synthetic pages (made here, not by samples/)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from extract import confidence as conf
from extract.extractor import extract_document
from faxflow.model import CleanPage, FormType, PageRole, RecordType
from faxflow.schemas import field_names
from tests.extract.synthetic import Style, fax, fill_page, move

VALUES = {
    "patient_first_name": "Maria",
    "patient_last_name": "Gonzalez",
    "date_of_birth": "07/04/1961",
    "date_of_birth#2": "7/4/61",
    "county_of_residence": "Ingham",
    "state_of_residence": "Michigan",
    "interviewer_telephone": "(517) 555-0199",
    "age": "58",
    "sex": "female",
    "race": ["white", "asian"],
    "case_status": "pui",
    "pneumonia": "yes",
    "symptom_fever": "yes",
    "symptom_cough": "no",
}


def _page(number: int, image: np.ndarray) -> CleanPage:
    return CleanPage(number=number, image=image, dpi=200, rotation=0, skew_degrees=0.0)


@pytest.mark.slow
def test_a_filled_cdc_form_is_read(templates, cdc_pages, settings) -> None:  # type: ignore[no-untyped-def]
    template = templates[FormType.CDC_PUI_2020]
    style = Style(font_index=4, size_pt=10, mark="x")
    page1 = fill_page(cdc_pages[0].image, template, 1, VALUES, dpi=200, style=style, seed=1)
    page2 = fill_page(cdc_pages[1].image, template, 2, VALUES, dpi=200, style=style, seed=2)
    pages = [
        _page(1, fax(move(page2, angle=-1.0, quarter_turns=2), seed=2)),  # reordered, upside down
        _page(2, fax(move(page1, angle=1.5, scale=1.02, shift=(20, 15)), seed=1)),
    ]
    out = extract_document(pages, settings=settings, templates=templates)
    ex = out.extraction
    assert ex.form_type is FormType.CDC_PUI_2020
    assert [(p.role, p.template_page) for p in ex.pages] == [
        (PageRole.FORM, 2),
        (PageRole.FORM, 1),
    ]
    assert ex.pages[0].rotation == 180
    assert set(ex.record) == set(field_names(RecordType.INFECTION_REPORT))
    record = ex.record
    assert record["sex"] == "female"
    assert record["race"] == ["asian", "white"]
    assert record["case_status"] == "pui"
    assert record["symptom_fever"] == "yes" and record["symptom_cough"] == "no"
    assert record["symptom_chills"] is None
    # Digits written across the printed slashes of __/__/____ may lose strokes: the
    # engine must then say it does not know, never return a confident wrong date.
    dob = ex.fields["date_of_birth"]
    assert dob.value == "1961-07-04" or (dob.value is None and dob.confidence < 0.5)
    assert record["state_of_residence"] == "MI"
    assert record["interviewer_telephone"] == "5175550199"
    assert record["age"] == 58
    assert record["patient_last_name"] == "Gonzalez"
    assert record["contact_id"] is None
    assert dob.page == 2 and dob.bbox is not None and 0.0 <= dob.confidence <= 1.0
    assert ex.field_kinds["date_of_birth"] == "date"
    assert "date_of_birth#2" not in ex.fields
    assert set(out.page_images) == {1, 2}
    assert out.page_images[2].shape == cdc_pages[0].image.shape
    x0, y0, x1, y1 = dob.bbox
    assert 0 <= x0 < x1 <= 1700 and 0 <= y0 < y1 <= 2200


@pytest.mark.slow
def test_two_copies_that_disagree_are_an_issue(templates, cdc_pages, settings) -> None:  # type: ignore[no-untyped-def]
    template = templates[FormType.CDC_PUI_2020]
    values = {"cdc_ncov_id": "CA102034567", "cdc_ncov_id#2": "MI776655443", "sex": "male"}
    page1 = fill_page(cdc_pages[0].image, template, 1, values, dpi=200, style=Style(font_index=4))
    out = extract_document([_page(1, page1)], settings=settings, templates=templates)
    codes = {(i.code, i.field) for i in out.extraction.issues}
    assert ("field_disagreement", "cdc_ncov_id") in codes
    assert ("missing_page", None) in codes  # page 2 was not sent
    assert out.extraction.fields["symptom_fever"].confidence == 0.0
    assert out.extraction.fields["cdc_ncov_id"].confidence <= 0.3
    assert out.extraction.record["sex"] == "male"


def test_multiple_marks_are_an_issue(templates, cdc_pages, settings) -> None:  # type: ignore[no-untyped-def]
    template = templates[FormType.CDC_PUI_2020]
    page2 = fill_page(cdc_pages[1].image, template, 2, {"symptom_fever": ["yes", "no"]}, dpi=200)
    # Page 2 carries checkboxes only: no OCR is needed to read it.
    out = extract_document([_page(1, page2)], settings=settings, templates=templates)
    assert out.extraction.record["symptom_fever"] is None
    issues = [i for i in out.extraction.issues if i.code == "multiple_marks"]
    assert [i.field for i in issues] == ["symptom_fever"]


def test_an_unknown_document_is_reported_not_raised(templates, settings) -> None:  # type: ignore[no-untyped-def]
    import cv2

    text = np.full((2200, 1700), 255, dtype=np.uint8)
    cv2.putText(text, "Dear doctor, please see attached.", (150, 400), 0, 2, 0, 4)
    blank = np.full((2200, 1700), 255, dtype=np.uint8)
    out = extract_document(
        [_page(1, text), _page(2, blank)], settings=settings, templates=templates
    )
    ex = out.extraction
    assert ex.form_type is FormType.UNKNOWN
    assert ex.record == {} and ex.fields == {}
    assert [p.role for p in ex.pages] == [PageRole.COVER, PageRole.BLANK]
    assert out.page_images == {}


def test_pages_at_another_dpi_are_rescaled(templates, cdc_pages, settings) -> None:  # type: ignore[no-untyped-def]
    import cv2

    template = templates[FormType.CDC_PUI_2020]
    page2 = fill_page(cdc_pages[1].image, template, 2, {"symptom_cough": "yes"}, dpi=200)
    small = cv2.resize(page2, None, fx=0.75, fy=0.75, interpolation=cv2.INTER_AREA)
    page = CleanPage(number=1, image=small, dpi=150, rotation=0, skew_degrees=0.0)
    out = extract_document([page], settings=settings, templates=templates)
    assert out.extraction.record["symptom_cough"] == "yes"


def test_short_doubtful_words_at_the_edges_of_a_name_are_dropped() -> None:
    from extract.extractor import _without_edge_debris
    from extract.read import ZoneReading
    from faxflow.model import OcrWord

    def word(text: str, x0: int, confidence: float) -> OcrWord:
        return OcrWord(text, confidence, (x0, 0, x0 + 10 * len(text), 20), (1, 1, 1))

    def reading(*words: OcrWord) -> ZoneReading:
        return ZoneReading(" ".join(w.text for w in words), 0.8, (0, 0, 300, 20), 500, words)

    noisy = reading(word("Jacksonfort", 0, 0.9), word("L", 130, 0.3))
    assert _without_edge_debris(noisy).text == "Jacksonfort"
    # Confidently read short words and abbreviations are part of the value.
    assert _without_edge_debris(reading(word("Co.", 0, 0.9), word("HD", 40, 0.3))).text == "Co. HD"
    kept = reading(word("Luis", 0, 0.9), word("Jr", 50, 0.9))
    assert _without_edge_debris(kept) is kept
    single = reading(word("a", 0, 0.1))
    assert _without_edge_debris(single) is single


def test_one_or_two_doubtful_characters_in_a_text_zone_are_noise() -> None:
    from extract.extractor import is_speck_value
    from extract.template import FieldKind

    assert is_speck_value(FieldKind.TEXT, "oe", 0.1)
    assert is_speck_value(FieldKind.NAME, "I", 0.2)
    assert not is_speck_value(FieldKind.NAME, "Ed", 0.9)  # a short name read clearly
    assert not is_speck_value(FieldKind.TEXT, "Oak", 0.1)
    assert not is_speck_value(FieldKind.INTEGER, 8, 0.1)  # an age of 8 is a value
    # An ID zone under another line: its strokes read as letters without a digit.
    assert is_speck_value(FieldKind.IDENTIFIER, "KCHD", 0.2)
    assert is_speck_value(FieldKind.IDENTIFIER, "96", 0.0)
    assert not is_speck_value(FieldKind.IDENTIFIER, "OH-20-272))", 0.0)  # a misread ID
    assert not is_speck_value(FieldKind.IDENTIFIER, "ABCD", 0.9)  # read clearly
    # A lone digit in an amount box; zero and real amounts are answers.
    assert is_speck_value(FieldKind.MONEY, 7.0, 0.7)
    assert not is_speck_value(FieldKind.MONEY, 7.0, 0.95)  # read clearly
    assert not is_speck_value(FieldKind.MONEY, 0.0, 0.5)
    assert not is_speck_value(FieldKind.MONEY, 7.5, 0.5)
    assert not is_speck_value(FieldKind.MONEY, 70.0, 0.5)


@pytest.mark.parametrize(
    ("name", "confidence", "others", "member"),
    [
        ("Benjamin Baker", 0.65, {"sex": "male"}, True),  # a name and one more answer
        ("Fey", 0.84, {}, False),  # fax noise in an empty block: a 'name' alone
        ("Nicole Lopez", 0.42, {"sex": "female", "birth_date": "2001-02-03"}, True),
        ("Ee Ome", 0.34, {"ssn": "123"}, False),  # one answer, but a garbled name
        ("Judy Vincent", 0.95, {}, True),  # a clear name alone still counts
        (None, 0.0, {"sex": "male", "birth_date": "2001-02-03", "relationship": "son"}, True),
        (None, 0.0, {"sex": "male"}, False),
    ],
)
def test_a_household_member_needs_more_than_noise_in_the_name_zone(
    name: str | None, confidence: float, others: dict[str, str], member: bool
) -> None:
    from extract.extractor import _is_member
    from faxflow.model import FieldResult

    values = {"full_name": name, "birth_date": None, "relationship": None, "sex": None}
    values.update(others)
    assert _is_member(values, FieldResult(value=name, confidence=confidence)) is member


@pytest.mark.parametrize(
    ("value", "raw", "expected"),
    [
        (None, "yr", "yr"),  # read right, but dropped as two doubtful letters
        (None, "yt", "yr"),  # a close spelling with the right first letter
        (None, "oe", None),  # specks in an empty zone stay blank
        (None, "a", None),
        ("years", "years", "yr"),  # a value read surely is snapped as before
        (None, None, None),
    ],
)
def test_enum_text_zones_snap_their_raw_text_only_when_it_is_close(
    templates, value: str | None, raw: str | None, expected: str | None
) -> None:  # type: ignore[no-untyped-def]
    from extract.steps import run_assembly_steps
    from faxflow.model import FieldResult

    fields = {"age_units": FieldResult(value=value, confidence=0.25, raw_text=raw)}
    run_assembly_steps(templates[FormType.CDC_PUI_2020], fields)
    assert fields["age_units"].value == expected
    if value is None and expected is not None:
        assert fields["age_units"].confidence <= 0.3  # still sent to a person


def test_a_fixed_answer_the_reading_missed_is_read_again_without_its_rule(
    monkeypatch, templates, cdc_pages, settings
) -> None:  # type: ignore[no-untyped-def]
    import extract.extractor as extractor
    from extract.read import ZoneReading, split_ink

    spec = next(s for s in templates[FormType.CDC_PUI_2020].fields if s.name == "age_units")
    clean = np.full(cdc_pages[0].image.shape, 255, np.uint8)
    x0, y0, x1, y1 = (int(v * 200 / 72) for v in spec.region)  # type: ignore[union-attr]
    clean[y0 + 8 : y1 - 8, x0 + 10 : x0 + 40] = 0  # some ink: the zone is not blank
    split = split_ink(clean, [spec], dpi=200)
    first = ZoneReading("mis", 0.6, (x0, y0, x1, y1), 500, ())
    calls: list[bool] = []

    def reread(*args: object, underline: bool = True, **kwargs: object) -> ZoneReading:
        calls.append(underline)
        return ZoneReading(answer, 0.4, (x0, y0, x1, y1), 500, ())

    monkeypatch.setattr(extractor, "reread_zone", reread)
    answers = extractor.fixed_answers(templates[FormType.CDC_PUI_2020])
    assert answers["age_units"] == ("yr", "mo", "day")
    answer = "vr"  # the y's tail lost with the rule: near yr only
    found = extractor._text_field(
        spec, first, clean, split, settings=settings, page_number=1, answers=answers["age_units"]
    )
    assert found.value == "yr" and found.confidence <= extractor.ANSWER_REREAD_CONFIDENCE
    assert False in calls  # read again without the rule
    answer = "oe"  # as near mo as yr: no guess
    found = extractor._text_field(
        spec, first, clean, split, settings=settings, page_number=1, answers=answers["age_units"]
    )
    assert found.value != "yr" and found.value != "mo"
    answer = ""  # nothing without the rule: the first reading, if near one answer, decides
    for text in ("nr", "xr"):  # 'xr' even though two doubtful letters are taken for specks
        near = ZoneReading(text, 0.2, (x0, y0, x1, y1), 500, ())
        found = extractor._text_field(
            spec, near, clean, split, settings=settings, page_number=1, answers=answers["age_units"]
        )
        assert found.value == "yr" and found.confidence <= extractor.ANSWER_REREAD_CONFIDENCE
    specks = ZoneReading("oe", 0.2, (x0, y0, x1, y1), 500, ())
    found = extractor._text_field(
        spec, specks, clean, split, settings=settings, page_number=1, answers=answers["age_units"]
    )
    assert found.value is None


def test_a_line_tesseract_cannot_see_on_its_rule_is_read_without_the_rule(
    monkeypatch, templates, cdc_pages, settings
) -> None:  # type: ignore[no-untyped-def]
    import extract.extractor as extractor
    from extract.read import ZoneReading, split_ink

    spec = next(
        s for s in templates[FormType.CDC_PUI_2020].fields if s.name == "interviewer_affiliation"
    )
    clean = np.full(cdc_pages[0].image.shape, 255, np.uint8)
    x0, y0, x1, y1 = (int(v * 200 / 72) for v in spec.region)  # type: ignore[union-attr]
    clean[y0 + 8 : y1 - 8, x0 + 10 : x0 + 200] = 0  # ink enough for a written line
    split = split_ink(clean, [spec], dpi=200)
    nothing = ZoneReading("", 0.0, (x0, y0, x1, y1), 2400, ())
    calls: list[bool] = []

    def reread(*args: object, underline: bool = True, **kwargs: object) -> ZoneReading:
        calls.append(underline)
        text = bare if not underline else ""
        return ZoneReading(text, 0.77, (x0, y0, x1, y1), 2400, ())

    monkeypatch.setattr(extractor, "reread_zone", reread)
    bare = "Ingham County Health Dept"
    found = extractor._text_field(spec, nothing, clean, split, settings=settings, page_number=1)
    assert found.value == "Ingham County Health Dept"
    assert calls == [True, False]  # with the rule first, as the page was read
    calls.clear()
    bare = ""  # nothing without the rule either: no value, and a line's worth of ink
    found = extractor._text_field(spec, nothing, clean, split, settings=settings, page_number=1)
    assert found.value is None and calls == [True, False]
    assert found.confidence <= 0.15  # unread, not blank: a person looks


def test_copies_of_an_id_are_decided_by_a_vote_of_their_readings(
    monkeypatch, templates, cdc_pages, settings
) -> None:  # type: ignore[no-untyped-def]
    import extract.extractor as extractor
    from extract.read import ZoneReading, split_ink
    from faxflow.model import FieldResult, OcrWord

    template = templates[FormType.CDC_PUI_2020]
    specs = [s for s in template.fields if s.name in ("cdc_ncov_id", "cdc_ncov_id#2")]
    clean = np.full(cdc_pages[0].image.shape, 255, np.uint8)
    for spec in specs:
        x0, y0, _x1, y1 = (int(v * 200 / 72) for v in spec.region)  # type: ignore[union-attr]
        clean[y0 + 8 : y1 - 8, x0 + 10 : x0 + 120] = 0
    split = split_ink(clean, specs, dpi=200)
    readings: dict[tuple[str, bool], tuple[str, float]] = {}

    def reread(_split: object, name: str, *, underline: bool = True, **_: object) -> ZoneReading:
        text, confidence = readings[(name, underline)]
        word = OcrWord(text, confidence, (0, 0, 10, 10), (1, 1, 1))
        return ZoneReading(text, confidence, (0, 0, 10, 10), 900, (word,), "zone")

    monkeypatch.setattr(extractor, "reread_zone", reread)

    def vote() -> tuple[dict[str, FieldResult], list[object]]:
        results = {
            "cdc_ncov_id": FieldResult(value="MI1244289264", confidence=0.8),
            "cdc_ncov_id#2": FieldResult(value="MI244289264", confidence=0.7),
        }
        issues = extractor._vote_on_copies(specs, split, results, settings=settings)
        return results, list(issues)

    # Four readings, one with IL read as '11': one candidate, spelled with its letters.
    readings.update(
        {
            ("cdc_ncov_id", True): ("11679429502", 0.8),
            ("cdc_ncov_id", False): ("IL679429502", 0.7),
            ("cdc_ncov_id#2", True): ("IL679429502", 0.9),
            ("cdc_ncov_id#2", False): ("IL679429502", 0.8),
        }
    )
    results, issues = vote()
    assert results["cdc_ncov_id"].value == "IL679429502"
    assert results["cdc_ncov_id"].confidence > 0.9 and not issues
    assert results["cdc_ncov_id#2"].value is None  # decided here, not again at assembly
    # Two of four agree: that value, in doubt, and the disagreement reported.
    readings.update(
        {
            ("cdc_ncov_id", True): ("MI244289264", 0.6),
            ("cdc_ncov_id", False): ("MI244289204", 0.9),
            ("cdc_ncov_id#2", True): ("MI244289264", 0.7),
            ("cdc_ncov_id#2", False): ("KCHD", 0.2),  # a speck: no vote
        }
    )
    results, issues = vote()
    assert results["cdc_ncov_id"].value == "MI244289264"
    assert results["cdc_ncov_id"].confidence <= extractor.VOTE_DOUBT_CONFIDENCE
    assert [issue.code for issue in issues] == ["field_disagreement"]  # type: ignore[attr-defined]
    # A space after the prefix, lost by two of the readings: one candidate, kept as written.
    readings.update(
        {
            ("cdc_ncov_id", True): ("MI 556442", 0.8),
            ("cdc_ncov_id", False): ("MI556442", 0.8),
            ("cdc_ncov_id#2", True): ("MI 556442", 0.9),
            ("cdc_ncov_id#2", False): ("MI556442", 0.7),
        }
    )
    results, issues = vote()
    assert results["cdc_ncov_id"].value in ("MI 556442", "MI556442")
    assert results["cdc_ncov_id"].confidence > 0.9 and not issues


def test_readings_of_an_id_agree_whatever_the_space_after_its_prefix(templates) -> None:  # type: ignore[no-untyped-def]
    """A reading restricted to an ID's characters may lose the space a writer left after
    its prefix: the two readings agree. Other kinds still compare their values whole."""
    from extract.extractor import _same_characters

    specs = {s.name: s for s in templates[FormType.CDC_PUI_2020].fields}
    the_id, the_name = specs["case_state_local_id"], specs["patient_last_name"]
    assert _same_characters(the_id, "MI 556442", "MI556442")
    assert not _same_characters(the_id, "MI 556442", "MI 556443")
    assert not _same_characters(the_name, "Van Dyke", "VanDyke")


def test_the_digit_classifier_never_drops_a_digit_tesseract_saw(monkeypatch, templates) -> None:  # type: ignore[no-untyped-def]
    import extract.extractor as extractor
    from extract.read import ZoneReading
    from faxflow.model import OcrWord

    spec = next(s for s in templates[FormType.CDC_PUI_2020].fields if s.name == "age")
    box = (0, 0, 10, 10)
    tesseract = ZoneReading("17", 0.5, box, 80, (OcrWord("17", 0.5, box, (0, 0, 0)),), "page")

    def classifier(text: str) -> ZoneReading:
        return ZoneReading(text, 0.99, box, 80, (OcrWord(text, 0.99, box, (0, 0, 0)),), "digits")

    # the classifier saw one glyph only (the 1 taken for a speck): Tesseract's 17 stays
    monkeypatch.setattr(extractor, "read_zone_digits", lambda *a, **k: classifier("7"))
    value, reading, _, _, _ = extractor._with_zone_digits(spec, None, 17, tesseract, False)  # type: ignore[arg-type]
    assert value == 17 and reading is tesseract
    # as many digits and surer: the classifier's reading wins, but the two readers
    # disagree, so it is not sure
    monkeypatch.setattr(extractor, "read_zone_digits", lambda *a, **k: classifier("11"))
    value, reading, _, cap, _ = extractor._with_zone_digits(spec, None, 17, tesseract, False)  # type: ignore[arg-type]
    assert value == 11 and reading.method == "digits"
    assert cap == conf.DISPUTED_DIGITS_CONFIDENCE


def test_a_number_only_the_digit_classifier_read_is_never_sure(monkeypatch, templates) -> None:  # type: ignore[no-untyped-def]
    """GIVEN a date Tesseract could not read and the classifier read surely (touching
    hand-printed digits pass as one glyph it is sure of: '07 3 2020' for 07/31/2020)
    WHEN the classifier's value is taken THEN its confidence is capped below every
    auto-accept level; where both readers agree it is not."""
    import extract.extractor as extractor
    from extract.read import ZoneReading
    from extract.template import FieldKind
    from faxflow.model import OcrWord

    spec = next(s for s in templates[FormType.CDC_PUI_2020].fields if s.kind is FieldKind.DATE)
    box = (0, 0, 10, 10)
    garbled = ZoneReading(
        "0t,_H__ 2020", 0.4, box, 300, (OcrWord("0t,_H__", 0.01, box, (0, 0, 0)),), "page"
    )
    glyphs = ZoneReading(
        "07 3 2020", 0.999, box, 300, (OcrWord("07", 0.999, box, (0, 0, 0)),), "digits"
    )
    monkeypatch.setattr(extractor, "read_zone_digits", lambda *a, **k: glyphs)
    value, reading, agreed, cap, _ = extractor._with_zone_digits(spec, None, None, garbled, False)  # type: ignore[arg-type]
    assert (value, reading, agreed) == ("2020-07-03", glyphs, False)
    assert cap == conf.ONE_READER_DIGITS_CONFIDENCE < 0.95
    same = ZoneReading(
        "07/03/2020", 0.9, box, 300, (OcrWord("07/03/2020", 0.9, box, (0, 0, 0)),), "page"
    )
    value, reading, agreed, cap, floor = extractor._with_zone_digits(
        spec, None, "2020-07-03", same, False
    )  # type: ignore[arg-type]
    assert (value, agreed, cap) == ("2020-07-03", True, 1.0)
    # two readers agreeing are at least as sure as the classifier alone would be
    assert floor == conf.ONE_READER_DIGITS_CONFIDENCE


def test_a_phone_number_is_read_again_glyph_by_glyph(
    monkeypatch, templates, cdc_pages, settings
) -> None:  # type: ignore[no-untyped-def]
    """GIVEN a faxed CDC page 1 with the interviewer's phone typed '(269) 693-8752'
    WHEN its zone is read glyph by glyph THEN the classifier reads its ten digits, the
    brackets, space and hyphen set apart; and where Tesseract read one digit otherwise
    ('...8732') and less surely, the classifier's number is taken, not sure (two readers
    disagree)."""
    import extract.extractor as extractor
    from extract.read import ZoneReading, blank_masks, read_zone_digits, residue, split_ink
    from faxflow.model import OcrWord

    template = templates[FormType.CDC_PUI_2020]
    spec = next(s for s in template.fields if s.name == "interviewer_telephone")
    page = fax(_written(cdc_pages[0].image, template, {spec.name: ("(269) 693-8752", SANS_10)}))
    masks = blank_masks(cdc_pages[0].image)
    split = split_ink(residue(page, masks), [spec], dpi=200, page=page)
    glyphs = read_zone_digits(split, spec.name, max_glyphs=13, separated=True)
    assert glyphs is not None and "".join(glyphs.text.split()) == "2696938752"

    asked: list[str] = []

    def spy(split: object, name: str, **kwargs: object) -> ZoneReading | None:
        asked.append(name)
        return read_zone_digits(split, name, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(extractor, "read_zone_digits", spy)
    results, _ = extractor.read_page(
        page, cdc_pages[0], template.fields_on_page(1), settings=settings, page_number=1
    )
    assert spec.name in asked and results[spec.name].value == "2696938752"

    box = (0, 0, 10, 10)
    tesseract = ZoneReading(
        "(269) 693-8732", 0.6, box, 400, (OcrWord("693-8732", 0.6, box, (0, 0, 0)),), "page"
    )
    monkeypatch.setattr(extractor, "read_zone_digits", lambda *a, **k: glyphs)
    value, reading, agreed, cap, _ = extractor._with_zone_digits(
        spec, split, "2696938732", tesseract, False
    )
    assert (value, reading, agreed) == ("2696938752", glyphs, False)
    assert cap == conf.DISPUTED_DIGITS_CONFIDENCE
    # read whole, the classifier's number is the field's, the change in its provenance
    monkeypatch.setattr(extractor, "reread_zone", lambda *a, **k: tesseract)
    found = extractor._text_field(spec, tesseract, page, split, settings=settings, page_number=1)
    assert found.value == "2696938752"
    assert found.confidence <= conf.DISPUTED_DIGITS_CONFIDENCE
    first = found.provenance[0]
    assert (first.step, first.before, first.after) == (
        "reread.digits",
        "2696938732",
        "2696938752",
    )


def test_a_month_written_in_letters_is_not_read_again_as_digits(monkeypatch, templates) -> None:  # type: ignore[no-untyped-def]
    import extract.extractor as extractor
    from extract.read import ZoneReading
    from extract.template import FieldKind
    from faxflow.model import OcrWord

    spec = next(s for s in templates[FormType.CDC_PUI_2020].fields if s.kind is FieldKind.DATE)
    box = (0, 0, 10, 10)
    words = tuple(OcrWord(w, 0.9, box, (0, 0, 0)) for w in ("Apr", "12,", "2020"))
    tesseract = ZoneReading("Apr 12, 2020", 0.9, box, 300, words, "page")
    # the glyphs of 'Apr' taken for digits, surely: a valid date, but a guess
    glyphs = ZoneReading(
        "40 12 2020", 0.99, box, 300, (OcrWord("40", 0.99, box, (0, 0, 0)),), "digits"
    )
    monkeypatch.setattr(extractor, "read_zone_digits", lambda *a, **k: glyphs)
    value, reading, agreed, _, _ = extractor._with_zone_digits(
        spec, None, "2020-04-12", tesseract, False
    )  # type: ignore[arg-type]
    assert (value, reading, agreed) == ("2020-04-12", tesseract, False)
    # a date Tesseract read in digits only is still read again by the classifier
    digits = ZoneReading("04 12 2020", 0.5, box, 300, (OcrWord("04", 0.5, box, (0, 0, 0)),), "page")
    glyphs = ZoneReading(
        "04 17 2020", 0.99, box, 300, (OcrWord("04", 0.99, box, (0, 0, 0)),), "digits"
    )
    value, reading, _, _, _ = extractor._with_zone_digits(spec, None, "2020-04-12", digits, False)  # type: ignore[arg-type]
    assert value == "2020-04-17" and reading is glyphs


def test_a_line_whose_last_word_was_dropped_as_debris_is_read_again(
    monkeypatch, templates, cdc_pages, settings
) -> None:  # type: ignore[no-untyped-def]
    import extract.extractor as extractor
    from extract.read import ZoneReading, split_ink
    from faxflow.model import OcrWord

    spec = next(
        s
        for s in templates[FormType.CDC_PUI_2020].fields
        if s.name == "reporting_health_department"
    )
    clean = np.full(cdc_pages[0].image.shape, 255, np.uint8)
    x0, y0, x1, y1 = (int(v * 200 / 72) for v in spec.region)  # type: ignore[union-attr]
    clean[y0 + 8 : y1 - 8, x0 + 10 : x0 + 150] = 0
    split = split_ink(clean, [spec], dpi=200)

    def word(text: str, x: int, confidence: float, top: int = 0) -> OcrWord:
        return OcrWord(text, confidence, (x0 + x, y0 + top, x0 + x + 30, y0 + 20), (1, 1, 1))

    # The page read 'HD' together with a mark above it, as 'rs': dropped as debris.
    page = (word("Wayne", 0, 0.95), word("Co.", 40, 0.95), word("rs", 80, 0.3, top=-20))
    first = ZoneReading("Wayne Co. rs", 0.73, (x0, y0, x1, y1), 900, page)
    again_words = (word("Wayne", 0, 0.94), word("Co.", 40, 0.94), word("HD", 80, 0.94))

    def reread(*args: object, **kwargs: object) -> ZoneReading:
        text = " ".join(w.text for w in again_words)
        return ZoneReading(text, 0.94, first.bbox, 900, again_words)

    monkeypatch.setattr(extractor, "reread_zone", reread)
    found = extractor._text_field(spec, first, clean, split, settings=settings, page_number=1)
    assert found.value == "Wayne Co. HD"
    # A reread that finds no more words than were kept does not replace a surer reading.
    again_words = (word("Wayne", 0, 0.8), word("Ca", 40, 0.8))
    found = extractor._text_field(spec, first, clean, split, settings=settings, page_number=1)
    assert found.value == "Wayne Co."  # an abbreviation's closing full stop, as read


# -- writing past its zone (issue #24): the real read path on a rendered CDC page ------


def _written(blank: np.ndarray, template, values) -> np.ndarray:  # type: ignore[no-untyped-def]
    """``blank`` with each value typed at a normal size for its writer, never shrunk to
    its zone: ``values`` maps a field to (text, Style)."""
    from PIL import Image, ImageDraw

    from tests.extract.synthetic import type_text

    pil = Image.fromarray(blank.copy())
    draw = ImageDraw.Draw(pil)
    specs = {s.name: s for s in template.fields}
    for name, (text, style) in values.items():
        type_text(draw, specs[name], text, dpi=200, style=style, blank=blank)
    return np.asarray(pil).copy()


SANS_10 = Style(font_index=4, size_pt=10)
DEJAVU_12 = Style(font_index=0, size_pt=12)


@pytest.mark.slow
def test_values_written_past_their_zones_are_read_whole(templates, cdc_pages, settings) -> None:  # type: ignore[no-untyped-def]
    """GIVEN a CDC page 1 with a health department's name (~60 pt past its zone), an
    11-character ID in 12 pt (two characters past its zone's reach) and a long e-mail
    address (~60 pt past its zone), next to ordinary values inside their zones, faxed
    WHEN the page is read THEN every value is read whole, nothing is reported cut, and
    the values inside their zones gain none of their neighbours' ink."""
    from extract.extractor import read_page

    template = templates[FormType.CDC_PUI_2020]
    values = {
        "reporting_jurisdiction": ("Michigan", SANS_10),
        "reporting_health_department": ("Barry County Health Dept", SANS_10),
        "contact_id": ("C-117", SANS_10),
        "case_state_local_id": ("MI201187345", DEJAVU_12),
        "nndss_case_id": ("N2020731", SANS_10),
        "interviewer_last_name": ("Richardson", SANS_10),
        "interviewer_email": ("margaret.richardson@washtenaw-health.org", SANS_10),
    }
    page = fax(_written(cdc_pages[0].image, template, values), seed=4)
    results, issues = read_page(
        page, cdc_pages[0], template.fields_on_page(1), settings=settings, page_number=1
    )
    read = {name: results[name].value for name in values}
    assert read == {
        "reporting_jurisdiction": "Michigan",
        "reporting_health_department": "Barry County Health Dept",
        "contact_id": "C-117",
        "case_state_local_id": "MI201187345",
        "nndss_case_id": "N2020731",
        "interviewer_last_name": "Richardson",
        "interviewer_email": "margaret.richardson@washtenaw-health.org",
    }
    assert not [i for i in issues if i.code == "truncated"]
    assert results["cdc_ncov_id#2"].value is None  # right of the department's overflow


THIN_FACES = {
    # a thin sans, broken into dust (pieces the residue keeps, each smaller than a glyph)
    "extralight": ("truetype/dejavu/DejaVuSans-ExtraLight.ttf", "fonts-dejavu-extra", 0.5),
    # a Courier, broken into specks too small for the residue, which drops them
    "courier": ("opentype/urw-base35/NimbusMonoPS-Regular.otf", "fonts-urw-base35", 0.4),
}


@pytest.mark.slow
@pytest.mark.parametrize(("face", "seed"), [("extralight", 1), ("courier", 1), ("courier", 2)])
def test_writing_a_fax_broke_into_dust_is_not_surely_blank(  # type: ignore[no-untyped-def]
    templates, cdc_pages, settings, face, seed
) -> None:
    """GIVEN a CDC page 1 with two IDs and a first name typed in a thin face (DejaVu Sans
    ExtraLight; Nimbus Mono PS, whose strokes are thinner than a pen's) and faxed pale,
    so that the threshold leaves only dust or specks of their strokes along the writing
    line, and every other text zone left blank under the same fax noise WHEN the page is
    read THEN nothing is made up from the specks (each zone reads blank), but at a
    confidence no threshold accepts, while the empty zones stay surely blank."""
    from extract.extractor import read_page
    from extract.template import CHECKBOX_KINDS
    from faxflow.settings import BLANK_WRITING
    from tests.extract.synthetic import pale_fax

    template = templates[FormType.CDC_PUI_2020]
    path, package, strength = THIN_FACES[face]
    font = Path("/usr/share/fonts") / path
    assert font.is_file(), f"{package} is missing: make test installs it"
    thin = Style(face=str(font), size_pt=10)
    values = {
        "contact_id": ("WI863869149-12", thin),
        "case_state_local_id": ("MI 744531", thin),
        "interviewer_first_name": ("Margaret", thin),
    }
    page = pale_fax(_written(cdc_pages[0].image, template, values), seed=seed, strength=strength)
    specs = template.fields_on_page(1)
    results, _ = read_page(page, cdc_pages[0], specs, settings=settings, page_number=1)
    for name in values:
        assert results[name].value is None
        assert results[name].confidence <= conf.BROKEN_WRITING_CONFIDENCE
        assert results[name].confidence < settings.confidence_thresholds[BLANK_WRITING]
    empty = [s.name for s in specs if s.region is not None and s.kind not in CHECKBOX_KINDS]
    empty = [name for name in empty if name not in values]
    assert len(empty) > 10
    assert {results[name].confidence for name in empty} == {conf.BLANK_CONFIDENCE}


@pytest.mark.parametrize("seed", [1, 2])
def test_a_fill_run_into_the_next_box_is_read_and_recorded(  # type: ignore[no-untyped-def]
    templates, cdc_pages, settings, seed
) -> None:
    """GIVEN a CDC page 1 whose sex is answered with a fill in 'female' drawn a third of a
    side low, over the gap into 'unknown', faxed WHEN the page is read THEN sex reads
    'female' at SPILLED_CONFIDENCE, and the reading over the second mark is recorded as
    provenance (blank -> value), for the reviewer to see why."""
    import cv2

    from extract.checkbox import SPILLED_CONFIDENCE
    from extract.extractor import read_page

    specs = templates[FormType.CDC_PUI_2020].fields_on_page(1)
    sex = next(s for s in specs if s.name == "sex")
    x0, y0, x1, y1 = (
        round(v * 200 / 72) for v in next(o.box for o in sex.options or [] if o.value == "female")
    )
    low = round((y1 - y0) / 3)
    image = cdc_pages[0].image.copy()
    cv2.rectangle(image, (x0, y0 + low), (x1, y1 + low), 0, -1)
    results, _ = read_page(
        fax(image, seed=seed), cdc_pages[0], specs, settings=settings, page_number=1
    )
    read = results["sex"]
    assert (read.value, read.confidence) == ("female", SPILLED_CONFIDENCE), read.raw_text
    assert "spilled:unknown" in (read.raw_text or "")
    assert [(p.step, p.before, p.after) for p in read.provenance] == [
        ("read.spilled_mark", None, "female")
    ]


def test_a_tick_broken_into_specks_is_read_and_recorded(templates, cdc_pages, settings) -> None:  # type: ignore[no-untyped-def]
    """GIVEN a CDC page 2 whose fever question is answered with a thin tick in 'no', faxed
    pale so that only specks of the tick are left WHEN the page is read THEN the answer is
    read at a confidence a person confirms, and the reading that made a value out of
    specks is recorded as the field's provenance; the other questions stay unanswered."""
    from extract.checkbox import FAINT_MARK_CONFIDENCE
    from extract.extractor import read_page
    from extract.template import FieldKind
    from tests.extract.hand_marks import draw_mark
    from tests.extract.synthetic import pale_fax

    template = templates[FormType.CDC_PUI_2020]
    specs = template.fields_on_page(2)
    fever = next(s for s in specs if s.name == "symptom_fever")
    box = next(o.box for o in fever.options or [] if o.value == "no")
    image = cdc_pages[1].image.copy()
    draw_mark(image, box, dpi=cdc_pages[1].dpi, style="thin_tick", rng=np.random.default_rng(3))
    page = pale_fax(image, seed=3, strength=0.4)
    results, _ = read_page(page, cdc_pages[1], specs, settings=settings, page_number=2)
    read = results["symptom_fever"]
    assert (read.value, read.confidence) == ("no", FAINT_MARK_CONFIDENCE), read.raw_text
    assert [(p.step, p.before, p.after) for p in read.provenance] == [
        ("read.faint_mark", None, "no")
    ]
    others = [s.name for s in specs if s.kind is FieldKind.CHOICE and s.name != "symptom_fever"]
    assert all(results[name].value is None for name in others)
    assert not any(results[name].provenance for name in others)


@pytest.mark.slow
def test_an_amount_whose_decimal_point_the_fax_lost_is_not_sure(templates, settings) -> None:  # type: ignore[no-untyped-def]
    """GIVEN a benefit form's page 4 with the monthly income typed with its cents apart
    ('1,403 42': the decimal point lost, as a fax loses a thin dot), and the cash assets
    typed whole WHEN the page is read THEN the income keeps the dollars read but at a
    confidence no one would trust, as its cents are not in it, and the whole amount
    stays sure."""
    from extract.extractor import read_page
    from extract.reference import reference_pages

    template = templates[FormType.MDHHS_DHS1171]
    page4 = next(p for p in reference_pages(template, dpi=200) if p.number == 4)
    values = {
        "monthly_gross_income": ("1,403 42", SANS_10),
        "total_cash_assets": ("2,310.55", SANS_10),
    }
    page = fax(_written(page4.image, template, values), seed=2)
    results, _ = read_page(
        page, page4, template.fields_on_page(4), settings=settings, page_number=4
    )
    income = results["monthly_gross_income"]
    assert income.raw_text is not None and "42" in income.raw_text
    assert income.confidence <= conf.DIGITS_LEFT_OUT_CONFIDENCE
    assert results["total_cash_assets"].value == 2310.55
    assert results["total_cash_assets"].confidence > conf.DIGITS_LEFT_OUT_CONFIDENCE


@pytest.mark.slow
def test_separators_people_write_are_kept(templates, cdc_pages, settings) -> None:  # type: ignore[no-untyped-def]
    """GIVEN a faxed CDC page 1 with a state ID typed 'IN 987934' (a space between the
    letter prefix and the number, as people write it) and a health department typed 'Kent
    Co. Health Dept.', next to an ID and an affiliation with neither
    WHEN the page is read THEN the space and the abbreviation's full stop, which OCR read,
    are kept as written, and none is made up where it was not written."""
    from extract.extractor import read_page

    template = templates[FormType.CDC_PUI_2020]
    values = {
        "case_state_local_id": "IN 987934",
        "cdc_ncov_id": "MI903143906",
        "reporting_health_department": "Kent Co. Health Dept.",
        "interviewer_affiliation": "Barry County Health Department",
    }
    written = {name: (text, SANS_10) for name, text in values.items()}
    page = fax(_written(cdc_pages[0].image, template, written), seed=3)
    results, _ = read_page(
        page, cdc_pages[0], template.fields_on_page(1), settings=settings, page_number=1
    )
    assert {name: results[name].value for name in values} == values


@pytest.mark.slow
def test_values_cut_by_a_label_or_the_page_edge_are_truncated(
    templates, cdc_pages, settings
) -> None:  # type: ignore[no-untyped-def]
    """GIVEN an affiliation written on over the printed 'Telephone', a health department
    written into the printed 'CDC 2019-nCoV ID:' and an e-mail address running off the
    page's edge WHEN the page is read THEN each is reported ``truncated`` with a
    confidence no threshold accepts, and the telephone number beside the label is read
    as written and not reported."""
    from extract import confidence as conf
    from extract.extractor import read_page

    template = templates[FormType.CDC_PUI_2020]
    values = {
        "reporting_health_department": ("Washtenaw County Health Dept.", SANS_10),
        "interviewer_affiliation": ("Washtenaw County Health Department", SANS_10),
        "interviewer_telephone": ("517-555-0142", Style(font_index=0, size_pt=10)),
        "interviewer_email": ("margaret.richardson@washtenaw-health.org", DEJAVU_12),
    }
    page = fax(_written(cdc_pages[0].image, template, values), seed=5)
    results, issues = read_page(
        page, cdc_pages[0], template.fields_on_page(1), settings=settings, page_number=1
    )
    cut = {i.field for i in issues if i.code == "truncated"}
    assert cut == {"reporting_health_department", "interviewer_affiliation", "interviewer_email"}
    for name in cut:
        assert results[name].confidence <= conf.TRUNCATED_CONFIDENCE
        assert results[name].confidence < min(settings.confidence_thresholds.values())
    assert results["interviewer_telephone"].value == "5175550142"
    assert results["interviewer_telephone"].confidence > 0.5


@pytest.mark.slow
def test_a_date_written_unevenly_as_read_is_not_sure(templates, cdc_pages, settings) -> None:  # type: ignore[no-untyped-def]
    """GIVEN a date read with its month zero-padded and its day a single digit (how a
    day's touching 1 or lost digit reads: '07/3/2020' for 07/31/2020) and one written
    evenly, faxed WHEN the page is read THEN both are read as written, the uneven one
    at a confidence no threshold accepts, the even one surer."""
    from extract.extractor import read_page

    template = templates[FormType.CDC_PUI_2020]
    values = {
        "report_date_pui": ("07/3/2020", DEJAVU_12),
        "report_date_case": ("07/03/2020", DEJAVU_12),
    }
    page = fax(_written(cdc_pages[0].image, template, values), seed=6)
    results, _ = read_page(
        page, cdc_pages[0], template.fields_on_page(1), settings=settings, page_number=1
    )
    uneven, even = results["report_date_pui"], results["report_date_case"]
    assert uneven.value == even.value == "2020-07-03"
    assert uneven.confidence <= conf.UNEVEN_DATE_CONFIDENCE
    assert even.confidence > conf.UNEVEN_DATE_CONFIDENCE


@pytest.mark.slow
def test_a_zone_whose_writing_joined_the_line_above_is_not_surely_blank(
    templates, cdc_pages, settings
) -> None:  # type: ignore[no-untyped-def]
    """GIVEN a state written in capitals so large (20 pt) that they touch the county
    written on the line above, faxed, WHEN the page is read THEN the capitals, one stroke
    with the county, go with the county's zone and the state's zone holds none of its own
    writing; it is not read as surely blank (it was, at 0.97, and would have been
    auto-accepted) but at most CROSSED_BLANK_CONFIDENCE, for a person to see. A state
    left blank under the same county stays surely blank."""
    from extract.extractor import read_page

    template = templates[FormType.CDC_PUI_2020]
    county = ("Marquette", Style(font_index=2, size_pt=14))
    specs = template.fields_on_page(1)
    joined = fax(
        _written(
            cdc_pages[0].image,
            template,
            {"county_of_residence": county, "state_of_residence": ("MI", Style(2, 20))},
        ),
        seed=4,
    )
    results, _ = read_page(joined, cdc_pages[0], specs, settings=settings, page_number=1)
    state = results["state_of_residence"]
    assert state.value is None
    assert state.confidence <= conf.CROSSED_BLANK_CONFIDENCE
    alone = fax(_written(cdc_pages[0].image, template, {"county_of_residence": county}), seed=4)
    results, _ = read_page(alone, cdc_pages[0], specs, settings=settings, page_number=1)
    assert results["state_of_residence"].value is None
    assert results["state_of_residence"].confidence == conf.BLANK_CONFIDENCE


def test_a_doubtful_person_block_between_two_people_keeps_every_place() -> None:
    """GIVEN four person blocks: two people, a third whose name was read doubtfully
    (0.48, one other answer: alone it is no person), a fourth person, and fax noise in
    the fifth WHEN the record's list is made THEN it holds the first four blocks in their
    places and not the noise. The doubtful block was left out, so the fourth person took
    the third place, and a correction of block 4's name landed on a new, fifth entry."""
    from extract.extractor import filled_blocks
    from faxflow.model import FieldResult

    def block(name: str | None, **others: str) -> dict[str, str | None]:
        values: dict[str, str | None] = {"full_name": name, "birth_date": None, "sex": None}
        values["relationship"] = None
        values.update(others)
        return values

    blocks = {
        0: block("Wendy Kim", relationship="mother", sex="female"),
        1: block("Jaclyn Kim", relationship="partner", birth_date="1942-08-13"),
        2: block("Ian KiM", relationship="husband"),
        3: block("Anthony Patterson", relationship="friend", sex="male"),
        4: block("Fey"),
    }
    sure = {0: 0.96, 1: 0.95, 2: 0.48, 3: 0.96, 4: 0.84}
    names = {i: FieldResult(value=b["full_name"], confidence=sure[i]) for i, b in blocks.items()}
    assert filled_blocks(blocks, names) == [blocks[0], blocks[1], blocks[2], blocks[3]]
    # without the fourth person, the doubtful block is the list's end, and no person
    assert filled_blocks({i: blocks[i] for i in (0, 1, 2)}, names) == [blocks[0], blocks[1]]
    assert filled_blocks({4: blocks[4]}, names) == []
