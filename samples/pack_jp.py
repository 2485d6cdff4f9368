"""Filled copies of a Japanese form pack: values as a Japanese writer gives them, drawn in
the split's Japanese faces onto the rendered blank.

A pack is Japanese when one of its template's fields is read in Japanese (``lang: jpn``,
``jpn+eng``, ``eng+jpn``) or is of a Japanese kind (``era_date``, ``jp_postal``, ``jp_phone``,
``katakana``, ``prefecture``, ``bank_account``, ``my_number``): the template says how each
zone is read, so it also says how it is written. The schema's titles are Japanese too, but
they are labels for people, not a promise about the zones.

Values come from Faker ``ja_JP`` by the field's kind, its validation format and its name:
people's names and their furigana (full-width katakana; a ``…_kana`` / ``…_furigana``
field is the reading of the name field of the same stem), addresses, prefectures, postal
codes, phone numbers, facility and company names, occupations, banks and branches, 7-digit
account numbers, 12-digit My Numbers with their check digit, and words Faker has none of
(relationships, specimens, symptoms …: ``samples/data/jp_values.yaml``). Household members
and a guardian share the family name of the record's first person. The record holds each
value in its normal form (ISO dates, ``123-4567``, digits-only phones, NFKC text, full-width
katakana with one ASCII space between words); the form shows it as written (``山田　太郎``,
``090-1234-5678``).

Dates fall inside a real era. A date field whose template names its printed era (``era``)
or an era choice field (``era_field``, whose value is set to the date's era) gets the
era-year digits, an ``era_date`` field with neither the era's name before them
(``昭和50``), any other date field the western year; the digits go into the gaps of the
printed ``年 月 日`` the blank's text layer shows inside the field's zone (or into its
three boxes), else the date is written whole (``3年4月5日``, ``昭和50年1月1日``,
``2021年4月5日``). An era's first year is written 元 (``平成元年``, ``令和　元年``), as people
write it; a birth date falls in some era's first year at least :data:`FIRST_YEAR_SHARE` of
the time, since a uniform draw over 90 years would almost never test it. Drawn dates are
swapped into the order ``rules.yaml``'s ``date_order`` asks. An age (``age``, ``…_age``)
is the person's age at the first date of ``age_on`` in ``jp_values.yaml`` the record
holds (the day of diagnosis, else of the report), in months under one year when the
form's unit field (``<age>_unit``) offers them, as the notification asks.

pypdf draws widget appearances in the widget's own font, which has no CJK glyphs, so no
widget is filled: the blank is rendered and each value is drawn with PIL at its zone, at the
page's resolution, in the copy's :class:`~samples.splits.JapaneseHand` (typed: one face and
size; hand-printed: each character of its own size, off the baseline and turned, through
:class:`samples.render.Writer`, which also marks boxes in the split's mark styles).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from faker import Faker
from PIL import Image, ImageFont

from extract.japanese import JP_KINDS, is_japanese_lang, my_number_check_digit
from faxflow.eras import ERAS, Era, era_of
from faxflow.packs import FormPack
from samples.splits import JapaneseHand

VALUES_FILE = Path(__file__).with_name("data") / "jp_values.yaml"
FAMILY_STEMS = ("member", "guardian")
"""People who share the family name of the record's first person (the householder, the
patient): household members and a minor's guardian."""


ERA_BY_NAME = {era.name: era for era in ERAS}
FIRST_YEAR_SHARE = 0.1
"""Share of birth dates drawn inside an era's first year (元年) that the span and the
field's eras allow: Heisei 1 and Reiwa 1 are two years of 90, so uniform draws would give
one in 50."""
INK = (0, 60)  # grey level of the ink, as samples.render's split hands


def is_japanese(pack: FormPack) -> bool:
    """Whether the pack's zones are read in Japanese (module docstring)."""
    return any(
        is_japanese_lang(field.lang) or field.kind in JP_KINDS for field in pack.template.fields
    )


def era_and_year(day: date) -> tuple[Era, int]:
    """The era a day falls in (``faxflow.eras``) and its year in that era (元年 is 1);
    ValueError before Meiji."""
    era = era_of(day)
    if era is None:
        raise ValueError("the day is before the first era")  # a drawn birth date: not quoted
    return era, era.year_of(day)


def era_end(era: Era) -> date:
    """The last day of ``era`` (today for the present one)."""
    later = [e.start for e in ERAS if e.start > era.start]
    return later[0] - timedelta(days=1) if later else date.today()


def normal_text(text: str) -> str:
    """Japanese free text in the record's normal form: NFKC, white space collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


@cache
def _values() -> dict[str, Any]:
    """``samples/data/jp_values.yaml``."""
    import yaml

    data: dict[str, Any] = yaml.safe_load(VALUES_FILE.read_text(encoding="utf-8"))
    return data


def _stem(name: str) -> str:
    """The person a field is about: ``patient_name_kana`` and ``patient_name`` -> patient."""
    words = [w for w in name.split("_") if w not in {"name", "kana", "furigana", "full"}]
    return "_".join(words)


class JapaneseValues:
    """Draws one record's values; people are drawn once per stem, so a name and its
    furigana belong together."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.faker = Faker("ja_JP")
        self.faker.seed_instance(int(rng.integers(2**31)))
        self.people: dict[str, tuple[str, str]] = {}
        self.family: tuple[str, str] | None = None  # the first person's family name

    def person(self, stem: str) -> tuple[str, str]:
        """(name, reading) in normal form: ``山田 太郎``, ``ヤマダ タロウ``."""
        if stem not in self.people:
            last, last_kana, _ = self.faker.last_name_pair()
            if self.family is None:
                self.family = (last, last_kana)
            elif stem.startswith(FAMILY_STEMS):
                last, last_kana = self.family
            first, first_kana, _ = self.faker.first_name_pair()
            self.people[stem] = (f"{last} {first}", f"{last_kana} {first_kana}")
        return self.people[stem]

    def pick(self, words: list[str]) -> str:
        return words[int(self.rng.integers(len(words)))]

    def phone(self) -> str:
        """Digits of a mobile (090, 080, 070), a Tokyo or Osaka (03, 06) or another area's
        number (Faker ja_JP's own drop the leading 0 of some)."""
        shape = int(self.rng.integers(3))
        if shape == 0:
            return f"0{int(self.rng.integers(7, 10))}0{self.digits(8)}"
        if shape == 1:
            return f"0{int(self.rng.choice([3, 6]))}{self.digits(8)}"
        return f"0{int(self.rng.integers(11, 100))}{int(self.rng.integers(1, 10))}{self.digits(6)}"

    def city(self) -> str:
        """A city's or ward's name without 市, 区, 町 or 村 (as branches and centres are
        named)."""
        return str(self.faker.city()).rstrip("市区町村") or str(self.faker.city())

    def digits(self, count: int) -> str:
        return "".join(str(d) for d in self.rng.integers(0, 10, size=count))

    def date_in(self, low: date, high: date) -> date:
        return low + timedelta(days=int(self.rng.integers(0, max(1, (high - low).days + 1))))

    def era_date(self, name: str, eras: tuple[Era, ...] | None) -> str:
        """A past date (a birth date up to 90 years back), inside one of ``eras`` when
        given: drawn from the usual span, and moved into an offered era's part of it only
        when it fell outside them (so eras come as often as real dates have them)."""
        today = date.today()
        back = (365, 365 * 90) if "birth" in name else (1, 365 * 3)
        low, high = today - timedelta(days=back[1]), today - timedelta(days=back[0])
        first_years = [
            (max(low, e.start), min(high, date(e.start.year, 12, 31)))
            for e in eras or ERAS
            if "birth" in name
        ]
        first_years = [(a, b) for a, b in first_years if a <= b]
        if first_years and self.rng.random() < FIRST_YEAR_SHARE:
            return self.date_in(*first_years[int(self.rng.integers(len(first_years)))]).isoformat()
        day = self.date_in(low, high)
        if eras and era_of(day) not in eras:
            spans = [(max(low, e.start), min(high, era_end(e))) for e in eras]
            spans = [(a, b) for a, b in spans if a <= b] or [
                (e.start, min(era_end(e), today)) for e in eras
            ]
            day = self.date_in(*spans[int(self.rng.integers(len(spans)))])
        return day.isoformat()

    def value(self, name: str, kind: str) -> str:
        """A string value for field ``name`` of kind/format ``kind``, in normal form."""
        fake = self.faker
        if kind == "katakana" or "kana" in name or "furigana" in name:
            return self.person(_stem(name))[1]
        if kind == "jp_postal" or "postal" in name or "zip" in name:
            return str(fake.postcode())
        if kind == "jp_phone" or "phone" in name or "tel" in name.split("_"):
            return self.phone()
        if kind == "prefecture" or "prefecture" in name:
            return str(fake.prefecture())
        if kind == "my_number":
            eleven = self.digits(11)
            return f"{eleven}{my_number_check_digit(eleven)}"
        if kind == "bank_account" or "account_number" in name:
            return self.digits(7)
        if "address" in name or "whereabouts" in name:
            parts = (fake.prefecture(), fake.city(), fake.town(), fake.chome(), fake.ban())
            return normal_text("".join(str(p) for p in (*parts, fake.gou())))
        if "branch" in name:
            return f"{self.city()}支店"
        if "bank" in name or "institution" in name:
            return self.pick(_values()["banks"])
        if any(w in name for w in ("facility", "hospital", "clinic", "medical")):
            return f"{fake.last_name()}{self.pick(_values()['facility_suffixes'])}"
        if "centre" in name or "center" in name:  # a public health centre (保健所)
            return f"{self.city()}保健所"
        if any(w in name for w in ("company", "employer", "workplace", "school")):
            return normal_text(str(fake.company()))
        if "occupation" in name or "job" in name:
            return normal_text(str(fake.job()))
        if "municipality" in name or "city" in name:
            return str(fake.city())
        if "region" in name or "place" in name:
            return normal_text(f"{fake.prefecture()}{fake.city()}")
        for word, words in _values()["words"].items():
            if word in name:
                return self.pick(words)
        if "name" in name:
            return self.person(_stem(name))[0]
        words = [str(fake.word()) for _ in range(int(self.rng.integers(1, 3)))]
        return normal_text("".join(words))


def draw_japanese_record(pack: FormPack, rng: np.random.Generator) -> dict[str, Any]:
    """A record of a Japanese pack (module docstring); booleans, enums and numbers as
    :func:`samples.pack_fill.draw_record` draws them."""
    from samples.pack_fill import FILL_SHARE, _number, _types, field_formats

    values = JapaneseValues(rng)
    formats = field_formats(pack)
    specs = {field.name: field for field in pack.template.fields}
    record: dict[str, Any] = {}
    for name, prop in pack.schema["properties"].items():
        types = _types(prop)
        spec = specs.get(name)
        kind = str(spec.kind) if spec is not None else ""
        if "boolean" in types:
            record[name] = bool(rng.random() < 0.4)
        elif rng.random() >= FILL_SHARE:
            record[name] = None
        elif "enum" in prop:
            record[name] = rng.choice([v for v in prop["enum"] if v is not None]).item()
        elif kind in {"era_date", "date"} or formats.get(name) == "date":
            record[name] = values.era_date(name, _eras(pack, spec))
        elif "integer" in types:
            record[name] = _number(prop, rng, low=0, high=20, cents=False)
        elif "number" in types:
            record[name] = _number(prop, rng, low=0, high=1000, cents=True)
        else:
            record[name] = values.value(name, kind if kind in JP_KINDS else formats.get(name, kind))
        if isinstance(record[name], str) and "maxLength" in prop:
            record[name] = record[name][: prop["maxLength"]].strip()
    if pack.rules is not None:
        _in_date_order(record, pack.rules.date_order)
    _ages_from_birth(record, pack.schema["properties"])
    for field in pack.template.fields:
        era_field = field.era_field
        if era_field and era_field in record:
            when = record.get(field.name)
            # the era box ticked is the date's own era (none when the date is left blank)
            record[era_field] = era_and_year(date.fromisoformat(when))[0].name if when else None
    return record


def age_on(birth: date, on: date) -> tuple[int, int]:
    """(full years, full months) from ``birth`` to ``on``."""
    months = (on.year - birth.year) * 12 + on.month - birth.month - (on.day < birth.day)
    return months // 12, months


def _ages_from_birth(record: dict[str, Any], properties: dict[str, Any]) -> None:
    """Each age the record holds (``age``, ``<person>_age``) made the age of its birth
    date (``birth_date``, ``<person>_birth_date``) at the first ``age_on`` date the record
    holds; an age of no such birth date or day keeps its draw. Under a year it is in
    months when the unit field (``<age>_unit``) offers ``months`` (its value set to match);
    else in years (a unit field drawn filled says ``years``)."""
    for name in properties:
        if not (name == "age" or name.endswith("_age")) or record.get(name) is None:
            continue
        person = name[: -len("age")]
        birth = record.get(f"{person}birth_date")
        on = next((record[d] for d in _values()["age_on"] if record.get(d)), None)
        if not isinstance(birth, str) or not isinstance(on, str) or on < birth:
            continue
        years, months = age_on(date.fromisoformat(birth), date.fromisoformat(on))
        unit = f"{name}_unit"
        offered = properties.get(unit, {}).get("enum") or []
        if years < 1 and "months" in offered:
            record[name], record[unit] = months, "months"
            continue
        record[name] = years
        if record.get(unit) is not None:
            record[unit] = "years"


def _in_date_order(record: dict[str, Any], pairs: list[tuple[str, str]]) -> None:
    """Swap drawn dates until every (earlier, later) pair of ``rules.yaml``'s
    ``date_order`` holds, also through a field left blank (onset before diagnosis before
    report holds for onset and report when diagnosis is blank), as on a real form: the
    dates drawn stay the same, only which field holds which changes."""
    order = set(pairs)
    while True:  # the transitive closure: a chain through a blank field still orders
        implied = {(a, d) for a, b in order for c, d in order if b == c and a != d}
        if implied <= order:
            break
        order |= implied
    for _ in range(len(order) + 1):
        swapped = False
        for earlier, later in sorted(order):
            first, second = record.get(earlier), record.get(later)
            if isinstance(first, str) and isinstance(second, str) and first > second:
                record[earlier], record[later] = second, first
                swapped = True
        if not swapped:
            return


def _eras(pack: FormPack, spec: Any) -> tuple[Era, ...] | None:
    """The eras a date field's value may fall in: its printed era, or the values its era
    choice field offers; None for a date written with the western year."""
    if spec is None:
        return None
    printed = spec.era
    if printed:
        return (ERA_BY_NAME[str(printed)],)
    era_field = spec.era_field
    if era_field:
        offered = pack.schema["properties"].get(era_field, {}).get("enum") or list(ERA_BY_NAME)
        return tuple(ERA_BY_NAME[v] for v in offered if v in ERA_BY_NAME) or None
    return None


# --------------------------------------------------------------------------------------
# How values are written
# --------------------------------------------------------------------------------------


def written_phone(digits: str) -> str:
    """A phone number hyphenated as it is written: mobiles 090-1234-5678, Tokyo and Osaka
    03-1234-5678, other areas 045-123-4567."""
    if len(digits) == 11:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if digits[:2] in {"03", "06"}:
        return f"{digits[:2]}-{digits[2:6]}-{digits[6:]}"
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def written_value(kind: str, value: Any) -> str:
    """A record value as a Japanese writer writes it: words apart by a full-width space,
    phones hyphenated, digits and postal codes as they are."""
    if isinstance(value, float):
        return f"{value:,.2f}"
    text = str(value)
    if kind == "jp_phone" or (kind == "" and re.fullmatch(r"0\d{9,10}", text)):
        return written_phone(text)
    return text.replace(" ", "\u3000")


def full_width(text: str) -> str:
    """Digits, Latin letters, hyphens and spaces as a Japanese word processor types them
    (``03-1234`` -> ``０３－１２３４``); NFKC reads them back."""
    import jaconv

    return str(jaconv.h2z(text, kana=False, ascii=True, digit=True))


def date_parts(spec: Any, value: str) -> tuple[str, str, str, str]:
    """(era to write, year, month, day) as written. An era date has the era year, with
    the era's name written before it unless the form prints it (``era``) or it is ticked
    (``era_field``); any other date the western year."""
    day = date.fromisoformat(value)
    if str(spec.kind) == "era_date":
        era, year = era_and_year(day)
        shown = spec.era or spec.era_field
        written = "元" if year == 1 else str(year)  # 元年, as people write an era's first year
        return "" if shown else era.kanji, written, str(day.month), str(day.day)
    return "", str(day.year), str(day.month), str(day.day)


# --------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------


@cache
def _font(path: str, index: int, pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, max(4, pixels), index=index)


@cache
def _printed_chars(pdf: Path) -> tuple[tuple[dict[str, Any], ...], ...]:
    """Each page's printed characters (text, x0, x1, top, bottom in points)."""
    import pdfplumber

    with pdfplumber.open(pdf) as document:
        return tuple(
            tuple({k: c[k] for k in ("text", "x0", "x1", "top", "bottom")} for c in page.chars)
            for page in document.pages
        )


Box = tuple[float, float, float, float]


def date_gaps(pdf: Path, page: int, region: Box) -> list[Box] | None:
    """The three gaps before the printed 年, 月 and 日 inside ``region`` (from the blank's
    text layer), or None when the zone does not print them."""
    x0, top, x1, bottom = region
    chars = [
        c
        for c in _printed_chars(pdf)[page - 1]
        if x0 - 1 <= c["x0"] and c["x1"] <= x1 + 1 and top <= (c["top"] + c["bottom"]) / 2 <= bottom
    ]
    marks = []
    for unit in "年月日":
        found = [c for c in chars if c["text"] == unit]
        if len(found) != 1:
            return None
        marks.append(found[0])
    if not (marks[0]["x1"] <= marks[1]["x0"] and marks[1]["x1"] <= marks[2]["x0"]):
        return None
    before = [c["x1"] for c in chars if c["x1"] <= marks[0]["x0"] + 0.5]
    lefts = [max(before, default=x0), marks[0]["x1"], marks[1]["x1"]]
    gaps = [(left, top, mark["x0"], bottom) for left, mark in zip(lefts, marks, strict=True)]
    return gaps if all(g[2] - g[0] >= 6 for g in gaps) else None


class JapaneseWriter:
    """Draws one copy's values onto its rendered pages in its hand."""

    def __init__(
        self, pages: list[Image.Image], *, dpi: int, hand: JapaneseHand, rng: np.random.Generator
    ) -> None:
        from samples.render import Hand, Writer

        self.hand = hand
        self.rng = rng
        self.scale = dpi / 72.0
        ink = int(rng.integers(*INK))
        # samples.render's writer marks boxes and turns hand-printed characters
        self.writer = Writer(
            pages,
            dpi=dpi,
            hand=Hand(
                hand.font, hand.points, ink, hand.mark, "iso", drift=hand.drift, classic=False
            ),
            rng=rng,
        )

    def text(self, page: int, box: Box, text: str, *, centre: bool = False) -> None:
        """``text`` in ``box`` (points): typed on one baseline, shrunk to fit; hand-printed
        character by character."""
        x0, top, x1, bottom = box
        if self.hand.full_width:
            text = full_width(text)
        height = bottom - top
        lead = 0.5 if centre else min(4.0, max(1.0, (x1 - x0) * 0.03))
        points = min(self.hand.points, max(5.0, height * 0.8))
        font = _font(self.hand.font, self.hand.index, round(points * self.scale))
        while font.getlength(text) > (x1 - x0 - 2 * lead) * self.scale and points > 5.0:
            points -= 0.5
            font = _font(self.hand.font, self.hand.index, round(points * self.scale))
        width = font.getlength(text) / self.scale
        x = x0 + (x1 - x0 - width) / 2 if centre else x0 + lead + float(self.rng.uniform(0, 1.5))
        # CJK glyphs fill their em box: the baseline sits an eighth of it above the middle's
        # lower half, so the writing is centred in the zone
        baseline = (top + bottom) / 2 + points * 0.38 + float(self.rng.uniform(-0.5, 0.5))
        if self.hand.writing == "typed":
            draw = self.writer.draws[page - 1]
            draw.text(
                (x * self.scale, baseline * self.scale),
                text,
                font=font,
                fill=self.writer.hand.ink,
                anchor="ls",
            )
            return
        px = x * self.scale
        for char in text:
            size = points * (1 + float(self.rng.uniform(-1, 1)) * self.hand.char_size)
            glyph = _font(self.hand.font, self.hand.index, round(size * self.scale))
            if not char.isspace():
                self.writer.drifting_text(page, px, baseline * self.scale, char, glyph)
            px += glyph.getlength(char) * float(self.rng.uniform(0.96, 1.08))

    def mark(self, page: int, box: Box) -> None:
        from samples.layout import CheckSlot

        self.writer.mark_anywhere(CheckSlot(page, box))


def japanese_pages(
    pack: FormPack,
    record: dict[str, Any],
    *,
    dpi: int,
    hand: JapaneseHand,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """The pack's blank rendered at ``dpi`` with ``record`` written on it by ``hand``."""
    from samples.pack_fill import field_formats, render_pages

    pdf = pack.template.pdf_path
    pages = [Image.fromarray(p).copy() for p in render_pages(pdf.read_bytes(), dpi)]
    writer = JapaneseWriter(pages, dpi=dpi, hand=hand, rng=rng)
    formats = field_formats(pack)
    for spec in pack.template.fields:
        value = record.get(spec.name)
        if value is None or value is False or value == []:
            continue
        kind = str(spec.kind)
        if spec.options:
            chosen = value if isinstance(value, list) else [value]
            for option in spec.options:
                if option.value in chosen:
                    writer.mark(spec.page, tuple(option.box))
            continue
        if kind in {"era_date", "date"} or formats.get(spec.name) == "date":
            _write_date(writer, pdf, spec, str(value))
            continue
        text = written_value(kind or formats.get(spec.name, ""), value)
        if spec.boxes:
            cells = text.replace("-", "") if len(spec.boxes) < len(text) else text
            for cell, char in zip(spec.boxes, cells, strict=False):
                writer.text(spec.page, tuple(cell), char, centre=True)
        elif spec.region is not None:
            writer.text(spec.page, tuple(spec.region), text)
    return [np.asarray(page) for page in pages]


def _write_date(writer: JapaneseWriter, pdf: Path, spec: Any, value: str) -> None:
    era, year, month, day = date_parts(spec, value)
    parts = (f"{era}{year}", month, day)
    gaps: list[Box] | None = None
    if spec.boxes and len(spec.boxes) == 3:
        gaps = [tuple(box) for box in spec.boxes]
    elif spec.region is not None:
        gaps = date_gaps(pdf, spec.page, tuple(spec.region))
    if gaps is not None:
        for gap, part in zip(gaps, parts, strict=True):
            writer.text(spec.page, gap, part, centre=True)
    elif spec.region is not None:
        writer.text(spec.page, tuple(spec.region), f"{era}{year}年{month}月{day}日")
