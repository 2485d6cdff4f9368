"""Japanese zones read end to end: a small page printed and filled in with IPAGothic,
read by the real read path (residue, one Tesseract call per language, rereads,
normalisers) and assembled into a record (the era choice gives the birth date its era).

GIVEN a blank strip of a Japanese form (labels, 〒, 令和　年　月　日, era squares) and
the same strip written in WHEN its page is read THEN every field holds its normal form."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from extract.extractor import _assemble, read_page
from extract.reference import POINTS_PER_INCH, ReferencePage
from extract.template import FormTemplate
from faxflow.settings import Settings
from tests.builders import one_page_template

IPAGOTHIC = Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf")
DPI = 200
SIZE = (612, 280)  # points: a strip of a page
ERA_BOXES = {"showa": 90.0, "heisei": 140.0, "reiwa": 190.0}

pytestmark = pytest.mark.skipif(not IPAGOTHIC.is_file(), reason="fonts-ipafont is not installed")


def _px(value: float) -> int:
    return round(value * DPI / POINTS_PER_INCH)


def _text(draw: ImageDraw.ImageDraw, x: float, y: float, text: str, size_pt: float) -> None:
    face = ImageFont.truetype(str(IPAGOTHIC), _px(size_pt))
    draw.text((_px(x), _px(y)), text, font=face, fill=0)


def _rule(draw: ImageDraw.ImageDraw, x0: float, x1: float, y: float) -> None:
    draw.line([(_px(x0), _px(y)), (_px(x1), _px(y))], fill=0, width=2)


def _blank() -> Image.Image:
    page = Image.new("L", (_px(SIZE[0]), _px(SIZE[1])), 255)
    draw = ImageDraw.Draw(page)
    _text(draw, 20, 32, "フリガナ", 9)
    _rule(draw, 90, 400, 50)
    _text(draw, 20, 72, "〒", 11)
    _rule(draw, 40, 200, 90)
    _text(draw, 20, 112, "届出日", 9)
    for x, printed in ((90, "令和"), (150, "年"), (200, "月"), (250, "日")):
        _text(draw, x, 112, printed, 11)
    _text(draw, 20, 152, "生年月日", 9)
    for era, x in ERA_BOXES.items():
        draw.rectangle([_px(x), _px(154), _px(x + 9), _px(163)], outline=0, width=2)
        _text(draw, x + 12, 152, {"showa": "昭和", "heisei": "平成", "reiwa": "令和"}[era], 9)
    for x, printed in ((290, "年"), (340, "月"), (390, "日")):
        _text(draw, x, 152, printed, 11)
    _text(draw, 20, 192, "都道府県", 9)
    _rule(draw, 90, 220, 210)
    _text(draw, 20, 232, "住所", 9)
    _rule(draw, 90, 500, 250)
    return page


WRITTEN = {
    "furigana": (100, 32, "ヤマダ　タロウ"),
    "postal_code": (50, 72, "100-0013"),
    "report_date#y": (128, 112, "3"),
    "report_date#m": (180, 112, "4"),
    "report_date#d": (230, 112, "5"),
    "birth_date#y": (268, 152, "40"),
    "birth_date#m": (320, 152, "3"),
    "birth_date#d": (370, 152, "2"),
    "prefecture": (100, 192, "東京"),
    "address": (100, 232, "千代田区霞が関1-2-2"),
}


SETO = Path("/usr/share/fonts/truetype/seto/setofont.ttf")  # hand-printed style


def _filled(face: Path = IPAGOTHIC) -> Image.Image:
    page = _blank()
    draw = ImageDraw.Draw(page)
    written = ImageFont.truetype(str(face), _px(11))
    for x, y, text in WRITTEN.values():
        draw.text((_px(x), _px(y)), text, font=written, fill=0)
    x = ERA_BOXES["showa"]  # an X in 昭和's square
    draw.line([(_px(x + 1), _px(155)), (_px(x + 8), _px(162))], fill=0, width=3)
    draw.line([(_px(x + 8), _px(155)), (_px(x + 1), _px(162))], fill=0, width=3)
    return page


def _template(folder: Path) -> FormTemplate:
    string: dict[str, Any] = {"type": ["string", "null"]}
    properties = {
        "furigana": {**string, "format": "katakana"},
        "postal_code": {**string, "format": "jp_postal"},
        "report_date": {**string, "format": "date"},
        "birth_date": {**string, "format": "date"},
        "birth_era": {**string, "enum": [*ERA_BOXES, None]},
        "prefecture": {**string, "format": "prefecture"},
        "address": string,
    }
    options = [{"value": era, "box": [x, 154, x + 9, 163]} for era, x in ERA_BOXES.items()]
    fields = [
        {"name": "furigana", "kind": "katakana", "region": [90, 28, 400, 50]},
        {"name": "postal_code", "kind": "jp_postal", "region": [40, 68, 200, 90]},
        {"name": "report_date", "kind": "era_date", "era": "reiwa", "region": [85, 108, 270, 130]},
        {
            "name": "birth_date",
            "kind": "era_date",
            "era_field": "birth_era",
            "region": [262, 148, 410, 170],
        },
        {"name": "birth_era", "kind": "choice", "options": options},
        {"name": "prefecture", "kind": "prefecture", "region": [90, 188, 220, 210]},
        {"name": "address", "kind": "text", "lang": "jpn", "region": [90, 228, 500, 250]},
    ]
    return one_page_template(folder, properties, fields)


@pytest.mark.parametrize("face", [IPAGOTHIC, SETO], ids=["typed", "hand_printed"])
def test_a_japanese_page_reads_into_normal_forms(
    tmp_path: Path, settings: Settings, face: Path
) -> None:
    if not face.is_file():
        pytest.skip(f"{face} is not installed")
    template = _template(tmp_path)
    reference = ReferencePage("test_pack", 1, np.asarray(_blank()), DPI)
    started = time.perf_counter()
    results, issues = read_page(
        np.asarray(_filled(face)), reference, template.fields, settings=settings, page_number=1
    )
    seconds = time.perf_counter() - started
    record, fields, more = _assemble(template, results)
    assert record == {
        "furigana": "ヤマダ タロウ",
        "postal_code": "100-0013",
        "report_date": "2021-04-05",
        "birth_date": "1965-03-02",  # 昭和40年3月2日
        "birth_era": "showa",
        "prefecture": "東京都",
        "address": "千代田区霞が関1-2-2",
    }
    assert issues == [] and more == []
    born = fields["birth_date"]
    assert [p.step for p in born.provenance][-1] == "normalise.era_field"
    assert born.confidence <= fields["birth_era"].confidence
    assert seconds < 20  # a handful of Tesseract calls, not one per character


def test_zones_of_one_language_share_one_call(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's zones are read in one sparse-text call per language (jpn for katakana,
    prefecture, era dates and the address; the settings' eng for the postal code)."""
    import ocr.tesseract

    calls: list[tuple[str | None, int]] = []
    real = ocr.tesseract.read_words

    def spy(image: np.ndarray, **kwargs: Any) -> Any:
        calls.append((kwargs.get("lang"), kwargs.get("psm", 6)))
        return real(image, **kwargs)

    monkeypatch.setattr(ocr.tesseract, "read_words", spy)
    template = _template(tmp_path)
    reference = ReferencePage("test_pack", 1, np.asarray(_blank()), DPI)
    read_page(np.asarray(_filled()), reference, template.fields, settings=settings, page_number=1)
    assert sorted(lang or "" for lang, psm in calls if psm == 11) == ["eng", "jpn"]


def test_doubtful_japanese_zones_are_read_again_in_one_call(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Zones read again together, stacked on one canvas, read as each would alone."""
    import ocr.tesseract
    from extract.extractor import _masks_of
    from extract.read import new_ink, read_text_zones, reread_together, residue_from_ink

    template = _template(tmp_path)
    page = np.asarray(_filled())
    reference = ReferencePage("test_pack", 1, np.asarray(_blank()), DPI)
    written = new_ink(page, _masks_of(reference))
    specs = [s for s in template.fields if s.region is not None]
    _, split = read_text_zones(
        residue_from_ink(written), specs, settings=settings, dpi=DPI, page=page
    )
    calls: list[int] = []
    real = ocr.tesseract.read_words

    def spy(image: np.ndarray, **kwargs: Any) -> Any:
        calls.append(kwargs.get("psm", 6))
        return real(image, **kwargs)

    monkeypatch.setattr(ocr.tesseract, "read_words", spy)
    names = ["furigana", "prefecture", "address"]
    reread_together(split, dict.fromkeys(names), settings=settings, dpi=DPI)
    assert calls == [4]
    texts = {name: split.rereads[(name, None, 7, True)].text for name in names}
    assert texts == {
        "furigana": "ヤマダ タロウ",
        "prefecture": "東京",
        "address": "千代田区霞が関1-2-2",
    }


@pytest.mark.parametrize(("written", "clean"), [("090-1234-5/78", False), ("090-1234-5678", True)])
def test_a_phone_read_with_a_mark_among_its_digits_is_not_trusted(
    tmp_path: Path, settings: Settings, written: str, clean: bool
) -> None:
    """GIVEN a mobile number written with a '/' where a 7 belongs (as OCR reads a faint 7)
    WHEN its zone is read THEN the number, whatever digits it keeps, is capped below
    auto-acceptance and says how it was reached; the same number written clean is not."""
    from extract import confidence as conf

    blank = Image.new("L", (_px(SIZE[0]), _px(80)), 255)
    draw = ImageDraw.Draw(blank)
    _text(draw, 20, 32, "電話", 9)
    _rule(draw, 90, 300, 50)
    filled = blank.copy()
    _text(ImageDraw.Draw(filled), 100, 32, written, 11)
    template = one_page_template(
        tmp_path,
        {"phone": {"type": ["string", "null"], "format": "jp_phone"}},
        [{"name": "phone", "kind": "jp_phone", "region": [90, 28, 300, 50]}],
    )
    reference = ReferencePage("test_phone_strip", 1, np.asarray(blank), DPI)  # own masks
    results, _ = read_page(
        np.asarray(filled), reference, template.fields, settings=settings, page_number=1
    )
    phone = results["phone"]
    if clean:
        assert phone.value == "09012345678"
        assert phone.confidence > conf.DISPUTED_DIGITS_CONFIDENCE
    else:
        assert phone.confidence <= conf.DISPUTED_DIGITS_CONFIDENCE
        steps = [p.step for p in phone.provenance]
        if phone.value is not None and "/" in (phone.raw_text or ""):
            assert phone.confidence <= conf.JP_PHONE_DROPPED_CONFIDENCE
            assert steps == ["normalise"]  # raw '090-1234-5/78' → its digits
        elif phone.value is not None:
            assert steps[0] == "reread.alone"  # the digits-only reread's number


def test_a_dashed_rule_in_a_blank_zone_is_no_writing_and_a_written_mark_stays(
    tmp_path: Path, settings: Settings
) -> None:
    """GIVEN a strip whose first zone holds only a dashed leader (a form's dotted rule, a
    fax streak), which the jpn model reads as 一一一 or ーーー, and whose second zone holds
    タワー with its prolonged mark, WHEN the strip is read THEN the first zone is blank and
    the second keeps its ー."""
    blank = Image.new("L", (_px(SIZE[0]), _px(80)), 255)
    draw = ImageDraw.Draw(blank)
    _text(draw, 20, 32, "所在地", 9)
    _rule(draw, 90, 500, 50)
    _text(draw, 20, 62, "施設名", 9)
    _rule(draw, 90, 500, 78)
    filled = blank.copy()
    pen = ImageDraw.Draw(filled)
    for x in range(100, 480, 14):
        pen.line([(_px(x), _px(40)), (_px(x + 8), _px(40))], fill=0, width=2)
    _text(pen, 100, 60, "中央タワー", 11)
    string: dict[str, Any] = {"type": ["string", "null"]}
    template = one_page_template(
        tmp_path,
        {"whereabouts": string, "facility": string},
        [
            {"name": "whereabouts", "kind": "text", "lang": "jpn", "region": [90, 28, 500, 50]},
            {"name": "facility", "kind": "text", "lang": "jpn", "region": [90, 56, 500, 78]},
        ],
    )
    reference = ReferencePage("test_dash_strip", 1, np.asarray(blank), DPI)
    results, _ = read_page(
        np.asarray(filled), reference, template.fields, settings=settings, page_number=1
    )
    assert results["whereabouts"].value is None
    assert results["facility"].value == "中央タワー"


def test_writing_no_word_covers_is_found_and_caps_nothing_when_all_is_read(
    settings: Settings,
) -> None:
    """GIVEN a name zone with 山本　加奈 written and read WHEN a reading covers every
    character THEN no writing is left unread; WHEN its last character's run is missing
    (Tesseract passing over 奈, as it did on a tune fax, at 0.91) THEN the zone's ink that
    no word covers is found; a speck of fax noise beside the name is not writing."""
    from extract.read import read_text_zones, unread_ink
    from extract.template import FieldKind, FieldSpec

    page = Image.new("L", (_px(SIZE[0]), _px(60)), 255)
    pen = ImageDraw.Draw(page)
    _text(pen, 100, 20, "山本　加奈", 11)
    pen.rectangle([_px(300), _px(26), _px(300) + 2, _px(26) + 2], fill=0)  # a fax speck
    spec = FieldSpec(name="name", page=1, kind=FieldKind.TEXT, region=(90, 16, 400, 40))
    spec = spec.model_copy(update={"lang": "jpn"})
    clean = np.asarray(page)
    readings, split = read_text_zones(clean, [spec], settings=settings, dpi=DPI)
    words = readings["name"].words
    assert readings["name"].text.replace(" ", "") == "山本加奈"
    assert not unread_ink(split, 0, words)
    rightmost = max(w.bbox[2] for w in words)
    assert unread_ink(split, 0, [w for w in words if w.bbox[2] < rightmost])


def _flickering_streak(page: np.ndarray, x: int, seed: int) -> None:
    """A fax streak down the whole of ``page`` from column ``x``, two columns wide and
    drifting left as paper fed askew, inked on and off as dirt on the scanner glass inks
    it: runs of a few dozen rows, gaps of up to about ten."""
    rng = np.random.default_rng(seed)
    row = 0
    while row < page.shape[0]:
        run = int(rng.integers(10, 61))
        for y in range(row, min(row + run, page.shape[0])):
            left = x - y // 90
            page[y, left : left + 2] = 0
        row += run + int(rng.integers(1, 11))


def test_a_flickering_fax_streak_beside_a_word_leaves_its_cell_as_written(
    tmp_path: Path, settings: Settings
) -> None:
    """GIVEN a table of relationships (one cell a row, rules between the rows) with 子 and
    妻 written in two cells, and a fax streak that dirt inks on and off running down the
    table beside them, WHEN the page is read THEN the streak is no writing and each cell
    reads as written. Its pieces between gaps were each too short to be a streak: one in a
    cell stretched the cell's writing over the rules above and below, given back to
    Tesseract as underlines, and a typed 子 read as nothing."""
    rows = (40.0, 62.0, 84.0, 106.0)  # the rules, 22 pt apart as on the cash payment form
    blank = Image.new("L", (_px(300), _px(130)), 255)
    draw = ImageDraw.Draw(blank)
    for y in rows:
        _rule(draw, 60, 260, y)
    filled = blank.copy()
    pen = ImageDraw.Draw(filled)
    _text(pen, 80, 44, "子", 11)
    _text(pen, 80, 88, "妻", 11)
    page = np.asarray(filled).copy()
    _flickering_streak(page, _px(200), seed=3)
    string: dict[str, Any] = {"type": ["string", "null"]}
    cells = {"first": (44.0, 60.0), "second": (66.0, 82.0), "third": (88.0, 104.0)}
    template = one_page_template(
        tmp_path,
        dict.fromkeys(cells, string),
        [
            {"name": name, "kind": "text", "lang": "jpn", "region": [60, top, 260, bottom]}
            for name, (top, bottom) in cells.items()
        ],
    )
    reference = ReferencePage("test_table_strip", 1, np.asarray(blank), DPI)
    results, _ = read_page(page, reference, template.fields, settings=settings, page_number=1)
    assert {name: results[name].value for name in cells} == {
        "first": "子",
        "second": None,
        "third": "妻",
    }


def test_writing_a_fax_streak_runs_along_is_doubted_and_writing_it_passes_is_not(
    tmp_path: Path, settings: Settings
) -> None:
    """GIVEN two zones, one with a number (第, a digit one, 号) and a fax streak down the
    column of the one's stroke, the other with 山田 and a streak down its empty end, WHEN
    the page is read THEN the first zone's value, however read, is capped (the streak is
    taken out of the ink and the one's stroke with it: read as 第号, surely, uncapped) and
    the second keeps its value and its confidence above that cap."""
    from extract import confidence as conf

    blank = Image.new("L", (_px(SIZE[0]), _px(100)), 255)
    draw = ImageDraw.Draw(blank)
    _text(draw, 20, 32, "番号", 9)
    _rule(draw, 90, 400, 50)
    _text(draw, 20, 72, "氏名", 9)
    _rule(draw, 90, 400, 90)
    filled = blank.copy()
    pen = ImageDraw.Draw(filled)
    _text(pen, 100, 32, "第", 11)
    _text(pen, 100 + 11, 32, "1", 11)
    _text(pen, 100 + 11 + 7, 32, "号", 11)
    _text(pen, 200, 72, "山田", 11)  # off the 1's column
    page = np.asarray(filled).copy()
    one = page[: _px(50), _px(111) : _px(118)] < 128  # the columns of the 1
    stroke = _px(111) + int(np.argmax(one.sum(axis=0)))
    page[:, stroke : stroke + 2] = 0  # along the 1's stroke, top to bottom
    page[:, _px(300) : _px(300) + 2] = 0  # through the empty end of both zones
    string: dict[str, Any] = {"type": ["string", "null"]}
    template = one_page_template(
        tmp_path,
        {"number": string, "name": string},
        [
            {"name": "number", "kind": "text", "lang": "jpn", "region": [90, 28, 400, 50]},
            {"name": "name", "kind": "text", "lang": "jpn", "region": [90, 68, 400, 90]},
        ],
    )
    reference = ReferencePage("test_streak_strip", 1, np.asarray(blank), DPI)
    results, _ = read_page(page, reference, template.fields, settings=settings, page_number=1)
    assert results["number"].confidence <= conf.STREAK_CROSSED_CONFIDENCE
    assert results["name"].value == "山田"
    assert results["name"].confidence > conf.STREAK_CROSSED_CONFIDENCE
