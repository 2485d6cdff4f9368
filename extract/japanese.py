"""Normalisers of the Japanese field kinds (issue #23): OCR text → the normal forms that
docs/forms.md lists for the Japanese formats (era dates → ISO, postal codes, phone
numbers, katakana, prefectures, bank account numbers, My Numbers).

Every function starts with :func:`fold_width`: NFKC after jaconv's half-width → full-width
katakana, so full-width digits and letters become ASCII (``０３`` → ``03``), half-width
katakana full-width (``ﾀﾞ`` → ``ダ``), the ideographic space a space, and era ligatures
(``㋿``, ``㍻``) their two kanji. Like :mod:`extract.normalise`, every normaliser is total:
it returns the normal form, or None when the text holds no value of the kind, and never
raises.

Nothing here moves a value to make it valid: a date outside its era, a My Number whose
check digit is wrong, a name in hiragana where katakana is asked for are None (the
field goes to a person), never the nearest valid value.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import jaconv

from extract.normalise import MAX_INPUT, digits_in
from extract.template import ERA_NAMES, FieldKind, FieldSpec
from faxflow.eras import ERAS, Era, era_of
from faxflow.errors import TemplateError

# --------------------------------------------------------------------------------------
# Width
# --------------------------------------------------------------------------------------


def fold_width(text: object) -> str:
    """``text`` with half-width katakana made full-width (jaconv), then NFKC: full-width
    ASCII to ASCII, the ideographic space to a space, ligatures (``㋿``) to their parts."""
    if not isinstance(text, str):
        return ""
    clipped = text[:MAX_INPUT]
    return unicodedata.normalize("NFKC", jaconv.h2z(clipped, kana=True, ascii=False, digit=False))


_SPACE = re.compile(r"\s+")


def normalise_jp_text(text: str | None) -> str | None:
    """Japanese free text: NFKC, white space collapsed to one ASCII space; None if empty."""
    cleaned = _SPACE.sub(" ", fold_width(text)).strip()
    return cleaned if any(ch.isalnum() for ch in cleaned) else None


# --------------------------------------------------------------------------------------
# Eras
# --------------------------------------------------------------------------------------


ERA_BY_NAME = {era.name: era for era in ERAS}
_ERA_BY_WRITING = {
    **{era.kanji: era for era in ERAS},
    **{era.initial: era for era in ERAS},
    **{era.initial.lower(): era for era in ERAS},
}
assert tuple(ERA_BY_NAME) == ERA_NAMES  # the template's Literal and this table agree


def from_era(era: Era, year: int, month: int, day: int) -> str | None:
    """ISO date of ``era`` year ``year`` (1 = 元年), or None when no such day exists in
    that era (before its first day or on/after the next era's) or it lies in a year after
    next (:func:`_dated`)."""
    if year < 1:
        return None
    try:
        when = date(era.western_year(year), month, day)
    except ValueError:
        return None
    if era_of(when) is not era:
        return None  # outside its era: invalid, never moved to another one
    return _dated(when)


def _dated(when: date) -> str | None:
    """``when`` as ISO, unless it lies beyond next year: no form reports such a date, so a
    digit was misread (an era year 40 for 04, a western 2099 for 2009), as
    :func:`extract.normalise.normalise_date` holds for western dates. Nothing guesses the
    right year: the reading fails its format and is read again or goes to a person."""
    return when.isoformat() if when.year <= date.today().year + 1 else None


_PART = r"(元|\d{1,2})"
_SEP = r"\s*[年月日./\-,\s]\s*"
_ERA_WRITTEN = re.compile(
    r"(?P<era>明治|大正|昭和|平成|令和|[MTSHRmtshr])\s*\.?\s*(?P<y>元|\d{1,2})\s*[年./\-,\s]\s*"
    r"(?P<m>\d{1,2})\s*[月./\-,\s]\s*(?P<d>\d{1,2})(?!\d)"
)
_WESTERN = re.compile(
    r"(?<!\d)(?P<y>\d{4})" + _SEP + r"(?P<m>\d{1,2})" + _SEP + r"(?P<d>\d{1,2})(?!\d)"
)
_ERALESS = re.compile(r"(?<!\d)" + _PART + _SEP + r"(\d{1,2})" + _SEP + r"(\d{1,2})(?!\d)")
PENDING_ERA = re.compile(r"^(?P<y>\d{1,2})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日$")
"""An era date read without its era (``3年4月5日``): what a field whose era comes from
another field (``era_field``) holds until record assembly gives it the era."""


def _year(text: str) -> int:
    return 1 if text == "元" else int(text)


def _western(year: int, month: int, day: int) -> str | None:
    try:
        when = date(year, month, day)
    except ValueError:
        return None
    return _dated(when) if era_of(when) is not None else None


def era_date_parts(
    text: str | None, accept: Callable[[int, int, int], bool] | None = None
) -> tuple[Era | None, int, int, int] | None:
    """(era written in the text or None, year, month, day) of an era date without the
    calendar applied; a written western year comes back as era None and four digits.

    Year, month and day alone (the digits in the gaps of a printed ``年　月　日``) must be
    three numbers; more are read as :func:`_split_numbers` says, ``accept`` (year, month,
    day) telling which readings are dates (by default, a month and day that exist)."""
    raw = fold_width(text).replace("_", " ").strip()
    if not raw:
        return None
    written = _ERA_WRITTEN.search(raw)
    if written is not None:
        era = _ERA_BY_WRITING[written["era"]]
        return era, _year(written["y"]), int(written["m"]), int(written["d"])
    western = _WESTERN.search(raw)
    if western is not None:
        return None, int(western["y"]), int(western["m"]), int(western["d"])
    runs = re.findall(r"元|\d+", raw)
    if len(runs) > 3 and all(len(run) <= 2 for run in runs):
        found = _split_numbers(runs, accept or _month_and_day_exist)
        if found is not None:
            return None, *found
    else:
        eraless = _ERALESS.search(raw)
        if eraless is not None:
            return None, _year(eraless[1]), int(eraless[2]), int(eraless[3])
    digits = digits_in(raw.replace("元", "01"))
    if len(digits) == 8:  # western 20210405, written in comb boxes
        return None, int(digits[:4]), int(digits[4:6]), int(digits[6:])
    if len(digits) == 6:  # era 030405: two digits each, as boxes ask
        return None, int(digits[:2]), int(digits[2:4]), int(digits[4:])
    return None


def _month_and_day_exist(year: int, month: int, day: int) -> bool:
    return year >= 1 and 1 <= month <= 12 and 1 <= day <= 31


def _split_numbers(
    runs: Sequence[str], accept: Callable[[int, int, int], bool]
) -> tuple[int, int, int] | None:
    """Year, month and day from more than three runs of digits: the jpn model splits a
    number (``1 2`` for 12, most often on faxes), so adjacent one-digit runs may make one
    number of two digits. The reading is taken only when exactly one such grouping is a
    date ``accept`` takes; two or none leave the date unread (a person reads it), where
    taking the first three runs made ``6 1 2 19`` (令和6年12月19日) into 6-1-2."""
    dates: set[tuple[int, int, int]] = set()
    for cut_a in range(1, len(runs) - 1):
        for cut_b in range(cut_a + 1, len(runs)):
            groups = (runs[:cut_a], runs[cut_a:cut_b], runs[cut_b:])
            if any(len(g) > 1 and (len(g) > 2 or any(len(r) > 1 for r in g)) for g in groups):
                continue  # only two one-digit runs make one number
            if any(len(g) > 1 and "元" in g for g in groups):
                continue
            year, month, day = (_year("".join(g)) for g in groups)
            if accept(year, month, day):
                dates.add((year, month, day))
    return dates.pop() if len(dates) == 1 else None


def normalise_era_date(text: str | None, era: str | None = None) -> str | None:
    """ISO ``YYYY-MM-DD`` from a Japanese date: a written era (``令和3年4月5日``,
    ``平成元年1月8日``, ``R3.4.5``, ``H31/4/30``), a western year (``2021年4月5日``,
    ``2021/4/5``), or year, month and day alone (``3 4 5``, ``03 04 05``, ``030405``: the
    digits in the gaps of a printed ``令和　年　月　日``) in the template's ``era``.

    A written era or a four-digit year in the text wins over ``era``. A date outside its
    era (``平成32年``, ``令和元年4月1日``) is None: invalid, never moved to another era."""
    if era in ERA_BY_NAME:
        given = ERA_BY_NAME[era]
        parts = era_date_parts(text, lambda y, m, d: from_era(given, y, m, d) is not None)
    else:
        parts = era_date_parts(text)
    if parts is None:
        return None
    dated, value = _self_dated(*parts)
    if dated or era not in ERA_BY_NAME:
        return value
    return from_era(ERA_BY_NAME[era], *parts[1:])


def _self_dated(written: Era | None, year: int, month: int, day: int) -> tuple[bool, str | None]:
    """Whether the date writes its own era or a western year, and then its ISO form (None
    when that is no valid date); (False, None) for a date that needs its era given."""
    if written is not None:
        return True, from_era(written, year, month, day)
    if year >= 1000:
        return True, _western(year, month, day)
    return False, None


def pending_era_date(text: str | None) -> str | None:
    """A date whose era another field gives (``era_field``): ISO when the text writes its
    own era or a western year (that wins), else ``3年4月5日`` (:data:`PENDING_ERA`) for the
    assembly step ``normalise.era_field`` to complete; None when no date is there."""
    parts = era_date_parts(text)
    if parts is None:
        return None
    dated, value = _self_dated(*parts)
    if dated:
        return value
    _, year, month, day = parts
    if year < 1 or not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year}年{month}月{day}日"


def complete_pending(value: str, era: str | None) -> str | None:
    """A :data:`PENDING_ERA` value in ``era`` as ISO; None when it is no date of that era."""
    found = PENDING_ERA.match(value)
    if found is None or era not in ERA_BY_NAME:
        return None
    return from_era(ERA_BY_NAME[era], int(found["y"]), int(found["m"]), int(found["d"]))


# --------------------------------------------------------------------------------------
# Postal codes, phone numbers, account numbers, My Number
# --------------------------------------------------------------------------------------

# The postal mark, and what Tesseract's eng model reads for it ('T', '=').
_POSTAL_MARK = re.compile(r"^\s*[〒〶T干=Ŧ]\s*(?=\d)")


def normalise_jp_postal(text: str | None) -> str | None:
    """``123-4567`` from ``〒123-4567``, ``1234567``, full-width digits."""
    raw = _POSTAL_MARK.sub("", fold_width(text))
    digits = digits_in(raw)
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 else None


def normalise_jp_phone(text: str | None) -> str | None:
    """Digits only, 10 or 11 of them starting with 0: ``03-1234-5678``, ``(03)1234-5678``,
    ``090-1234-5678``, full-width."""
    digits = digits_in(fold_width(text))
    return digits if len(digits) in (10, 11) and digits.startswith("0") else None


_PHONE_LABEL = re.compile(r"^\s*(?:TEL|Tel|tel|電話(?:番号)?|☎|℡)\s*[:.]?\s*")
_PHONE_SEPARATORS = frozenset(" -().‐‑‒–—―−ー~〜")
"""What people write between a Japanese phone number's digits (after :func:`fold_width`,
which makes full-width ``－（）`` and the ideographic space ASCII): hyphens and dashes,
brackets round the area code, a space or full stop, and the long vowel mark and wave
dash OCR reads for a hyphen."""


def jp_phone_dropped(text: str | None) -> int:
    """How many characters of a phone reading :func:`normalise_jp_phone` drops that are
    neither digits nor separators (:data:`_PHONE_SEPARATORS`, a leading ``TEL``/``電話``):
    each is likely a misread digit (``/`` for 7, ``l`` for 1), so a number still of valid
    length without it may be a wrong one (an 11-digit mobile read as 10 digits)."""
    raw = _PHONE_LABEL.sub("", fold_width(text))
    return sum(not ch.isdigit() and ch not in _PHONE_SEPARATORS for ch in raw)


BANK_ACCOUNT_DIGITS = 7


def normalise_bank_account(text: str | None) -> str | None:
    """Seven digits exactly (a Japanese bank account number; no padding is added)."""
    digits = digits_in(fold_width(text))
    return digits if len(digits) == BANK_ACCOUNT_DIGITS else None


def my_number_check_digit(eleven: str) -> int:
    """The check digit of the 11 leading digits of a My Number (個人番号).

    Source: 行政手続における特定の個人を識別するための番号の利用等に関する法律施行令
    第八条 and its Ministry ordinance (総務省令第八十五号, 2014) 第五条: with P_n the n-th
    digit counted from the right of the 11 digits (n = 1..11) and Q_n = n + 1 for
    n <= 6, n - 5 for n >= 7, the check digit is 11 - (sum P_n * Q_n mod 11), or 0 when
    that remainder is 0 or 1."""
    if len(eleven) != 11 or not eleven.isascii() or not eleven.isdigit():
        raise ValueError("a My Number check digit needs 11 ASCII digits")
    total = 0
    for n, digit in enumerate(reversed(eleven), start=1):
        weight = n + 1 if n <= 6 else n - 5
        total += int(digit) * weight
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_my_number(value: object) -> bool:
    """Twelve ASCII digits whose last is the check digit of the first eleven."""
    return (
        isinstance(value, str)
        and len(value) == 12
        and value.isascii()
        and value.isdigit()
        and my_number_check_digit(value[:11]) == int(value[11])
    )


def normalise_my_number(text: str | None) -> str | None:
    """Twelve digits whose check digit is right; a wrong check digit is None."""
    digits = digits_in(fold_width(text))
    return digits if is_my_number(digits) else None


# --------------------------------------------------------------------------------------
# Katakana
# --------------------------------------------------------------------------------------

_KATAKANA = re.compile(r"^[\u30a1-\u30fa\u30fc\u30fb]+(?: [\u30a1-\u30fa\u30fc\u30fb]+)*$")
"""Full-width katakana (ァ..ヺ), the long vowel mark ー and the middle dot ・ of foreign
names, in words one space apart."""

KATAKANA_LOOKALIKES: dict[str, str] = {
    # hiragana drawn exactly as the katakana
    "へ": "ヘ", "べ": "ベ", "ぺ": "ペ",
    # kanji OCR reads for the katakana of the same strokes
    "口": "ロ", "一": "ー", "二": "ニ", "工": "エ", "夕": "タ", "卜": "ト", "八": "ハ",
    "力": "カ", "才": "オ", "匕": "ヒ",
    # dashes for the long vowel mark
    "-": "ー", "‐": "ー", "−": "ー", "―": "ー", "—": "ー", "–": "ー", "~": "ー", "〜": "ー",
}  # fmt: skip
"""Characters whose glyph is the katakana's (or drawn the same by hand), which OCR reads
in a katakana field: given back as the katakana, where the reading failed the format.
Any other hiragana is the wrong script, not a misread, and makes the value None."""


KANA = "\u3041-\u3096\u30a1-\u30fa\uff66-\uff9d"  # hiragana, katakana, half-width katakana
PROLONGED_MARKS = "\u30fc\uff70"  # ー and its half-width ｰ
STRAY_PROLONGED_MARKS = re.compile(f"(?<![{KANA}{PROLONGED_MARKS}])[{PROLONGED_MARKS}]+")
"""Runs of the prolonged sound mark ``ー`` that follow no kana: the jpn model reads a
form's rules, dotted lines and fax streaks as ``ー`` (a letter, so the debris test of
:func:`extract.read.join_words` keeps it), and Japanese writes the mark only after a kana
(タワー). A blank zone crossed by a rule read as ``ーー ーーー`` is blank again; ``タワー``
keeps its mark."""
DASH_RUN = re.compile(f"[{PROLONGED_MARKS}\u4e00\uff0d\u2010-\u2015\u2212-]{{3,}}")
"""Three or more dash-like characters in a row (ー, the kanji 一, hyphens and dashes,
mixed): how the jpn model reads a dashed or dotted rule (``一一一一``); no word is written
so, where 一 alone, 一一 or ー after a kana are."""


def without_rule_debris(text: str) -> str:
    """A Japanese reading without :data:`STRAY_PROLONGED_MARKS` and :data:`DASH_RUN`,
    characters only taken out; a mark that starts a word after a space counts as
    following the kana that ends the word before (the join may have put a space where
    there was none)."""
    kept: list[str] = []
    for word in text.split():
        body = word.lstrip(PROLONGED_MARKS)
        after_kana = bool(kept) and _KANA.match(kept[-1][-1]) is not None
        lead = word[: len(word) - len(body)] if after_kana else ""
        word = DASH_RUN.sub("", lead + STRAY_PROLONGED_MARKS.sub("", body))
        if word:
            kept.append(word)
    return " ".join(kept)


KANJI_LOOKALIKES = frozenset("ハニロエタトヒオ")
"""Katakana whose glyph is a kanji's (八 二 口 工 夕 卜 匕 才), which the jpn model reads
for that kanji in a kanji word: ``八王子支店`` as ``ハ王子支店`` at 0.86. カ is left out:
people write it alone among kanji as a counter (3カ月)."""
_KANA = re.compile(f"[{KANA}{PROLONGED_MARKS}]")
_KANJI = re.compile(r"[\u4e00-\u9fff\u3005]")
_LOOKALIKE_RUN = re.compile(f"[{''.join(sorted(KANJI_LOOKALIKES))}]+")


def stray_kanji_lookalike(text: str) -> bool:
    """Whether ``text`` has a run of :data:`KANJI_LOOKALIKES` standing alone among kanji:
    no other kana beside it and a kanji on at least one side (``ハ王子``, ``ハニ銀行``).
    Katakana come in words; alone between kanji such characters are the kanji they look
    like, misread."""
    folded = fold_width(text)
    for run in _LOOKALIKE_RUN.finditer(folded):
        before = folded[run.start() - 1] if run.start() > 0 else ""
        after = folded[run.end()] if run.end() < len(folded) else ""
        if _KANA.match(before) or _KANA.match(after):
            continue
        if _KANJI.match(before) or _KANJI.match(after):
            return True
    return False


def katakana_lookalikes(text: str) -> int:
    """How many characters of ``text`` (width-folded) are look-alikes of katakana."""
    return sum(ch in KATAKANA_LOOKALIKES for ch in fold_width(text))


def normalise_katakana(text: str | None) -> str | None:
    """Full-width katakana, one ASCII space between words (``ﾔﾏﾀﾞ ﾀﾛｳ`` → ``ヤマダ タロウ``).

    A reading with anything but katakana, ー, ・ and spaces fails, except for the
    look-alikes of :data:`KATAKANA_LOOKALIKES` (``口`` read for ``ロ``, ``-`` for ``ー``),
    which are given back as the katakana they look like: they change no character a
    person would read differently and add none (the caller caps the confidence). Hiragana
    otherwise is never turned into katakana (``やまだ`` is None): that would be a
    transliteration of what was written, for a person to decide."""
    cleaned = _SPACE.sub(" ", fold_width(text)).strip()
    if not cleaned:
        return None
    if not _KATAKANA.match(cleaned):
        cleaned = "".join(KATAKANA_LOOKALIKES.get(ch, ch) for ch in cleaned)
    return cleaned if _KATAKANA.match(cleaned) else None


# --------------------------------------------------------------------------------------
# Prefectures
# --------------------------------------------------------------------------------------

PREFECTURES_FILE = Path(__file__).resolve().parent / "rules" / "jp_prefectures.tsv"


@dataclass(frozen=True, slots=True)
class Prefecture:
    code: str  # JIS X 0401, '01'..'47'
    name: str  # the official name: 東京都
    short: str  # without 都/府/県: 東京 (北海道 stays whole)
    romaji: str


def load_prefectures(path: Path) -> tuple[Prefecture, ...]:
    """The prefectures in ``path``; a malformed file raises TemplateError naming it."""
    try:
        lines = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot read prefecture list {path}: {exc}") from exc
    rows = list(csv.DictReader(lines, delimiter="\t"))
    found = tuple(
        Prefecture(r["code"], r["name"], r["short"], r["romaji"])
        for r in rows
        if all(r.get(k) for k in ("code", "name", "short", "romaji"))
    )
    codes = [p.code for p in found]
    if len(found) != len(rows) or codes != [f"{n:02d}" for n in range(1, len(rows) + 1)]:
        raise TemplateError(f"prefecture list {path}: rows must be code 01.. name short romaji")
    return found


@cache
def prefectures() -> tuple[Prefecture, ...]:
    """The shipped list (``extract/rules/jp_prefectures.tsv``), read once per process."""
    return load_prefectures(PREFECTURES_FILE)


@cache
def _prefecture_by_writing() -> dict[str, str]:
    by: dict[str, str] = {}
    for p in prefectures():
        by[p.short] = p.name
        by[p.name] = p.name
    return by


def normalise_prefecture(text: str | None) -> str | None:
    """The official name of one of the 47 (``東京都``) from the name or its short form
    (``東京``), as a US state's name gives its code; anything else is None."""
    squeezed = _SPACE.sub("", fold_width(text))
    return _prefecture_by_writing().get(squeezed)


def is_prefecture(value: object) -> bool:
    """An official prefecture name exactly (the normal form)."""
    return isinstance(value, str) and value in {p.name for p in prefectures()}


# --------------------------------------------------------------------------------------
# Dispatch and reading defaults
# --------------------------------------------------------------------------------------

JP_NORMALISERS = {
    FieldKind.ERA_DATE: normalise_era_date,
    FieldKind.JP_POSTAL: normalise_jp_postal,
    FieldKind.JP_PHONE: normalise_jp_phone,
    FieldKind.KATAKANA: normalise_katakana,
    FieldKind.PREFECTURE: normalise_prefecture,
    FieldKind.BANK_ACCOUNT: normalise_bank_account,
    FieldKind.MY_NUMBER: normalise_my_number,
}

JP_KINDS = frozenset(JP_NORMALISERS)

KIND_LANG: dict[FieldKind, str] = {
    FieldKind.ERA_DATE: "jpn",  # 元, 年月日 and written eras
    FieldKind.KATAKANA: "jpn",
    FieldKind.PREFECTURE: "jpn",
}
"""The Tesseract language of a kind's zones when the template gives none. The digit-only
kinds (postal, phone, account, My Number) stay on the settings' language with a digit
whitelist: eng reads digits as well and as fast."""


def zone_lang(spec: FieldSpec) -> str | None:
    """The Tesseract language(s) ``spec``'s zone is read in: the template's ``lang``, else
    its kind's (:data:`KIND_LANG`); None means the settings' ``tesseract_lang``."""
    return spec.lang or KIND_LANG.get(spec.kind)


def is_japanese_lang(lang: str | None) -> bool:
    return lang is not None and "jpn" in lang.split("+")


def normalise_spec(spec: FieldSpec, text: str | None) -> str | None:
    """The normal form of ``text`` read from a Japanese-kind field ``spec``, with its era."""
    if spec.kind is FieldKind.ERA_DATE:
        if spec.era_field is not None:
            return pending_era_date(text)
        return normalise_era_date(text, spec.era)
    return JP_NORMALISERS[spec.kind](text)
