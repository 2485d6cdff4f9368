"""Copies of a Japanese form pack: values in the record's normal forms, written in CJK
faces onto the rendered blank, era dates that fall in their era and read back, and split
fonts kept apart."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import unicodedata
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import yaml

from extract.japanese import is_my_number, normalise_era_date
from faxflow.packs import FormPack, load_pack
from samples.pack_fill import draw_record, render_pages
from samples.pack_jp import (
    ERAS,
    _ages_from_birth,
    age_on,
    date_parts,
    era_and_year,
    era_end,
    is_japanese,
    japanese_pages,
)
from samples.splits import (
    HAND_PRINTED,
    TYPED,
    JapaneseHand,
    SplitsFile,
    draw_japanese_hand,
    font_face,
    load_splits,
)
from tests.samples.jp_pack import make_japanese_pack

KATAKANA = re.compile(r"^[\u30a1-\u30fa\u30fc]+( [\u30a1-\u30fa\u30fc]+)*$")
DPI = 200


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> FormPack:
    return load_pack(make_japanese_pack(tmp_path_factory.mktemp("packs")))


def _full_record(pack: FormPack) -> dict[str, object]:
    """A drawn record with every field given a value (seeds until each was drawn once)."""
    record: dict[str, object] = {}
    for seed in range(60):
        for name, value in draw_record(pack, np.random.default_rng(seed)).items():
            if record.get(name) in (None, False) and value not in (None, False):
                record[name] = value
    birth = date.fromisoformat(str(record["birth_date"]))
    record["birth_era"] = era_and_year(birth)[0].name  # the era box of the birth date drawn
    return record


def _hand(split: str, writing: str) -> JapaneseHand:
    spec = load_splits()[split].spec
    fonts = spec.jp_typed_fonts if writing == TYPED else spec.jp_hand_fonts
    path, index = font_face(fonts[-1])
    drift = 0.0 if writing == TYPED else spec.jp_hand_drift[1]
    size = 0.0 if writing == TYPED else spec.jp_hand_char_size
    return JapaneseHand(writing, path, index, 11.0, size, drift, "x")


def test_records_hold_normal_forms(pack: FormPack) -> None:
    assert is_japanese(pack)
    seen: set[str] = set()
    for seed in range(30):
        record = draw_record(pack, np.random.default_rng(seed))
        assert set(record) == set(pack.schema["properties"])
        for name, value in record.items():
            if value is None or isinstance(value, bool):
                continue
            seen.add(name)
            if name in {"report_date", "birth_date"}:
                assert date.fromisoformat(str(value)) <= date.today()
            elif name == "postal_code":
                assert re.fullmatch(r"\d{3}-\d{4}", str(value))
            elif name == "phone":
                assert re.fullmatch(r"0\d{9,10}", str(value))
            elif name == "patient_name_kana":
                assert KATAKANA.match(str(value))
            elif name == "bank_account":
                assert re.fullmatch(r"\d{7}", str(value))
            elif isinstance(value, str):  # free text: NFKC, one space between words
                assert value == " ".join(unicodedata.normalize("NFKC", value).split())
        if record["birth_date"] and record["report_date"]:  # rules.yaml's date_order
            assert record["birth_date"] <= record["report_date"]
        if record["birth_date"]:
            born = date.fromisoformat(record["birth_date"])
            assert record["birth_era"] == era_and_year(born)[0].name
        else:
            assert record["birth_era"] is None
    assert seen == set(pack.schema["properties"]) - {"fever"}


@pytest.mark.parametrize(
    ("split", "writing", "wide"),
    [("tune", TYPED, False), ("locked", TYPED, True), ("locked", HAND_PRINTED, False)],
)
def test_a_filled_copy_has_ink_in_every_zone_written(
    pack: FormPack, split: str, writing: str, wide: bool
) -> None:
    """GIVEN a record with every field WHEN it is written in a split's typed or hand face
    THEN each zone (and each comb cell, date gap and ticked box) holds new ink, and
    nothing else on the page changed much."""
    record = _full_record(pack)
    blank = render_pages(pack.template.pdf_path.read_bytes(), DPI)[0].astype(int)
    hand = dataclasses.replace(_hand(split, writing), full_width=wide)
    page = japanese_pages(pack, record, dpi=DPI, hand=hand, rng=np.random.default_rng(1))[0]
    page = page.astype(int)
    new_ink = (blank - page) > 100
    scale = DPI / 72

    def inked(box: tuple[float, ...], pad: float = 2.0) -> int:
        x0, top, x1, bottom = (round(v * scale) for v in box)
        margin = round(pad * scale)
        return int(new_ink[top - margin : bottom + margin, x0 - margin : x1 + margin].sum())

    for spec in pack.template.fields:
        if spec.options:
            for option in spec.options:
                marked = option.value == record[spec.name] or (
                    option.value is True and record[spec.name] is True
                )
                assert (inked(option.box, pad=4) > 15) == marked, (spec.name, option.value)
        elif spec.boxes:
            assert all(inked(cell) > 15 for cell in spec.boxes), spec.name
        else:
            assert inked(spec.region) > 80, spec.name
    assert new_ink.sum() < 0.05 * new_ink.size


@pytest.mark.slow
def test_typed_and_hand_printed_names_read_back_as_japanese(pack: FormPack, tmp_path: Path):
    """The drawn glyphs are the name's characters, not boxes for missing glyphs:
    Tesseract's jpn model reads the typed name and most of the hand-printed one."""
    from PIL import Image

    record = {name: None for name in pack.schema["properties"]}
    record["patient_name"] = "山田 花子"
    region = next(s.region for s in pack.template.fields if s.name == "patient_name")
    assert region is not None
    for writing, least in ((TYPED, 4), (HAND_PRINTED, 2)):
        page = japanese_pages(
            pack, record, dpi=300, hand=_hand("tune", writing), rng=np.random.default_rng(2)
        )[0]
        x0, top, x1, bottom = (round(v * 300 / 72) for v in region)
        inset = 8  # the zone's printed frame would be read as a line of strokes
        crop = tmp_path / f"{writing}.png"
        Image.fromarray(page[top + inset : bottom - inset, x0 + inset : x1 - inset]).save(crop)
        read = subprocess.run(
            ["tesseract", str(crop), "-", "-l", "jpn", "--psm", "7"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert sum(char in read for char in "山田花子") >= least, writing


def test_era_dates_fall_in_their_era_and_read_back(pack: FormPack) -> None:
    """Every drawn era date lies inside a real era (the printed one for the report date,
    one the era choice offers for the birth date, which is ticked), and its written era
    (printed, ticked or written) and digits give the same date back."""
    specs = {spec.name: spec for spec in pack.template.fields}
    dates, eras, first_years = 0, set(), 0
    for seed in range(80):
        record = draw_record(pack, np.random.default_rng(seed))
        for name in ("report_date", "birth_date", "onset_date"):
            if record[name] is None:
                continue
            dates += 1
            day = date.fromisoformat(record[name])
            era = era_and_year(day)[0]
            eras.add(era.name)
            assert era.start <= day <= era_end(era)
            written_era, written_year, month, written_day = date_parts(specs[name], record[name])
            shown = {"report_date": "reiwa", "birth_date": record["birth_era"]}.get(name)
            assert written_era == ("" if shown else era.kanji)
            assert shown in (None, era.name)
            year = 1 if written_year == "元" else int(written_year)
            assert (written_year == "元") == (era_and_year(day)[1] == 1)  # 元年, never 1年
            back = date(era.western_year(year), int(month), int(written_day))
            assert back == day
            first_years += written_year == "元"
    assert dates > 80
    assert first_years >= 3  # drawn on purpose (FIRST_YEAR_SHARE), not once in 50
    assert {"showa", "heisei", "reiwa"} <= eras and "meiji" not in eras  # births to 90 back
    assert [era.start for era in ERAS] == sorted(era.start for era in ERAS)


def test_era_dates_round_trip_through_the_reader(pack: FormPack) -> None:
    """The reader's era-date normaliser (extract.japanese) turns what the generator writes
    (the digits of the gaps with the printed or ticked era, or the era written whole) into
    the truth's ISO date."""
    specs = {spec.name: spec for spec in pack.template.fields}
    for seed in range(40):
        record = draw_record(pack, np.random.default_rng(seed))
        for name in ("report_date", "birth_date", "onset_date"):
            if record[name] is None:
                continue
            era, year, month, day = date_parts(specs[name], record[name])
            written = f"{era}{year}年{month}月{day}日"
            shown = {"report_date": "reiwa", "birth_date": record["birth_era"]}.get(name)
            assert normalise_era_date(written, shown) == record[name], written


def test_ages_are_the_birth_dates_at_diagnosis() -> None:
    """GIVEN the notification pack (診断時の年齢, years or months) WHEN records are drawn
    THEN each age is the birth date's full years at the day of diagnosis (else of the
    report), in months under one year."""
    pack = load_pack(Path(__file__).resolve().parents[2] / "forms" / "jp_covid19_notification")
    checked = 0
    for seed in range(60):
        record = draw_record(pack, np.random.default_rng(seed))
        on = record["diagnosis_date"] or record["report_date"]
        if record["age"] is None or record["birth_date"] is None or on is None:
            continue
        years, months = age_on(date.fromisoformat(record["birth_date"]), date.fromisoformat(on))
        if record["age_unit"] == "months":
            assert years < 1 and record["age"] == months
        else:
            assert record["age"] == years
        checked += 1
    assert checked >= 10


def test_an_infants_age_is_in_months() -> None:
    properties = {"age": {}, "age_unit": {"enum": ["years", "months", None]}}
    record = {
        "age": 7,
        "age_unit": None,
        "birth_date": "2025-01-20",
        "diagnosis_date": "2025-09-10",
    }
    _ages_from_birth(record, properties)
    assert (record["age"], record["age_unit"]) == (7, "months")
    record = {
        "age": 3,
        "age_unit": "months",
        "birth_date": "2020-01-20",
        "report_date": "2025-01-19",
    }
    _ages_from_birth(record, properties)
    assert (record["age"], record["age_unit"]) == (4, "years")


def test_my_numbers_carry_their_check_digit() -> None:
    """Drawn My Numbers pass the reader's check (extract.japanese)."""
    from samples.pack_jp import JapaneseValues

    values = JapaneseValues(np.random.default_rng(9))
    numbers = [values.value("my_number", "my_number") for _ in range(50)]
    assert all(is_my_number(number) for number in numbers)


def test_splits_keep_typed_japanese_fonts_apart(tmp_path: Path) -> None:
    splits = load_splits()
    tune, locked = splits["tune"].spec, splits["locked"].spec
    assert not set(tune.jp_typed_fonts) & set(locked.jp_typed_fonts)
    for entry in (*tune.jp_typed_fonts, *locked.jp_typed_fonts):
        assert Path(font_face(entry)[0]).is_file()
    # one allowed hand face, written at other sizes and drift
    assert tune.jp_hand_fonts == locked.jp_hand_fonts == ("truetype/seto/setofont.ttf",)
    assert (tune.jp_hand_points, tune.jp_hand_drift) != (
        locked.jp_hand_points,
        locked.jp_hand_drift,
    )
    hands = {draw_japanese_hand(splits["tune"], np.random.default_rng(s)) for s in range(40)}
    assert {hand.writing for hand in hands} == {TYPED, HAND_PRINTED}
    # full-width digits are typed, never hand-printed
    assert {(h.writing, h.full_width) for h in hands} == {
        (TYPED, True),
        (TYPED, False),
        (HAND_PRINTED, False),
    }
    assert {Path(hand.font).name for hand in hands if hand.writing == TYPED} == {
        "ipag.ttf",
        "NotoSansCJK-Regular.ttc",
    }
    data = yaml.safe_load(Path("samples/splits.yaml").read_text(encoding="utf-8"))
    data["splits"]["locked"]["jp_typed_fonts"] = list(tune.jp_typed_fonts)
    with pytest.raises(ValueError, match="share"):
        SplitsFile.model_validate(data)
    data = yaml.safe_load(Path("samples/splits.yaml").read_text(encoding="utf-8"))
    for key in ("jp_hand_points", "jp_hand_drift"):
        data["splits"]["locked"][key] = data["splits"]["tune"][key]
    with pytest.raises(ValueError, match="same sizes"):
        SplitsFile.model_validate(data)


def test_generated_copies_record_their_hand_and_normal_forms(pack: FormPack, tmp_path: Path):
    """``samples generate --form`` of a Japanese pack: documents and truth files, the
    truth with the split, the hand (typed or hand-printed, its face) and normal forms."""
    from samples.generate import generate, plan

    made = generate(tmp_path / "set", plan(4, 3, forms=[pack], split="locked"), workers=1)
    assert len(made) == 4
    writings = set()
    for doc in made:
        truth = json.loads(doc.truth.read_text(encoding="utf-8"))
        assert truth["split"] == "locked" and truth["record_type"] == pack.name
        writings.add(truth["writing"]["writing"])
        assert truth["writing"]["font"] in {"ipam", "NotoSerifCJK-Regular", "setofont"}
        kana = truth["record"]["patient_name_kana"]
        assert kana is None or KATAKANA.match(kana)
        assert doc.document.is_file()


def test_values_follow_the_field_names() -> None:
    """Household members share the first person's family name (and its reading); words
    Faker lacks come from samples/data/jp_values.yaml; an address is not a facility name."""
    from samples.pack_jp import JapaneseValues, _values

    values = JapaneseValues(np.random.default_rng(4))
    head, head_kana = values.person("householder")
    member, member_kana = values.person("member_2")
    doctor = values.person("doctor")[0]
    assert member.split(" ")[0] == head.split(" ")[0]
    assert member_kana.split(" ")[0] == head_kana.split(" ")[0]
    assert values.value("member_2_name", "text") == member
    assert values.value("householder_kana", "katakana") == head_kana
    assert doctor != head
    words = _values()["words"]
    assert values.value("member_1_relationship", "text") in words["relationship"]
    assert values.value("diagnosis_specimen", "text") in words["specimen"]
    assert values.value("bank_name", "text") in _values()["banks"]
    assert values.value("health_centre", "text").endswith("保健所")
    assert "番" in values.value("facility_address", "text")
    assert re.fullmatch(r"\d{7}", values.value("account_number", "text"))
    assert values.value("branch_name", "text").endswith("支店")
