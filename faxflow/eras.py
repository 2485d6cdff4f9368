"""Japan's calendar eras (元号) since 1868, and a day written in them.

Japanese forms date everything in the era calendar (令和8年12月7日), and Japanese analysts
read counts that way; records and databases keep ISO dates. Each era's first day is
the day its name took effect, except 明治: the change of era on 1868-10-23 renamed the
whole year Meiji 1 back to its lunar new year, 1868-01-25 in the Gregorian calendar.
The year an era starts is its first year, written 元年 ("first year") rather than 1年.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Era:
    name: str  # the value an era choice on a form takes ("reiwa")
    kanji: str  # 令和
    initial: str  # R, as in R8.12.7
    first_day: date


ERAS: tuple[Era, ...] = (
    Era("meiji", "明治", "M", date(1868, 1, 25)),
    Era("taisho", "大正", "T", date(1912, 7, 30)),
    Era("showa", "昭和", "S", date(1926, 12, 25)),
    Era("heisei", "平成", "H", date(1989, 1, 8)),
    Era("reiwa", "令和", "R", date(2019, 5, 1)),
)
"""Oldest first; each era ends the day before the next one's first day."""


def era_of(day: date) -> Era | None:
    """The era ``day`` falls in (None before Meiji)."""
    found = None
    for era in ERAS:
        if day >= era.first_day:
            found = era
    return found


def era_year(day: date, era: Era) -> int:
    """``day``'s year counted in ``era`` (1 in the era's first year)."""
    return day.year - era.first_day.year + 1


def japanese_date(day: date) -> str:
    """``day`` as the Japanese calendar writes it: ``令和8年12月7日``, ``令和元年5月1日``;
    ISO for a day before Meiji, which has no era date here."""
    era = era_of(day)
    if era is None:
        return day.isoformat()
    year = era_year(day, era)
    return f"{era.kanji}{'元' if year == 1 else year}年{day.month}月{day.day}日"
