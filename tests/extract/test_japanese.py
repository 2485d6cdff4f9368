"""The Japanese normalisers of extract/japanese.py: era dates, postal codes, phones,
katakana, prefectures, bank accounts and My Numbers, as writers and OCR give them."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.japanese import (
    PREFECTURES_FILE,
    complete_pending,
    fold_width,
    from_era,
    is_my_number,
    jp_phone_dropped,
    katakana_lookalikes,
    load_prefectures,
    my_number_check_digit,
    normalise_bank_account,
    normalise_era_date,
    normalise_jp_phone,
    normalise_jp_postal,
    normalise_jp_text,
    normalise_katakana,
    normalise_my_number,
    normalise_prefecture,
    normalise_spec,
    pending_era_date,
    prefectures,
    zone_lang,
)
from extract.normalise import normalise
from extract.template import FieldKind, FieldSpec
from faxflow.eras import ERAS, era_of, to_era
from faxflow.errors import TemplateError

# --------------------------------------------------------------------------------------
# Era dates
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("令和3年4月5日", "2021-04-05"),
        ("令和 3 年 4 月 5 日", "2021-04-05"),
        ("令和３年４月５日", "2021-04-05"),  # full-width digits
        ("㋿3年4月5日", "2021-04-05"),  # the era's ligature
        ("R3.4.5", "2021-04-05"),
        ("r03/04/05", "2021-04-05"),
        ("平成元年1月8日", "1989-01-08"),  # 元年 = 1, Heisei's first day
        ("H31.4.30", "2019-04-30"),  # Heisei's last day
        ("令和元年5月1日", "2019-05-01"),
        ("昭和64年1月7日", "1989-01-07"),  # Showa's last day
        ("S40.12.31", "1965-12-31"),
        ("大正15年12月24日", "1926-12-24"),
        ("明治45年7月29日", "1912-07-29"),
        ("2021年4月5日", "2021-04-05"),  # a western year
        ("2021/4/5", "2021-04-05"),
        ("２０２１－０４－０５", "2021-04-05"),
        ("20210405", "2021-04-05"),
    ],
)
def test_written_era_and_western_dates(written: str, iso: str) -> None:
    assert normalise_era_date(written) == iso
    assert normalise_era_date(written, "showa") == iso  # what is written wins over the era
    assert pending_era_date(written) == iso


@pytest.mark.parametrize(
    "written",
    [
        "昭和64年1月8日",  # Heisei had begun
        "平成31年5月1日",  # Reiwa had begun
        "令和元年4月30日",  # before Reiwa
        "平成0年1月1日",
        "大正15年12月25日",
        "令和3年2月30日",  # no such day
        "明治5年12月1日",  # lunisolar calendar (see ERAS)
        "1850/1/1",
        "2099/1/4",  # beyond next year: a misread digit (2009), never a form's date
        "令和40年1月1日",
        "",
        "令和",
        "ヤマダ",
    ],
)
def test_dates_outside_their_era_are_invalid_never_moved(written: str) -> None:
    assert normalise_era_date(written) is None


@pytest.mark.parametrize(
    ("gaps", "era", "iso"),
    [
        ("3 4 5", "reiwa", "2021-04-05"),  # digits in the gaps of 令和　年　月　日
        ("03 04 05", "reiwa", "2021-04-05"),  # two-digit era years in boxes
        ("030405", "reiwa", "2021-04-05"),
        ("元 5 1", "reiwa", "2019-05-01"),
        ("3年4月5日", "reiwa", "2021-04-05"),
        ("64 1 7", "showa", "1989-01-07"),
        ("64 1 8", "showa", None),  # after Showa: invalid, not Heisei 1
        ("3 4 5", None, None),  # no era anywhere: no date
    ],
)
def test_digits_in_the_gaps_take_the_printed_era(gaps: str, era: str | None, iso: str) -> None:
    assert normalise_era_date(gaps, era) == iso


def test_a_date_without_its_era_waits_for_the_era_field() -> None:
    assert pending_era_date("3 4 5") == "3年4月5日"
    assert pending_era_date("元 5 1") == "1年5月1日"
    assert pending_era_date("3 13 5") is None
    assert complete_pending("3年4月5日", "reiwa") == "2021-04-05"
    assert complete_pending("3年4月5日", "heisei") == "1991-04-05"
    assert complete_pending("1年4月5日", "reiwa") is None  # before Reiwa began
    assert complete_pending("3年4月5日", None) is None
    assert complete_pending("2021-04-05", "reiwa") is None


def test_the_era_table_is_ordered_and_each_era_ends_where_the_next_begins() -> None:
    starts = [era.start for era in ERAS]
    assert starts == sorted(starts)
    for before, after in itertools.pairwise(ERAS):
        assert era_of(after.start - timedelta(days=1)) is before
        assert era_of(after.start) is after
    assert from_era(ERAS[-1], 1, 5, 1) == "2019-05-01"


@settings(max_examples=300, deadline=None)
@given(
    day=st.dates(min_value=date(1873, 1, 1), max_value=date(date.today().year + 1, 12, 31)),
    initials=st.booleans(),
)
def test_era_round_trip(day: date, initials: bool) -> None:
    """GIVEN any date of the eras WHEN written as a Japanese writer writes it (令和3年4月5日,
    元年, or R3.4.5) THEN it reads back as the same ISO date."""
    written = to_era(day.isoformat(), initials=initials)
    assert normalise_era_date(written) == day.isoformat()
    assert normalise_era_date(fold_width(written).replace("年", " 年 ")) == day.isoformat()


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40), era=st.sampled_from([None, "meiji", "showa", "reiwa"]))
def test_era_normalisers_are_total(text: str, era: str | None) -> None:
    value = normalise_era_date(text, era)
    assert value is None or date.fromisoformat(value)
    pending_era_date(text)


# --------------------------------------------------------------------------------------
# Postal codes, phones, accounts, My Number
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "postal"),
    [
        ("〒123-4567", "123-4567"),
        ("1234567", "123-4567"),
        ("１２３－４５６７", "123-4567"),
        ("T123-4567", "123-4567"),  # the mark as Tesseract's eng model reads it
        ("〒 100-0001", "100-0001"),
        ("123-456", None),
        ("12345678", None),
    ],
)
def test_postal_codes(text: str, postal: str | None) -> None:
    assert normalise_jp_postal(text) == postal


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("03-1234-5678", "0312345678"),
        ("090-1234-5678", "09012345678"),
        ("(03)1234-5678", "0312345678"),
        ("０３－１２３４－５６７８", "0312345678"),
        ("123-456-7890", None),  # no leading 0
        ("03-1234-567", None),
        ("090-1234-56789", None),
    ],
)
def test_phone_numbers(text: str, digits: str | None) -> None:
    assert normalise_jp_phone(text) == digits


@pytest.mark.parametrize(
    ("text", "dropped"),
    [
        ("03-1234-5678", 0),
        ("(03)1234-5678", 0),
        ("０３－１２３４－５６７８", 0),  # full-width hyphens are separators
        ("（０３）１２３４　５６７８", 0),  # full-width brackets, the ideographic space
        ("03ー1234ー5678", 0),  # the long vowel mark OCR reads for a hyphen
        ("TEL 03-1234-5678", 0),
        ("電話：03-1234-5678", 0),
        ("090-1234-5/78", 1),  # 7 read as '/': still ten digits, a valid wrong number
        ("090-l234-5678", 1),
        ("O90-1234-5678", 1),
    ],
)
def test_phone_marks_the_normaliser_drops(text: str, dropped: int) -> None:
    """A mark that is no separator is counted (the reader caps the confidence): the
    digits left can be a number of valid length that is not the one written."""
    assert jp_phone_dropped(text) == dropped
    if text == "090-1234-5/78":
        assert normalise_jp_phone(text) == "0901234578"  # valid, and wrong


def test_bank_accounts_are_seven_digits_exactly() -> None:
    assert normalise_bank_account("1234567") == "1234567"
    assert normalise_bank_account("１２３ ４５６７") == "1234567"
    assert normalise_bank_account("123456") is None  # no zero is added
    assert normalise_bank_account("12345678") is None


def test_my_number_check_digit() -> None:
    # The ordinance's example shape: 11 digits, then the check digit (123456789018).
    assert my_number_check_digit("12345678901") == 8
    assert is_my_number("123456789018")
    assert normalise_my_number("1234 5678 9018") == "123456789018"
    assert normalise_my_number("123456789017") is None  # wrong check digit: never fixed
    assert normalise_my_number("12345678901") is None
    with pytest.raises(ValueError):
        my_number_check_digit("1234")


@given(st.from_regex(r"[0-9]{11}", fullmatch=True))
def test_every_eleven_digits_have_one_check_digit(eleven: str) -> None:
    check = my_number_check_digit(eleven)
    assert 0 <= check <= 9
    valid = [d for d in "0123456789" if is_my_number(eleven + d)]
    assert valid == [str(check)]


# --------------------------------------------------------------------------------------
# Katakana, prefectures, text
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kana"),
    [
        ("ヤマダ　タロウ", "ヤマダ タロウ"),  # the ideographic space becomes one ASCII space
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),  # half-width to full-width, voiced marks joined
        ("サトウ  ハナコ ", "サトウ ハナコ"),
        ("スミス・ジョン", "スミス・ジョン"),
        ("サト-", "サトー"),  # a dash read for the long vowel mark
        ("口ーマ", "ローマ"),  # the kanji 口 read for katakana ロ
        ("やまだ たろう", None),  # hiragana is never transliterated
        ("山田", None),
        ("ヤマダ1", None),
        ("", None),
    ],
)
def test_katakana(text: str, kana: str | None) -> None:
    assert normalise_katakana(text) == kana


_KANA_WORD = st.text(
    alphabet=st.characters(min_codepoint=0x30A1, max_codepoint=0x30F6), min_size=1, max_size=8
)


@given(words=st.lists(_KANA_WORD, min_size=1, max_size=3))
def test_katakana_as_written_is_kept_and_half_width_is_folded(words: list[str]) -> None:
    import jaconv

    written = "　".join(words)  # the ideographic space between words
    assert normalise_katakana(written) == " ".join(words)
    half = jaconv.z2h(written, kana=True, ascii=True, digit=True)
    assert normalise_katakana(half) == " ".join(words)


def test_katakana_lookalikes_are_counted_for_the_confidence_cap() -> None:
    assert katakana_lookalikes("ヤマダ タロウ") == 0
    assert katakana_lookalikes("口ーマ") == 1
    assert katakana_lookalikes("サト-") == 1


def test_the_47_prefectures_and_their_short_forms() -> None:
    listed = prefectures()
    assert len(listed) == 47
    assert listed[12].name == "東京都" and listed[12].code == "13"
    assert normalise_prefecture("東京") == "東京都"
    assert normalise_prefecture("東京都") == "東京都"
    assert normalise_prefecture("京都") == "京都府"
    assert normalise_prefecture("大阪") == "大阪府"
    assert normalise_prefecture("北海道") == "北海道"
    assert normalise_prefecture("神奈川 県") == "神奈川県"
    assert normalise_prefecture("東京府") is None
    assert normalise_prefecture("Tokyo") is None
    assert all(normalise_prefecture(p.short) == p.name for p in listed)


def test_a_broken_prefecture_list_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "p.tsv"
    broken.write_text(PREFECTURES_FILE.read_text(encoding="utf-8").replace("\n13\t", "\n14\t"))
    with pytest.raises(TemplateError) as caught:
        load_prefectures(broken)
    assert str(broken) in caught.value.message


def test_japanese_text_is_nfkc_with_spaces_collapsed() -> None:
    assert normalise_jp_text("東京都　千代田区 　霞が関１－２－２") == "東京都 千代田区 霞が関1-2-2"
    assert normalise_jp_text("　") is None


# --------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------


def _spec(kind: str, **extra: object) -> FieldSpec:
    return FieldSpec.model_validate(
        {"name": "x", "page": 1, "kind": kind, "region": [0, 0, 10, 10], **extra}
    )


def test_the_kinds_dispatch_through_normalise_and_the_spec() -> None:
    assert normalise(FieldKind.JP_POSTAL, "〒123-4567") == "123-4567"
    assert normalise("katakana", "ﾔﾏﾀﾞ") == "ヤマダ"
    assert normalise_spec(_spec("era_date", era="reiwa"), "3 4 5") == "2021-04-05"
    assert normalise_spec(_spec("era_date"), "令和3年4月5日") == "2021-04-05"


def test_zone_languages() -> None:
    assert zone_lang(_spec("katakana")) == "jpn"
    assert zone_lang(_spec("prefecture")) == "jpn"
    assert zone_lang(_spec("jp_postal")) is None  # digits: the settings' language
    assert zone_lang(_spec("text", lang="jpn+eng")) == "jpn+eng"
    assert zone_lang(_spec("text")) is None


@given(
    st.dates(min_value=date(1926, 12, 25), max_value=date(2026, 12, 1)),
    st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_digits_in_the_gaps_split_by_ocr_give_the_date_or_nothing(
    day: date, split: list[bool]
) -> None:
    """GIVEN an era date's year, month and day as written in the gaps of a printed
    年　月　日, some two-digit numbers read as two runs ('1 2' for 12, as the jpn model
    splits them) WHEN it is normalised in its era THEN it is that date or unread (two
    groupings that are both dates), never another date: the first three runs of
    '6 1 2 19' (令和6年12月19日) once made 2024-01-02."""
    from faxflow.eras import era_of

    era = era_of(day)
    assert era is not None
    numbers = [era.year_of(day), day.month, day.day]
    cuts = [cut and n >= 10 for n, cut in zip(numbers, split, strict=True)]
    runs = [" ".join(str(n)) if cut else str(n) for n, cut in zip(numbers, cuts, strict=True)]
    got = normalise_era_date(" ".join(runs), era.name)
    assert got in (day.isoformat(), None)
    if not any(cuts):
        assert got == day.isoformat()


def test_split_numbers_read_where_only_one_grouping_is_a_date() -> None:
    assert normalise_era_date("6 1 2 19", "reiwa") == "2024-12-19"  # R61 is no date yet
    assert normalise_era_date("6 1 2 19", "showa") is None  # S61-2-19 and S6-12-19
    assert normalise_era_date("6 1 2 3", "reiwa") is None  # 6-12-3 or 6-1-23
    assert normalise_era_date("2 0 2 1 0 4 0 5") == "2021-04-05"  # comb boxes, western
    assert normalise_era_date("6 1 2 19 3", "reiwa") is None  # a stray run: not guessed


@pytest.mark.parametrize(
    ("text", "stray"),
    [
        ("ハ王子支店", True),  # 八王子, the kanji read as katakana (0.86 on a tune fax)
        ("広島県ハハ条市", True),
        ("ハニ銀行", True),  # 八十二銀行
        ("ロ座番号", True),
        ("八王子支店", False),
        ("鎌ケ谷市", False),  # ケ is written alone in place names
        ("3カ月", False),  # カ is a counter
        ("トヨタ自動車", False),  # a katakana word beside kanji
        ("ハシモト キョウスケ", False),
        ("JPタワー24丁目", False),
    ],
)
def test_a_katakana_alone_among_kanji_is_doubted(text: str, stray: bool) -> None:
    from extract.japanese import stray_kanji_lookalike

    assert stray_kanji_lookalike(text) is stray


@given(st.text(alphabet="ーｰ一-－タワやま山本 12", max_size=30))
def test_dropping_stray_marks_only_ever_removes_characters(text: str) -> None:
    """Rule debris is taken out of a Japanese reading; nothing is ever added or moved: the
    result is the reading with some characters left out (white space collapsed)."""
    from extract.japanese import without_rule_debris

    kept = iter(" ".join(text.split()))
    assert all(ch in kept for ch in without_rule_debris(text))  # a subsequence


def test_stray_marks_and_dash_runs_go_and_written_marks_stay() -> None:
    from extract.japanese import without_rule_debris

    assert without_rule_debris("ーー ーーー ーー") == ""
    assert without_rule_debris("一一一一 ----一一") == ""
    assert without_rule_debris("ーーー 山本 ーー") == "山本"
    assert without_rule_debris("スーパー タワー") == "スーパー タワー"
    assert without_rule_debris("ｶｰﾄﾞ") == "ｶｰﾄﾞ"
    assert without_rule_debris("タ ー") == "タ ー"  # after a kana across a space the join made
    assert without_rule_debris("一丁目1-2-3 第一一") == "一丁目1-2-3 第一一"
