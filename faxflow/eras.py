"""Japan's calendar eras (元号), and dates written in them.

Japanese forms date everything in the era calendar (令和8年12月7日), and Japanese analysts
read counts that way; records and databases keep ISO dates. The extraction of era dates
(:mod:`extract.japanese`), the generator and the counts all use this one table. The year
an era starts is its first year, written 元年 ("first year") rather than 1年.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Era:
    """One era of the Japanese calendar: its name (the template's and choice fields'
    value), its kanji, the initial it is abbreviated to (``R3.4.5``) and its first day."""

    name: str
    kanji: str
    initial: str
    start: date  # the first day a date of this era is valid
    year_one: int  # the western year of its 元年

    def western_year(self, year: int) -> int:
        return self.year_one - 1 + year

    def year_of(self, day: date) -> int:
        """``day``'s year counted in this era (1 for 元年)."""
        return day.year - self.year_one + 1


ERAS: tuple[Era, ...] = (
    Era("meiji", "明治", "M", date(1873, 1, 1), 1868),
    Era("taisho", "大正", "T", date(1912, 7, 30), 1912),
    Era("showa", "昭和", "S", date(1926, 12, 25), 1926),
    Era("heisei", "平成", "H", date(1989, 1, 8), 1989),
    Era("reiwa", "令和", "R", date(2019, 5, 1), 2019),
)
"""The eras a living person's dates fall in, oldest first; an era ends the day before the
next one starts. First days as the era changes were proclaimed: Taisho 1912-07-30 (the
accession of the Taisho Emperor), Showa 1926-12-25, Heisei 1989-01-08 (Cabinet Order No. 1
of 1989, 元号を改める政令), Reiwa 2019-05-01 (Cabinet Order No. 143 of 2019).

Meiji began 1868-10-23 (the era's proclamation, counted from the start of that lunisolar
year), but Japan kept the lunisolar calendar until 明治5年12月2日, the day before
1873-01-01 (明治6年1月1日, Dajōkan Proclamation No. 337 of 1872). A Meiji month and day
before then is no Gregorian date this module can give without a calendar table, so Meiji
dates count as valid from 1873-01-01 on: the era year still maps as 1867 + year, and
earlier Meiji dates are invalid (no living person was born then)."""


def era_of(day: date) -> Era | None:
    """The era ``day`` falls in, or None before the first one here."""
    found = None
    for era in ERAS:
        if day >= era.start:
            found = era
    return found


def to_era(iso: str, *, initials: bool = False) -> str:
    """An ISO date as a Japanese writer writes it: ``令和3年4月5日`` (元年 for year 1), or
    ``R3.4.5`` with ``initials``. Raises ValueError for a date before the eras here."""
    when = date.fromisoformat(iso)
    era = era_of(when)
    if era is None:
        raise ValueError("the date is before the eras this module knows")
    year = era.year_of(when)
    if initials:
        return f"{era.initial}{year}.{when.month}.{when.day}"
    written = "元" if year == 1 else str(year)
    return f"{era.kanji}{written}年{when.month}月{when.day}日"


def japanese_date(day: date) -> str:
    """``day`` as the Japanese calendar writes it (:func:`to_era`), for people reading
    counts; ISO for a day before the eras here."""
    return to_era(day.isoformat()) if era_of(day) is not None else day.isoformat()
